"""Catalogue reads, scoped by who is asking, with their relations fetched once."""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

import numpy as np
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import (
    Case,
    CharField,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.http import Http404

from artisans.models import Artisan, MakerMark, Technique
from config.baked import Baked
from config.expressions import JSONRows
from marketplace.catalogue import hallmarking
from marketplace.catalogue.models import (
    Favourite,
    Gemstone,
    HallmarkRecord,
    Listing,
    ListingCard,
    ListingPhoto,
    MetalComponent,
    MetalPrice,
)
from marketplace.catalogue.sorting import ordering_fields
from marketplace.materials import PRECIOUS_METALS, Metal

MAX_SEARCH_TERMS = 8
MAX_SEARCH_LENGTH = 200


def search_text(params) -> str:
    """The search a request asks for (``?q=``), trimmed and bounded in length."""
    return (params.get("q") or "").strip()[:MAX_SEARCH_LENGTH]


@functools.cache
def _catalogue() -> QuerySet[Listing]:
    return Listing.objects.published().select_related("artisan")


def listing_list(*, user=None) -> QuerySet[Listing]:
    """Published pieces in the catalogue, with what a card shows
    (``with_card_data``), its filter built once per process."""
    return _catalogue().with_card_photos()


@functools.lru_cache(maxsize=128)
def _catalogue_searched(vendor: str, q: str) -> QuerySet[Listing]:
    return listing_search(_catalogue(), q)


def catalogue_search(*, user=None, q: str) -> QuerySet[Listing]:
    """``listing_search`` over ``listing_list``: the catalogue's base for a request.
    The 128 most recent searches' querysets are built once per process (building
    one costs a list request more than its reads once the facet index answers)."""
    return _catalogue_searched(connection.vendor, q).with_card_photos()


# SQLite searches the FTS5 table ``marketplace_listing_fts`` of every listing's text
# (migration 0014; kept by triggers). A term scores by the best column it matches.
TITLE_POINTS, ARTISAN_OR_MATERIALS_POINTS, DESCRIPTION_POINTS = 100, 40, 20


def search_terms(q: str | None) -> list[str]:
    """The words of a search, at most ``MAX_SEARCH_TERMS`` of them."""
    return (q or "").replace("\x00", "").split()[:MAX_SEARCH_TERMS]


def _fts_phrases(terms: list[str]) -> list[str]:
    """Each term as a quoted FTS5 phrase matching the start of a word (``silv`` finds
    silver). Quoting (with the term's own quotes doubled) keeps user input out of the
    FTS5 syntax; a term with no letter or digit could match nothing and is left out."""
    return [
        '"{}" *'.format(term.replace('"', '""'))
        for term in terms
        if any(character.isalnum() for character in term)
    ]


def _fts_id_sets(queries: list[str]) -> list[np.ndarray]:
    """The ids of the listings matching each FTS5 query, ascending, in one query."""
    # One string per query rather than a row per match: 50,000 matches cost one row.
    select = (
        "SELECT %s, group_concat(rowid) FROM marketplace_listing_fts "
        "WHERE marketplace_listing_fts MATCH %s"
    )
    params = [value for n, query in enumerate(queries) for value in (n, query)]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join([select] * len(queries)), params)
        found = dict(cursor.fetchall())
    return [
        np.fromstring(found.get(n) or "", sep=",", dtype=np.int64)
        for n in range(len(queries))
    ]


def _within(ids: np.ndarray, subset: np.ndarray) -> np.ndarray:
    """Which of ``ids`` are in ``subset`` (both ascending, as FTS5 returns rowids)."""
    if not len(subset):
        return np.zeros(len(ids), dtype=bool)
    at = np.minimum(np.searchsorted(subset, ids), len(subset) - 1)
    return subset[at] == ids


def _column_queries(phrases: list[str]) -> tuple[str, list[tuple[str, str]]]:
    """The FTS5 query every match answers (all phrases), and for each phrase the
    queries of the matches that have it in the title, and in the artisan or
    materials."""
    every = " AND ".join(phrases)
    # With one phrase, its matches are every match: no need to ask for both.
    others = f" AND {every}" if len(phrases) > 1 else ""
    return every, [
        (
            f"{{title}} : {phrase}{others}",
            f"{{artisan materials}} : {phrase}{others}",
        )
        for phrase in phrases
    ]


