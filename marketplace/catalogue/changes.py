"""The catalogue's change log, kept by the database itself.

Everything the catalogue derives from its data — facet counts, sort keys, search, the
cards of its lists — must learn of every write that touches what it reads, whoever
makes it: a service, the admin, the ORM (``save``, ``QuerySet.update``,
``bulk_create``, a cascade) or a migration. So the recording is not left to writers:
each table the catalogue reads carries triggers (SQLite and PostgreSQL alike) that
append, in the writer's own statement and transaction, the listings or artisans a row
change touches to ``CatalogueChange``. Appending takes no lock beyond the new row;
readers follow the log by id (``facet_index``), and each appended row deletes the
stored cards it names (``marketplace.catalogue.cards``) in the same transaction.

``WATCHES`` is the one list of what is watched. ``tests/catalogue/test_change_recording``
reads the SQL of every facet, sort and search and fails if it reads a column that no
watch covers.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps

CHANGE_TABLE = "marketplace_cataloguechange"
CARD_TABLE = "marketplace_listingcard"
PREFIX = "ts_change_"
# Every change recorded forgets the stored cards it names, in the same transaction.
_FORGET_CARDS = (
    f'DELETE FROM "{CARD_TABLE}" WHERE listing_id = NEW.listing_id; '  # noqa: S608
    f'DELETE FROM "{CARD_TABLE}" WHERE artisan_id = NEW.artisan_id; '
    f'DELETE FROM "{CARD_TABLE}" '
    "WHERE NEW.listing_id IS NULL AND NEW.artisan_id IS NULL;"
)


@dataclass(frozen=True)
class Watch:
    """One table's rows and what a change to a row touches.

    ``selects`` are SQL selects of one column ``id``, written with ``{row}`` for the
    changed row (``NEW`` or ``OLD``): the listings (or artisans, if ``artisan``) the
    row's values belong to. ``columns`` are the columns whose update matters (the facet
    and card values); ``None`` means any column.
    """

    model: str
    selects: tuple[str, ...]
    columns: tuple[str, ...] | None = None
    artisan: bool = False


def _own(column: str = "listing_id") -> tuple[str, ...]:
    return (f"SELECT {{row}}.{column} AS id",)


# The output pieces of the transformation an event item belongs to.
_EVENT_OUTPUTS = (
    "SELECT output.listing_id AS id FROM provenance_eventitem output "
    "WHERE output.event_id = {row}.event_id"
)

WATCHES: tuple[Watch, ...] = (
    Watch(
        "marketplace.Listing",
        _own("id"),
        columns=(
            "artisan_id",
            "category",
            "kind",
            "status",
            "private_to_id",
            "published_at",
            "price",
            "currency",
            "title",
            "slug",
            "description",
            # What the piece page's stored parts show besides.
            "edition_size",
            "quantity_available",
            "lead_time_days",
            "dimensions",
            "ring_size",
            "customisation_options",
            "care_instructions",
        ),
    ),
    Watch("marketplace.MetalComponent", _own()),
    Watch("marketplace.Gemstone", _own()),
    Watch("marketplace.HallmarkRecord", _own()),
    Watch("marketplace.ListingPhoto", _own()),
    Watch("provenance.Certificate", _own()),
    Watch(
        "marketplace.Listing_techniques",
        _own(),
        columns=("listing_id", "technique_id"),
    ),
    Watch(
        "artisans.Technique",
        (
            "SELECT link.listing_id AS id FROM marketplace_listing_techniques link "
            "WHERE link.technique_id = {row}.id",
        ),
        columns=("slug", "name"),
    ),
    Watch(
        "artisans.Artisan",
        _own("id"),
        columns=(
            "country",
            "public_name",
            "slug",
            "verification_status",
            "rating_average",
            "rating_count",
            "workshop_name",
            "city",
            "region",
        ),
        artisan=True,
    ),
    Watch(
        "artisans.MakerMark",
        _own("artisan_id"),
        columns=("artisan_id", "verification_status", "text", "registration_system"),
        artisan=True,
    ),
    Watch(
        "provenance.EventItem",
        (*_own(), _EVENT_OUTPUTS),
        columns=("role", "lot_id", "listing_id", "event_id"),
    ),
    Watch(
        "provenance.MaterialLot",
        (
            "SELECT output.listing_id AS id FROM provenance_eventitem input "
            "JOIN provenance_eventitem output ON output.event_id = input.event_id "
            "WHERE input.lot_id = {row}.id",
        ),
        columns=("material", "origin_country", "origin_type"),
    ),
    Watch(
        "provenance.TraceEvent",
        (
            "SELECT item.listing_id AS id FROM provenance_eventitem item "
            "WHERE item.event_id = {row}.id",
        ),
        columns=("occurred_at",),
    ),
)


def _model(label: str):
    app_label, name = label.split(".")
    if name.endswith("_techniques"):
        return apps.get_model(
            app_label, name.removesuffix("_techniques")
        ).techniques.through
    return apps.get_model(app_label, name)


def watched() -> dict[str, set[str] | None]:
    """Table -> the watched columns (``None``: every column)."""
    return {
        _model(watch.model)._meta.db_table: (
            None if watch.columns is None else set(watch.columns)
        )
        for watch in WATCHES
    }


def _insert(watch: Watch, rows: tuple[str, ...], now: str) -> str:
    column = "artisan_id" if watch.artisan else "listing_id"
    union = " UNION ".join(
        select.format(row=row) for row in rows for select in watch.selects
    )
    return (
        f'INSERT INTO "{CHANGE_TABLE}" ("{column}", "created_at") '  # noqa: S608
        f"SELECT DISTINCT changed.id, {now} FROM ({union}) AS changed "
        "WHERE changed.id IS NOT NULL"
    )


_EVENTS = (("insert", ("NEW",)), ("update", ("OLD", "NEW")), ("delete", ("OLD",)))


def _changed_condition(watch: Watch, vendor: str) -> str | None:
    distinct = "IS NOT" if vendor == "sqlite" else "IS DISTINCT FROM"
    if watch.columns is None:
        return None if vendor == "sqlite" else "OLD.* IS DISTINCT FROM NEW.*"
    return " OR ".join(f'OLD."{c}" {distinct} NEW."{c}"' for c in watch.columns)


def trigger_sql(vendor: str, tables: set[str] | None = None) -> list[str]:
    """The statements that install every watch's triggers on this vendor (only on
    ``tables``, when given: the ones a migration has made so far)."""
    statements = []
    if tables is None or CARD_TABLE in tables:
        name = f"{PREFIX}cards"
        head = f'AFTER INSERT ON "{CHANGE_TABLE}" FOR EACH ROW'
        if vendor == "sqlite":
            statements.append(f"CREATE TRIGGER {name} {head} BEGIN {_FORGET_CARDS} END")
        else:
            statements.append(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {_FORGET_CARDS} RETURN NULL; END $$"
            )
            statements.append(f"CREATE TRIGGER {name} {head} EXECUTE FUNCTION {name}()")
    for watch in WATCHES:
        table = _model(watch.model)._meta.db_table
        if tables is not None and table not in tables:
            continue
        for event, rows in _EVENTS:
            name = f"{PREFIX}{table}_{event}"
            when = _changed_condition(watch, vendor) if event == "update" else None
            columns = (
                " OF " + ", ".join(f'"{c}"' for c in watch.columns)
                if event == "update" and watch.columns
                else ""
            )
            head = f'AFTER {event.upper()}{columns} ON "{table}" FOR EACH ROW'
            if when:
                head += f" WHEN ({when})"
            if vendor == "sqlite":
                now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
                statements.append(
                    f"CREATE TRIGGER {name} {head} BEGIN "
                    f"{_insert(watch, rows, now)}; END"
                )
            else:
                statements.append(
                    f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    f"BEGIN {_insert(watch, rows, 'now()')}; RETURN NULL; END $$"
                )
                statements.append(
                    f"CREATE TRIGGER {name} {head} EXECUTE FUNCTION {name}()"
                )
    return statements


def _search_vector_update(connection, listings_sql: str) -> str:
    """The UPDATE that rebuilds the search vector of the listings ``listings_sql``
    selects, compiled from the one definition of the vector, values inlined."""
    from django.db.models.expressions import RawSQL
    from django.db.models.sql import UpdateQuery

    from marketplace.catalogue.models import Listing
    from marketplace.catalogue.services.listings import search_vector

    listings = Listing.objects.filter(pk__in=RawSQL(listings_sql, []))  # noqa: S611
    query = listings.query.chain(UpdateQuery)
    query.add_update_values({"search_vector": search_vector()})
    sql, params = query.get_compiler(connection=connection).as_sql()
    return connection.ops.compose_sql(sql, params)


def _search_sql(connection, tables: set[str]) -> list[str]:
    """PostgreSQL: every change logged for a listing rebuilds its search vector, and
    an artisan's new name rebuilds all of theirs, in the writer's transaction."""
    if "marketplace_listing" not in tables or "artisans_artisan" not in tables:
        return []
    listing = _search_vector_update(connection, "SELECT NEW.listing_id")
    artisan = _search_vector_update(
        connection, "SELECT id FROM marketplace_listing WHERE artisan_id = NEW.id"
    )
    name, by_name = f"{PREFIX}search", f"{PREFIX}search_artisan"
    return [
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF NEW.listing_id IS NOT NULL THEN {listing}; END IF; RETURN NULL; END $$",
        f'CREATE TRIGGER {name} AFTER INSERT ON "{CHANGE_TABLE}" FOR EACH ROW '
        f"EXECUTE FUNCTION {name}()",
        f"CREATE FUNCTION {by_name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"{artisan}; RETURN NULL; END $$",
        f'CREATE TRIGGER {by_name} AFTER UPDATE OF "public_name" ON "artisans_artisan" '
        'FOR EACH ROW WHEN (OLD."public_name" IS DISTINCT FROM NEW."public_name") '
        f"EXECUTE FUNCTION {by_name}()",
    ]


def installed(connection) -> set[str]:
    """The names of the change triggers in this database."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE %s",
                [f"{PREFIX}%"],
            )
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                "AND tgname LIKE %s",
                [f"{PREFIX}%"],
            )
        return {name for (name,) in cursor.fetchall()}


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in installed(connection):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            return
        cursor.execute(
            "SELECT tgname, tgrelid::regclass::text FROM pg_trigger "
            "WHERE NOT tgisinternal AND tgname LIKE %s",
            [f"{PREFIX}%"],
        )
        for name, table in cursor.fetchall():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")


def install(connection) -> None:
    """(Re)install every watch's triggers: migrations call this whenever
    ``WATCHES`` changes."""
    uninstall(connection)
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        statements = trigger_sql(connection.vendor, tables)
        if connection.vendor == "postgresql":
            statements += _search_sql(connection, tables)
        for statement in statements:
            cursor.execute(statement)
