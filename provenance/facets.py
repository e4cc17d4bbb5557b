"""Provenance conditions for the catalogue's filters: recycled metal, verified chains,
where the metal comes from. Each is one subquery, so filtering never duplicates rows."""

from django.db.models import Exists, OuterRef, Q

from provenance.models import RECYCLED_ORIGINS, EventItem


def _metal_inputs(listing_ref):
    """Metal lot inputs of the transformations whose output is the piece."""
    return EventItem.objects.filter(
        role=EventItem.Role.INPUT,
        lot__material="metal",
        event__items__role=EventItem.Role.OUTPUT,
        event__items__listing=listing_ref,
    )


def recycled_any() -> Q:
    """Some of the piece's metal comes from recycled lots."""
    return Q(
        Exists(
            _metal_inputs(OuterRef("pk")).filter(lot__origin_type__in=RECYCLED_ORIGINS)
        )
    )


def recycled_all() -> Q:
    """All of the piece's metal comes from recycled lots ("100% recycled")."""
    return recycled_any() & ~Q(
        Exists(
            _metal_inputs(OuterRef("pk")).exclude(lot__origin_type__in=RECYCLED_ORIGINS)
        )
    )


def chain_verified() -> Q:
    """The piece's chain verified when it was last recomputed."""
    return Q(certificate__chain_verified=True)


def metal_from(countries) -> Q:
    """Some of the piece's metal comes from one of these countries."""
    return Q(
        Exists(
            _metal_inputs(OuterRef("pk")).filter(
                lot__origin_country__in=list(countries)
            )
        )
    )


def metal_origin_pairs(listings):
    """(listing id, country) for each country some of each piece's metal comes from."""
    rows = (
        EventItem.objects.filter(
            role=EventItem.Role.INPUT,
            lot__material="metal",
            event__items__role=EventItem.Role.OUTPUT,
            event__items__listing__in=listings.order_by().values("pk"),
        )
        .exclude(lot__origin_country="")
        .values_list("event__items__listing", "lot__origin_country")
        .distinct()
    )
    return ((pk, str(country)) for pk, country in rows.iterator())
