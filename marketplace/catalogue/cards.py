"""The catalogue's cards, stored as they are served.

A card is what the API list serves for a listing (``ListingSerializer``'s JSON) and what
the grid shows (``listing_card.html``), built once and stored in ``ListingCard``, so
that a page of the catalogue is one indexed read of its cards. :func:`cards_for` reads
them and builds the missing ones. Every change the catalogue's change log records
deletes the cards it names, in the writer's transaction (a database trigger:
``marketplace.catalogue.changes``); the log watches what cards show as well as what
facets read. A card built from rows that a writer changed before the card was stored
is deleted again: the change log says so, or, for a writer still open then, the signal
on its save forgets the card again once it commits (:func:`cards_forget`).

The JSON's absolute URLs (photo thumbnails) depend on the request's scheme and host,
so they are stored with a stand-in that starts with a NUL character and put in at read
time by :func:`cards_json`. The project refuses NUL in every input, so a JSON string
that starts with an escaped NUL is always a stand-in, never text someone wrote.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models import Q
from django.dispatch import receiver
from django.http import HttpRequest
from django.template import Context
from django.template.loader import get_template
from django.utils import translation
from django.utils.encoding import iri_to_uri
from django.utils.safestring import SafeString, mark_safe
from rest_framework.renderers import JSONRenderer

from config.baked import Baked
from marketplace.catalogue.models import CatalogueChange, Listing, ListingCard
from marketplace.catalogue.summaries import ArtisanSummarySerializer, ListingSerializer

CARD_TEMPLATE = "catalogue/includes/listing_card.html"

# A URL on the request's origin is stored as ORIGIN + path; a scheme-relative one
# (``//cdn.example/x``) as SCHEME + ``://cdn.example/x``.
ORIGIN = "\x00o"
SCHEME = "\x00s"
# How each appears at the start of a JSON string, as the renderer escapes it.
_ORIGIN_JSON = '"\\u0000o'
_SCHEME_JSON = '"\\u0000s'
_BUILD_HOST = "cards.invalid"


class StandInRequest(HttpRequest):
    """Builds absolute URLs as a request does, with stand-ins for its scheme and host;
    URLs that are absolute already (object storage) pass through as they would."""

    def __init__(self):
        super().__init__()
        self.path = "/"
        self.META = {"SERVER_NAME": _BUILD_HOST, "SERVER_PORT": "80"}

    def get_host(self):
        return _BUILD_HOST

    def build_absolute_uri(self, location=None):
        built = super().build_absolute_uri(location)
        bits = urlsplit(str(location))
        if bits.scheme and bits.netloc:
            return built
        origin = f"http://{_BUILD_HOST}"
        if not bits.netloc and built.startswith(origin):
            return ORIGIN + built.removeprefix(origin)
        if built.startswith("http:"):
            return SCHEME + built.removeprefix("http")
        return built


def _json_text(value) -> str:
    return JSONRenderer().render(value).decode()


def cards_json(cards: Iterable[ListingCard], request) -> list[str]:
    """The cards' JSON for this request: its origin (and scheme) put in."""
    origin = _json_text(iri_to_uri(f"{request.scheme}://{request.get_host()}"))
    scheme = _json_text(iri_to_uri(request.scheme))
    stand_ins = ((_ORIGIN_JSON, '"' + origin[1:-1]), (_SCHEME_JSON, '"' + scheme[1:-1]))
    texts = []
    for card in cards:
        text = card.json
        if "\\u0000" in text:
            for stand_in, value in stand_ins:
                text = text.replace(stand_in, value)
        texts.append(text)
    return texts