def _sqlite_ranks(phrases: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Every match of the phrases (all must match) and its rank, from the FTS5 index."""
    if not phrases:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    every, per_phrase = _column_queries(phrases)
    ids, *sets = _fts_id_sets([every, *(q for pair in per_phrase for q in pair)])
    ranks = np.zeros(len(ids), dtype=np.int64)
    for in_title, in_artisan_or_materials in zip(sets[::2], sets[1::2], strict=True):
        ranks += np.where(
            _within(ids, in_title),
            TITLE_POINTS,
            np.where(
                _within(ids, in_artisan_or_materials),
                ARTISAN_OR_MATERIALS_POINTS,
                DESCRIPTION_POINTS,
            ),
        )
    return ids, ranks


def _fts_in(query: str) -> RawSQL:
    # The query is a parameter; only the constant table name is in the SQL.
    return RawSQL(
        "SELECT rowid FROM marketplace_listing_fts WHERE marketplace_listing_fts MATCH %s",
        [query],
    )


def _sqlite_search(queryset: QuerySet, phrases: list[str]) -> QuerySet:
    """The SQL form of ``_sqlite_ranks``: the same matches and the same ranks."""
    if not phrases:
        return queryset.none().annotate(rank=Value(0))
    every, per_phrase = _column_queries(phrases)
    rank = Value(0)
    for in_title, in_artisan_or_materials in per_phrase:
        rank = rank + Case(
            When(pk__in=_fts_in(in_title), then=Value(TITLE_POINTS)),
            When(
                pk__in=_fts_in(in_artisan_or_materials),
                then=Value(ARTISAN_OR_MATERIALS_POINTS),
            ),
            default=Value(DESCRIPTION_POINTS),
            output_field=IntegerField(),
        )
    return queryset.filter(pk__in=_fts_in(every)).annotate(rank=rank)


def _postgres_search(queryset: QuerySet, terms: list[str]) -> QuerySet:
    """Every match of the GIN-indexed vector, ranked by ``ts_rank`` (the title is
    weighted A, the artisan and materials B, the description C)."""
    query = SearchQuery(" ".join(terms), search_type="websearch", config="english")
    # An integer rank keeps API cursors exact (a float would not round-trip).
    return queryset.filter(search_vector=query).annotate(
        rank=Cast(SearchRank(F("search_vector"), query) * 1_000_000, IntegerField())
    )


def listing_search(queryset: QuerySet, q: str) -> QuerySet:
    """Full-text search; annotates ``rank`` (an integer, higher is better: integers
    keep API cursors exact)."""
    terms = search_terms(q)
    if not terms:
        return queryset
    if connection.vendor == "postgresql":
        return _postgres_search(queryset, terms)
    return _sqlite_search(queryset, _fts_phrases(terms))


def listing_search_ranks(q: str) -> tuple[np.ndarray, np.ndarray]:
    """The ids and ranks of the listings matching a search, as ``listing_search``
    ranks them, without building a row per match in Python.

    On SQLite the matches may include unpublished listings: callers keep the
    published ones through the facet index, which holds only those.
    """
    terms = search_terms(q)
    if connection.vendor != "postgresql":
        return _sqlite_ranks(_fts_phrases(terms))
    found = listing_search(Listing.objects.published(), q).order_by()
    sql, params = found.values("pk", "rank").query.sql_with_params()
    with connection.cursor() as cursor:
        # Both aggregates read the rows in the same order: ids and ranks pair up.
        cursor.execute(
            "SELECT string_agg(found.pk::text, ','), string_agg(found.rank::text, ',') "  # noqa: S608
            f"FROM ({sql}) AS found",
            params,
        )
        ids, ranks = cursor.fetchone()
    return (
        np.fromstring(ids or "", sep=",", dtype=np.int64),
        np.fromstring(ranks or "", sep=",", dtype=np.int64),
    )


def listing_search_tiers(q: str) -> "list[tuple[int, Callable]] | None":
    """For a one-word search on SQLite, the tiers its ranks come in, best first:
    (rank, fetch), where ``fetch(past=, ascending=, limit=)`` reads the ids of that
    tier's matches past an id (or from the start) from the FTS5 index, newest first
    or oldest first, so a page of matches in relevance order is read without
    ranking every match. None where ranks are worked out match by match (several
    words, or PostgreSQL's ``ts_rank``).

    The tiers are ``_sqlite_ranks``'s for one phrase: in the title; in the artisan
    or materials but not the title; elsewhere only."""
    if connection.vendor == "postgresql":
        return None
    phrases = _fts_phrases(search_terms(q))
    if len(phrases) != 1:
        return None
    (phrase,) = phrases
    in_title = f"{{title}} : {phrase}"
    queries = (
        (TITLE_POINTS, in_title),
        (
            ARTISAN_OR_MATERIALS_POINTS,
            f"{{artisan materials}} : {phrase} NOT {in_title}",
        ),
        (DESCRIPTION_POINTS, f"{phrase} NOT {{title artisan materials}} : {phrase}"),
    )
    return [(rank, partial(_fts_ids_past, query)) for rank, query in queries]


def _fts_ids_past(
    query: str, *, past: int | None = None, ascending: bool = False, limit: int
) -> np.ndarray:
    sign, direction = (">", "") if ascending else ("<", " DESC")
    sql = (
        "SELECT rowid FROM marketplace_listing_fts "
        "WHERE marketplace_listing_fts MATCH %s"
    )
    params: list = [query]
    if past is not None:
        sql += f" AND rowid {sign} %s"
        params.append(past)
    sql += f" ORDER BY rowid{direction} LIMIT %s"
    params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return np.fromiter((row[0] for row in cursor.fetchall()), dtype=np.int64)


def listing_search_ids(q: str) -> np.ndarray:
    """The ids of the listings matching a search, as ``listing_search_ranks`` finds
    them, without ranking them (what facet counts need)."""
    terms = search_terms(q)
    if connection.vendor != "postgresql":
        phrases = _fts_phrases(terms)
        if not phrases:
            return np.zeros(0, dtype=np.int64)
        return _fts_id_sets([" AND ".join(phrases)])[0]
    found = listing_search(Listing.objects.published(), q).order_by()
    sql, params = found.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT string_agg(found.pk::text, ',') FROM ({sql}) AS found",  # noqa: S608
            params,
        )
        (ids,) = cursor.fetchone()
    return np.fromstring(ids or "", sep=",", dtype=np.int64)


def listing_order(queryset: QuerySet, ordering: str | None, *, searching: bool):
    """Apply one of ``sorting.SORT_ORDERS``; a search defaults to relevance."""
    return queryset.order_by(*ordering_fields(ordering, searching=searching))


def _ordered_children() -> tuple[Prefetch, ...]:
    """A piece's photos, metal components and gemstones, each in its order."""
    return (
        Prefetch("photos", queryset=ListingPhoto.objects.order_by("position", "id")),
        Prefetch("metals", queryset=MetalComponent.objects.order_by("position", "id")),
        Prefetch("gemstones", queryset=Gemstone.objects.order_by("position", "id")),
    )


def listing_detail_queryset() -> QuerySet[Listing]:
    """Everything the piece page shows, in a fixed number of queries."""
    return (
        Listing.objects.select_related("artisan", "artisan__user", "certificate")
        .annotate(**hallmarking.hallmark_annotations())
        .prefetch_related(
            *_ordered_children(),
            Prefetch(
                "hallmarks",
                queryset=HallmarkRecord.objects.select_related("maker_mark").order_by(
                    "id"
                ),
            ),
            "techniques",
            Prefetch(
                "artisan__maker_marks",
                queryset=MakerMark.objects.order_by("text"),
            ),
        )
    )


# What the piece page's stored parts (``cards.PIECE_PARTS``) show of a listing and its
# artisan, and no more: the change log watches exactly these (with every column of
# the listing's photos, materials, hallmark records and certificate).
PIECE_PART_COLUMNS = (
    "artisan_id",
    "title",
    "slug",
    "category",
    "kind",
    "price",
    "currency",
    "edition_size",
    "quantity_available",
    "lead_time_days",
    "dimensions",
    "ring_size",
    "description",
    "customisation_options",
    "care_instructions",
    "artisan__public_name",
    "artisan__slug",
    "artisan__verification_status",
    "artisan__workshop_name",
    "artisan__city",
    "artisan__region",
    "artisan__country",
    "certificate__code",
    "certificate__chain_verified",
)


def listing_parts_queryset() -> QuerySet[Listing]:
    """What the piece page's stored parts show, in a fixed number of queries."""
    return (
        Listing.objects.select_related("artisan", "certificate")
        .only(*PIECE_PART_COLUMNS)
        .annotate(**hallmarking.hallmark_annotations())
        .prefetch_related(
            *_ordered_children(),
            Prefetch("hallmarks", queryset=HallmarkRecord.objects.order_by("id")),
            Prefetch("hallmarks__maker_mark", queryset=MakerMark.objects.only("text")),
            Prefetch("techniques", queryset=Technique.objects.only("name")),
            Prefetch(
                "artisan__maker_marks",
                queryset=MakerMark.objects.only(
                    "artisan_id", "text", "registration_system", "verification_status"
                ).order_by("text"),
            ),
        )
    )


def _visible(user) -> Q:
    """Pieces anyone may open (published, reserved, sold), and the user's own."""
    return _visible_to(_signed_in_id(user))


def _signed_in_id(user) -> int | None:
    return user.pk if user is not None and user.is_authenticated else None


def _visible_to(user_id: int | None) -> Q:
    """``_visible`` for a user by id (``None``: nobody signed in)."""
    visible = Listing.public_q()
    if user_id is not None:
        visible |= Q(artisan__user_id=user_id) | Q(private_to_id=user_id)
    return visible


def listing_get(*, user, slug: str) -> Listing:
    """A piece anyone may open (published, reserved, sold), or the maker's own: else 404."""
    listing = listing_detail_queryset().filter(_visible(user), slug=slug).first()
    if listing is None:
        raise Http404("No such piece.")
    return listing


def _page_columns(model, leave=()) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if f.attname not in leave]


# What the piece page reads of its piece and artisan (not the search vector).
_PAGE_LISTING = _page_columns(Listing, leave={"search_vector"})
_PAGE_ARTISAN = _page_columns(Artisan)


def _piece_page_query(*, slug: str, parts_version: str, user_id: int | None = None):
    return (
        Listing.objects.filter(_visible_to(user_id), slug=slug)
        .annotate(
            **_metal_prices_stamp(),
            stored_parts=_stored_parts(parts_version),
            other_cards=JSONRows(
                artisan_other_listings(
                    artisan_id=OuterRef("artisan_id"), listing_id=OuterRef("pk")
                ).values_list("pk", "card__html", "card__version")
            ),
        )
        .order_by()
        .values_list(
            *_PAGE_LISTING,
            *(f"artisan__{name}" for name in _PAGE_ARTISAN),
            _PRICES_STAMP,
            "stored_parts",
            "other_cards",
        )[:1]
    )


_PIECE_PAGE = Baked(_piece_page_query)


def _stored_parts(version: str) -> RawSQL:
    """A listing's stored piece parts if ``version`` built them, else NULL."""
    quote = connection.ops.quote_name
    listing, card = quote(Listing._meta.db_table), quote(ListingCard._meta.db_table)
    # Identifiers from the models only; the version is a parameter.
    sql = (
        f"SELECT page FROM {card} WHERE listing_id = {listing}.id AND page_version = %s"  # noqa: S608
    )
    return RawSQL(sql, (version,), output_field=TextField())  # noqa: S611


def listing_page_get(*, user, slug: str, parts_version: str) -> Listing:
    """``listing_get``'s piece with its artisan, in one query compiled once per process:
    what the piece page shows around its stored parts, the parts stored by
    ``parts_version`` as ``stored_parts`` (else ``None``: ``listing_parts_get`` reads
    what they show), what says whether the kept reference prices are current
    (``listing_value_panel``), and ``artisan_other_listings`` with their stored cards
    as ``other_cards``: rows of (id, card HTML, card version), for ``cards_html_of``."""
    arguments: dict = {"slug": slug, "parts_version": parts_version}
    if (user_id := _signed_in_id(user)) is not None:
        arguments["user_id"] = user_id
    rows = _PIECE_PAGE.rows(**arguments)
    if not rows:
        raise Http404("No such piece.")
    row, listed = rows[0], len(_PAGE_LISTING)
    artisan_end = listed + len(_PAGE_ARTISAN)
    listing = Listing.from_db(DEFAULT_DB_ALIAS, _PAGE_LISTING, row[:listed])
    listing.artisan = Artisan.from_db(
        DEFAULT_DB_ALIAS, _PAGE_ARTISAN, row[listed:artisan_end]
    )
    setattr(listing, _PRICES_STAMP, row[artisan_end])
    listing.stored_parts = row[artisan_end + 1]
    listing.other_cards = JSONRows.load(row[artisan_end + 2])
    return listing


def listing_parts_get(*, pk: int) -> Listing:
    """A listing as its piece page's stored parts show it."""
    return listing_parts_queryset().get(pk=pk)


def studio_listing_list(*, user) -> QuerySet[Listing]:
    """An artisan's own pieces in every state, for their workspace."""
    return (
        Listing.objects.filter(artisan__user=user)
        .select_related("artisan")
        .prefetch_related(
            Prefetch("photos", queryset=ListingPhoto.objects.order_by("position", "id"))
        )
        .order_by("-updated_at", "-id")
    )


def studio_listing_get(*, user, slug: str) -> Listing:
    """One of the artisan's own pieces; anyone else's is a 404."""
    listing = listing_detail_queryset().filter(artisan__user=user, slug=slug).first()
    if listing is None:
        raise Http404("No such piece in your workshop.")
    return listing


def artisan_other_listings(
    *, artisan_id: int, listing_id: int, limit: int = 4
) -> QuerySet[Listing]:
    """A few more published pieces by the same artisan, newest first (a page shows
    their stored cards)."""
    return (
        Listing.objects.published()
        .filter(artisan_id=artisan_id)
        .exclude(pk=listing_id)
        .order_by("-published_at", "-id")[:limit]
    )


def favourite_list(*, user) -> QuerySet[Favourite]:
    """The user's favourite pieces (still visible) and artisans, newest first."""
    return (
        Favourite.objects.filter(user=user)
        .filter(
            Q(artisan__isnull=False) | Q(listing__status__in=Listing.PUBLIC_STATUSES)
        )
        .select_related("listing", "listing__artisan", "artisan")
        .prefetch_related(
            Prefetch(
                "listing__photos",
                queryset=ListingPhoto.objects.order_by("position", "id"),
            )
        )
        .order_by("-created_at", "-id")
    )


def favourite_listing_ids(*, user, listings) -> set[int]:
    """Which of these pieces the user has favourited (one query)."""
    if not user.is_authenticated:
        return set()
    return set(
        Favourite.objects.filter(
            user=user, listing_id__in=[listing.pk for listing in listings]
        ).values_list("listing_id", flat=True)
    )


def metal_price_list() -> QuerySet[MetalPrice]:
    return MetalPrice.objects.order_by("metal", "-as_of", "-id")


# --- The value panel --------------------------------------------------------------------


@dataclass
class MetalValue:
    metal: str
    label: str
    fine_grams: Decimal
    price: MetalPrice | None

    @property
    def value(self) -> Decimal | None:
        if self.price is None:
            return None
        return (self.fine_grams * self.price.price_per_gram).quantize(Decimal("0.01"))


@dataclass
class ValuePanel:
    rows: list[MetalValue]
    currency: str

    @property
    def fine_grams(self) -> Decimal:
        return sum((row.fine_grams for row in self.rows), Decimal("0"))

    @property
    def total(self) -> Decimal | None:
        values = [row.value for row in self.rows]
        if not values or any(value is None for value in values):
            return None
        return sum(values, Decimal("0"))

    @property
    def missing_prices(self) -> list[str]:
        return [row.label for row in self.rows if row.price is None]


def listing_fine_metal(*, listing: Listing) -> dict[str, Decimal]:
    """Grams of fine metal per precious metal in the piece (its components')."""
    fine: dict[str, Decimal] = {}
    for component in listing.metals.all():
        if component.metal in PRECIOUS_METALS and component.fine_weight_grams > 0:
            fine[component.metal] = (
                fine.get(component.metal, Decimal("0")) + component.fine_weight_grams
            )
    return fine


def listing_value_panel(
    *, listing: Listing, fine: dict[str, Decimal] | None = None
) -> ValuePanel:
    """Fine metal per precious metal (``listing_fine_metal``, unless given) and its
    value at the latest reference prices."""
    if fine is None:
        fine = listing_fine_metal(listing=listing)
    if not fine:
        prices = {}
    elif hasattr(listing, _PRICES_STAMP):
        latest = _latest_metal_prices(stamp=getattr(listing, _PRICES_STAMP))
        prices = {
            metal: latest[listing.currency, metal]
            for metal in fine
            if (listing.currency, metal) in latest
        }
    else:
        prices = MetalPrice.objects.filter(
            currency=listing.currency, metal__in=list(fine)
        ).latest_per_metal()
    rows = [
        MetalValue(
            metal=metal,
            label=component_label(metal),
            fine_grams=grams,
            price=prices.get(metal),
        )
        for metal, grams in fine.items()
    ]
    return ValuePanel(rows=rows, currency=listing.currency)


# The reference prices are few and change daily at most: each process keeps the latest
# per currency and metal, and a piece page reads with its piece a stamp that says
# whether they are still the latest (the table's number of rows and newest change).
_PRICES_STAMP = "metal_prices_stamp"
_kept_prices: tuple[str | None, dict] = (None, {})


def _metal_prices_stamp() -> dict:
    """The annotation that reads the stamp, as one text column: the table's number of
    rows and its newest change (a row added, changed or deleted moves it)."""
    table = connection.ops.quote_name(MetalPrice._meta.db_table)
    stamp = (
        "CAST(COUNT(*) AS TEXT) || ' ' || COALESCE(CAST(MAX(updated_at) AS TEXT), '')"
    )
    sql = f"SELECT {stamp} FROM {table}"  # noqa: S608
    return {_PRICES_STAMP: RawSQL(sql, (), output_field=CharField())}  # noqa: S611


def _latest_metal_prices(*, stamp: str) -> dict[tuple[str, str], MetalPrice]:
    """The latest price per (currency, metal), read again when ``stamp`` changes."""
    global _kept_prices
    kept_stamp, latest = _kept_prices
    if kept_stamp != stamp:
        latest = MetalPrice.objects.latest_per_currency_and_metal()
        _kept_prices = (stamp, latest)
    return latest


def component_label(metal: str) -> str:
    return Metal(metal).label


def listing_hallmark_status(*, listing: Listing) -> dict:
    """Rule 5 (``marketplace.catalogue.hallmarking``): a piece over the UK exemption weight
    without a UK/CCM hallmark is shown as "not hallmarked" (never hidden). Reads the
    annotations of ``listing_detail_queryset``, else asks the database once."""
    flags = hallmarking.HALLMARK_FLAGS
    if all(hasattr(listing, name) for name in flags):
        values = {name: getattr(listing, name) for name in flags}
    else:
        values = (
            Listing.objects.filter(pk=listing.pk)
            .annotate(**hallmarking.hallmark_annotations())
            .values(*flags)
            .get()
        )
    status, missing = hallmarking.status_from_flags(values)
    return {
        "status": status,
        "missing": [component_label(metal) for metal in missing],
        "label": hallmarking.LABELS[status],
    }
