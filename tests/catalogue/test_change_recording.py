"""Every write to what the catalogue reads is recorded, whoever makes it.

The columns are not listed here: they are read off the SQL that the facet filters, the
sort orders and the search themselves run, so a new facet that reads a new column fails
the first test until ``marketplace.catalogue.changes.WATCHES`` covers it.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from artisans.models import Artisan, MakerMark, Technique
from marketplace.catalogue import cards, changes
from marketplace.catalogue.filters import ConditionFacet, ListingFilter
from marketplace.catalogue.models import (
    CatalogueChange,
    Gemstone,
    HallmarkRecord,
    Listing,
    ListingPhoto,
    MetalComponent,
)
from marketplace.catalogue.selectors import (
    listing_fine_metal,
    listing_hallmark_status,
    listing_order,
    listing_parts_get,
    listing_search,
)
from marketplace.catalogue.services.listings import listing_search_rebuild
from marketplace.catalogue.sorting import SORT_ORDERS
from provenance.models import Certificate, EventItem, MaterialLot, TraceEvent
from tests import factories as f

pytestmark = pytest.mark.django_db

# Columns set once when a row is made and never written again, and the search vector,
# which is built from watched columns (its own SQL is read below).
IMMUTABLE = {"id", "created_at", "search_vector"}


def catalogue_sql() -> list[str]:
    """The SQL of every facet (its values and its filter), sort order, search,
    stored card and stored piece page part."""
    published = Listing.objects.published()
    shown = f.catalogue_listing()
    f.ListingPhotoFactory(listing=shown)
    with CaptureQueriesContext(connection) as captured:
        cards._build([shown.pk], "any")
        parts = listing_parts_get(pk=shown.pk)
        cards.piece_parts_render(
            parts,
            hallmark_status=listing_hallmark_status(listing=parts),
            fine_metal=listing_fine_metal(listing=parts),
        )
        filterset = ListingFilter({}, queryset=Listing.objects.none())
        for facet in filterset.facet_filters().values():
            list(facet.facet_pairs(published))
            values = (
                list(facet.conditions) if isinstance(facet, ConditionFacet) else ["1"]
            )
            list(facet.filter(published, values).values_list("pk"))
        for name in SORT_ORDERS:
            list(listing_order(published, name, searching=False).values_list("pk"))
        list(listing_search(published, "silver ring").values_list("pk", "rank"))
        # What the stored search vector is built from (PostgreSQL).
        listing_search_rebuild(queryset=Listing.objects.all())
    return [query["sql"] for query in captured.captured_queries]


def columns_read(statements) -> dict[str, set[str]]:
    """Table -> columns, from quoted references in the SQL. A subquery's alias (U0,
    T3...) is resolved to the tables it names in that statement that have the column."""
    models = {m._meta.db_table: m for m in apps.get_models(include_auto_created=True)}
    table_columns = {
        table: {field.column for field in model._meta.concrete_fields}
        for table, model in models.items()
    }
    read: dict[str, set[str]] = {}
    for sql in statements:
        aliases: dict[str, set[str]] = {}
        for table, alias in re.findall(r'"(\w+)"\s+(?:AS\s+)?"?([A-Z]\d+)"?\b', sql):
            aliases.setdefault(alias, set()).add(table)
        for owner, column in re.findall(r'"?(\w+)"?\."(\w+)"', sql):
            tables = aliases.get(owner, {owner})
            for table in tables:
                if column in table_columns.get(table, ()):
                    read.setdefault(table, set()).add(column)
    return read


def test_the_catalogue_sql_is_understood():
    read = columns_read(catalogue_sql())
    # The parse finds the columns it must, or the next test would prove nothing.
    assert {"price", "category", "published_at", "status"} <= read[
        "marketplace_listing"
    ]
    assert "country" in read["artisans_artisan"]
    assert "origin_type" in read["provenance_materiallot"]
    assert "slug" in read["artisans_technique"]
    # And the piece page's stored parts.
    assert {"care_instructions", "ring_size"} <= read["marketplace_listing"]
    assert {"workshop_name", "city"} <= read["artisans_artisan"]
    assert "name" in read["artisans_technique"]
    assert "registration_system" in read["artisans_makermark"]


def test_every_column_the_catalogue_reads_is_watched():
    watched = changes.watched()
    unwatched = []
    for table, columns in sorted(columns_read(catalogue_sql()).items()):
        if table not in watched:
            unwatched.append((table, sorted(columns - IMMUTABLE)))
            continue
        if watched[table] is not None:
            missing = columns - IMMUTABLE - watched[table]
            # A child row's link to its piece is covered by watching every column.
            if missing:
                unwatched.append((table, sorted(missing)))
    assert unwatched == []


def test_every_watch_is_installed():
    names = changes.installed(connection)
    expected = {
        f"{changes.PREFIX}{table}_{event}"
        for table in changes.watched()
        for event in ("insert", "update", "delete")
    } | {f"{changes.PREFIX}cards"}
    assert expected <= names


# --- each kind of write, through the ORM ------------------------------------------


@pytest.fixture
def world():
    """A published piece with a row in every watched table."""
    listing, lot = f.fabricated_piece()
    f.GemstoneFactory(listing=listing)
    f.HallmarkRecordFactory(listing=listing)
    f.ListingPhotoFactory(listing=listing)
    technique = f.TechniqueFactory(slug="chased")
    listing.techniques.add(technique)
    f.MakerMarkFactory(artisan=listing.artisan)
    return listing, lot, technique


def recorded(since: int) -> tuple[set[int], set[int]]:
    rows = CatalogueChange.objects.filter(pk__gt=since)
    return (
        set(rows.exclude(listing_id=None).values_list("listing_id", flat=True)),
        set(rows.exclude(artisan_id=None).values_list("artisan_id", flat=True)),
    )


def latest() -> int:
    return CatalogueChange.objects.order_by("-pk").values_list("pk", flat=True).first()


def child_updates(listing, lot):
    """(queryset of one row, a watched column and a new value, listing-or-artisan)."""
    artisan = listing.artisan
    event = EventItem.objects.filter(listing=listing, role="output").first().event
    return [
        (Listing.objects.filter(pk=listing.pk), {"price": Decimal("1.00")}),
        (Listing.objects.filter(pk=listing.pk), {"title": "Renamed"}),
        (MetalComponent.objects.filter(listing=listing), {"metal": "gold"}),
        (Gemstone.objects.filter(listing=listing), {"nature": "imitation"}),
        (
            HallmarkRecord.objects.filter(listing=listing),
            {"verification_status": "rejected"},
        ),
        (ListingPhoto.objects.filter(listing=listing), {"alt_text": "Side"}),
        (Certificate.objects.filter(listing=listing), {"chain_verified": False}),
        (MaterialLot.objects.filter(pk=lot.pk), {"origin_country": "PE"}),
        (
            TraceEvent.objects.filter(pk=event.pk),
            {"occurred_at": event.occurred_at - timedelta(days=1)},
        ),
        (EventItem.objects.filter(event=event, role="input"), {"role": "output"}),
        (Artisan.objects.filter(pk=artisan.pk), {"country": "PE"}),
        (Artisan.objects.filter(pk=artisan.pk), {"public_name": "Studio Nine"}),
        (
            MakerMark.objects.filter(artisan=artisan),
            {"verification_status": "verified"},
        ),
        (Technique.objects.filter(slug="chased"), {"slug": "repousse"}),
    ]


@pytest.mark.parametrize("case", range(14))
def test_a_queryset_update_is_recorded(world, case):
    listing, lot, _technique = world
    queryset, values = child_updates(listing, lot)[case]
    assert queryset.exists()
    since = latest()
    assert queryset.update(**values)
    listings, artisans = recorded(since)
    if queryset.model in (Artisan, MakerMark):
        assert artisans == {listing.artisan_id}
    else:
        assert listings == {listing.pk}


def test_saves_deletes_and_links_are_recorded(world):
    listing, _lot, technique = world
    other = f.catalogue_listing()
    since = latest()
    metal = listing.metals.first()
    metal.listing = other  # moved to another piece: both change
    metal.save()
    assert recorded(since)[0] == {listing.pk, other.pk}

    since = latest()
    listing.techniques.remove(technique)
    assert recorded(since)[0] == {listing.pk}

    since = latest()
    technique.listings.add(listing, other)
    assert recorded(since)[0] == {listing.pk, other.pk}

    since = latest()
    technique.listings.clear()  # which pieces is known to the database
    assert recorded(since)[0] == {listing.pk, other.pk}

    since = latest()
    Gemstone.objects.bulk_create([f.GemstoneFactory.build(listing=other)])
    assert recorded(since)[0] == {other.pk}

    since = latest()
    mark = listing.artisan.maker_marks.first()
    mark.delete()
    assert recorded(since)[1] == {listing.artisan_id}

    since = latest()
    pk = other.pk
    other.delete()
    assert pk in recorded(since)[0]


def test_an_unwatched_column_records_nothing(world):
    listing, _lot, _technique = world
    since = latest()
    Artisan.objects.filter(pk=listing.artisan_id).update(
        story="Forty years at the bench."
    )
    artisan = Artisan.objects.get(pk=listing.artisan_id)
    artisan.story = "Fifty years."
    artisan.save()  # a save writes every column; only changed values count
    Listing.objects.filter(pk=listing.pk).update(quantity_held=1)
    assert recorded(since) == (set(), set())


def test_a_change_is_recorded_in_the_writers_transaction(world):
    listing, _lot, _technique = world
    since = latest()
    with pytest.raises(RuntimeError), transaction.atomic():
        Listing.objects.filter(pk=listing.pk).update(price=Decimal("2.00"))
        assert recorded(since)[0] == {listing.pk}
        raise RuntimeError
    assert recorded(since) == (set(), set())


def test_search_follows_every_kind_of_write(world):
    """The search index (SQLite's FTS5 table, PostgreSQL's stored vector) is kept in
    the writer's transaction, however the write is made."""
    listing, _lot, _technique = world

    def found(word):
        return set(
            listing_search(Listing.objects.published(), word).values_list(
                "pk", flat=True
            )
        )

    assert listing.pk not in found("wombat")
    Listing.objects.filter(pk=listing.pk).update(title="Wombat cuff")
    assert listing.pk in found("wombat")
    Gemstone.objects.bulk_create(
        [f.GemstoneFactory.build(listing=listing, species="Tanzanite")]
    )
    assert listing.pk in found("tanzanite")
    MetalComponent.objects.filter(listing=listing).delete()
    assert listing.pk not in found("silver")
    Artisan.objects.filter(pk=listing.artisan_id).update(public_name="Quokka Studio")
    assert listing.pk in found("quokka")