@cache
def card_version() -> str:
    """What a stored card was built with: a card of another version is rebuilt."""
    template = get_template(CARD_TEMPLATE)
    parts = [
        template.template.source,
        repr(ListingSerializer.Meta.fields),
        # The placeholder of a photo without thumbnails, a static file's URL.
        template.template.engine.from_string(
            "{% load images %}{{ None|thumb_url }}"
        ).render(Context()),
        str(settings.MEDIA_URL),
        repr(settings.STORAGES.get("default")),
        settings.LANGUAGE_CODE,
        settings.TIME_ZONE,
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


@receiver(setting_changed, dispatch_uid="ts-card-version")
def _settings_changed(**kwargs):
    card_version.cache_clear()
    piece_version.cache_clear()


# The columns a card shows, and no others: those its serializers name (the template
# shows a subset). The change log watches exactly these
# (``tests/catalogue/test_change_recording`` reads this query's SQL).
CARD_COLUMNS = (
    *(
        name
        for name in ListingSerializer.Meta.fields
        if name not in ("artisan", "main_photo", "url")
    ),
    *(f"artisan__{name}" for name in ArtisanSummarySerializer.Meta.fields),
)


def _build(ids: list[int], version: str) -> list[ListingCard]:
    listings = list(
        Listing.objects.with_card_data()
        .only(*CARD_COLUMNS)
        .filter(pk__in=ids)
        .order_by()
    )
    rows = ListingSerializer(
        listings, many=True, context={"request": StandInRequest()}
    ).data
    template = get_template(CARD_TEMPLATE)
    with translation.override(settings.LANGUAGE_CODE):
        return [
            ListingCard(
                listing=listing,
                artisan_id=listing.artisan_id,
                json=_json_text(row),
                html=template.render({"listing": listing}),
                version=version,
            )
            for listing, row in zip(listings, rows, strict=True)
        ]


# What a card is read with (not the piece page's parts), in a query compiled once per
# process and number of ids.
_CARD_COLUMNS = ["listing_id", "artisan_id", "json", "html", "version"]
_STORED_CARDS = Baked(
    lambda ids, version: (
        ListingCard.objects.of_listings(ids)
        .filter(version=version)
        .order_by()
        .values_list(*_CARD_COLUMNS)
    )
)


def cards_for(*, ids: Iterable[int]) -> dict[int, ListingCard]:
    """The cards of these listings by listing id, built and stored where missing.

    One query when every card is stored; a fixed few more otherwise, whatever the
    number of ids. A listing that no longer exists has no card.
    """
    ids = list(dict.fromkeys(int(pk) for pk in ids))
    if not ids:
        return {}
    version = card_version()
    found = {
        row[0]: ListingCard.from_db(DEFAULT_DB_ALIAS, _CARD_COLUMNS, row)
        for row in _STORED_CARDS.rows(ids=ids, version=version)
    }
    missing = [pk for pk in ids if pk not in found]
    if missing:
        # On SQLite the transaction takes the write lock: no writer commits between
        # the read of a listing and the store of its card.
        with transaction.atomic():
            revision = _revision()
            built = _build(missing, version)
            ListingCard.objects.bulk_create(
                built,
                update_conflicts=True,
                unique_fields=["listing"],
                update_fields=["artisan_id", "json", "html", "version"],
            )
        # Elsewhere a writer may have committed since the read: its change is logged
        # by now, and its own forgetting may have come before the store.
        stale = _changed_since(revision, built)
        if stale:
            ListingCard.objects.filter(pk__in=stale).delete()
        found.update((card.pk, card) for card in built)
    return found


def _revision() -> int:
    """The newest change in the log."""
    newest = CatalogueChange.objects.order_by("-pk").values_list("pk", flat=True)
    return newest.first() or 0


def _changed_since(revision: int, cards: list[ListingCard]) -> set[int]:
    """Of these cards, those that a change logged after ``revision`` names."""
    if not cards:
        return set()
    listings = {card.pk for card in cards}
    artisans = {card.artisan_id for card in cards}
    changes = (
        CatalogueChange.objects.filter(pk__gt=revision)
        .filter(
            Q(listing_id__in=listings)
            | Q(artisan_id__in=artisans)
            | Q(listing_id__isnull=True, artisan_id__isnull=True)
        )
        .values_list("listing_id", "artisan_id")
    )
    named_listings, named_artisans, everything = set(), set(), False
    for listing_id, artisan_id in changes:
        named_listings.add(listing_id)
        named_artisans.add(artisan_id)
        everything |= listing_id is None and artisan_id is None
    return {
        card.pk
        for card in cards
        if everything or card.pk in named_listings or card.artisan_id in named_artisans
    }


def _delete(listings: list[int], artisans: list[int], everything: bool) -> None:
    if everything:
        ListingCard.objects.all().delete()
        return
    if listings:
        ListingCard.objects.of_listings(listings).delete()
    if artisans:
        ListingCard.objects.of_artisans(artisans).delete()


# --- the piece page's parts that every visitor sees alike -------------------------------

# Part name -> template. The piece page (``catalogue/listing_detail.html``) puts what
# depends on the visitor, the stock, reference prices and reviews around them.
PIECE_PARTS = {
    name: f"catalogue/piece/{name}.html"
    for name in ("gallery", "summary", "about", "maker", "materials", "care")
}


# How the parts are stored (``_piece_json``): a change to it changes the version.
_PIECE_LAYOUT = "html, fine_metal"


@cache
def piece_version() -> str:
    """What stored piece parts were built with: parts of another version are rebuilt."""
    parts = [get_template(name).template.source for name in PIECE_PARTS.values()]
    parts += [
        _PIECE_LAYOUT,
        str(settings.MEDIA_URL),
        repr(settings.STORAGES.get("default")),
        settings.LANGUAGE_CODE,
        settings.TIME_ZONE,
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class PieceParts:
    """A piece page's stored parts (name -> HTML) and the fine metal its value panel
    prices (metal -> grams)."""

    html: dict[str, SafeString]
    fine_metal: dict[str, Decimal]


def piece_parts_render(
    listing: Listing, *, hallmark_status: dict, fine_metal: dict[str, Decimal]
) -> PieceParts:
    """The parts of a listing read by ``selectors.listing_parts_queryset``."""
    context = {
        "listing": listing,
        "photos": list(listing.photos.all()),
        "metals": list(listing.metals.all()),
        "gemstones": list(listing.gemstones.all()),
        "hallmarks": list(listing.hallmarks.all()),
        "maker_marks": [
            mark for mark in listing.artisan.maker_marks.all() if mark.is_verified
        ],
        "hallmark_status": hallmark_status,
    }
    with translation.override(settings.LANGUAGE_CODE):
        html = {
            name: get_template(template).render(context)
            for name, template in PIECE_PARTS.items()
        }
    return PieceParts(html=html, fine_metal=fine_metal)


def _piece_json(parts: PieceParts) -> str:
    fine = {metal: str(grams) for metal, grams in parts.fine_metal.items()}
    return json.dumps({"html": parts.html, "fine_metal": fine})


def _piece_from_json(text: str) -> PieceParts:
    stored = json.loads(text)
    return PieceParts(
        html={name: mark_safe(html) for name, html in stored["html"].items()},  # noqa: S308
        fine_metal={
            metal: Decimal(grams) for metal, grams in stored["fine_metal"].items()
        },
    )


def piece_parts_for(*, listing_id: int, build, stored: str | None) -> PieceParts:
    """A listing's piece parts: ``stored``, as ``selectors.listing_page_get`` read
    them with the listing (``None`` when this version has not stored them); else built
    by ``build()`` (the parts read afresh: ``piece_parts_render``) and stored, as cards
    are: a write logged after the read forgets them again."""
    version = piece_version()
    if stored:
        return _piece_from_json(stored)
    card = cards_for(ids=[listing_id]).get(listing_id)
    with transaction.atomic():
        revision = _revision()
        text = _piece_json(build())
        kept = ListingCard.objects.filter(pk=listing_id).update(
            page=text, page_version=version
        )
    if card is not None and kept and _changed_since(revision, [card]):
        ListingCard.objects.filter(pk=listing_id).delete()
    # Read back as a stored one is, so that both give the same.
    return _piece_from_json(text)


def cards_html_of(rows: list) -> list[SafeString]:
    """The card HTML of listings read with their stored cards, as rows of (id, card
    HTML, card version), in their order; ``cards_for`` builds the missing ones."""
    version = card_version()
    missing = [pk for pk, _html, built in rows if built != version]
    rebuilt = cards_for(ids=missing) if missing else {}
    return [
        mark_safe(html if built == version else rebuilt[pk].html)  # noqa: S308
        for pk, html, built in rows
        if built == version or pk in rebuilt
    ]


def cards_forget(
    *,
    listings: Iterable[int] = (),
    artisans: Iterable[int] = (),
    everything: bool = False,
) -> None:
    """Delete the cards of these listings, of these artisans' listings, or all cards.

    Runs in the caller's transaction, so the change and the forgetting commit together;
    and again once it commits, for a reader that built a card from the rows as they
    were before.
    """
    listings = sorted({int(pk) for pk in listings if pk is not None})
    artisans = sorted({int(pk) for pk in artisans if pk is not None})
    if not (listings or artisans or everything):
        return
    _delete(listings, artisans, everything)
    if connection.in_atomic_block:
        transaction.on_commit(lambda: _delete(listings, artisans, everything))


def page_json(*, next_link: str | None, previous_link: str | None, cards) -> bytes:
    """A page of the API list, byte for byte as the JSON renderer writes the
    paginated response (``cards``: the JSON of each card, from :func:`cards_json`)."""
    empty = _json_text({"next": next_link, "previous": previous_link, "results": []})
    head, _, tail = empty.rpartition("[]")
    separator = _json_text([0, 0])[2:-2]
    return f"{head}[{separator.join(cards)}]{tail}".encode()
