"""Rule 5 has one home: the piece page's status and the "Hallmarked" facet agree."""

from decimal import Decimal

import pytest

from marketplace.catalogue.facets import CatalogueQuery
from marketplace.catalogue.filters import ListingFilter
from marketplace.catalogue.selectors import listing_get, listing_list
from tests import factories as f

pytestmark = pytest.mark.django_db

FACET_VALUE = {"hallmarked": "yes", "not_hallmarked": "no", "exempt": "exempt"}


def piece(*components, marks=()):
    listing = f.ListingFactory(published=True)
    listing.metals.all().delete()
    for metal, grams, construction in components:
        f.MetalComponentFactory(
            listing=listing,
            metal=metal,
            fineness={"silver": 925, "gold": 750, "platinum": 950}.get(metal),
            construction=construction,
            weight_grams=Decimal(grams),
        )
    for system, metal, status in marks:
        f.HallmarkRecordFactory(
            listing=listing,
            system=system,
            metal=metal,
            fineness_mark={"silver": 925, "gold": 750, "platinum": 950}[metal],
            huid=f"AB{listing.pk:04d}"[-6:] if system == "bis" else "",
            verification_status=status,
        )
    return listing


@pytest.fixture
def pieces():
    return {
        "uk silver over the limit": (
            piece(("silver", "8.5", "solid"), marks=[("uk", "silver", "submitted")]),
            "hallmarked",
        ),
        "silver over the limit, no mark": (
            piece(("silver", "8.5", "solid")),
            "not_hallmarked",
        ),
        "silver exactly at the limit in two parts": (
            piece(("silver", "3.890", "solid"), ("silver", "3.890", "solid")),
            "exempt",
        ),
        "a milligram over, in two parts": (
            piece(("silver", "3.890", "solid"), ("silver", "3.891", "solid")),
            "not_hallmarked",
        ),
        "BIS only, over the limit": (
            piece(("silver", "9", "solid"), marks=[("bis", "silver", "verified")]),
            "not_hallmarked",
        ),
        "BIS only, under the limit": (
            piece(("silver", "5", "solid"), marks=[("bis", "silver", "verified")]),
            "exempt",
        ),
        "gold marked, silver over the limit unmarked": (
            piece(
                ("gold", "2", "solid"),
                ("silver", "8", "solid"),
                marks=[("ccm", "gold", "verified")],
            ),
            "not_hallmarked",
        ),
        "rejected mark": (
            piece(("platinum", "0.6", "solid"), marks=[("uk", "platinum", "rejected")]),
            "not_hallmarked",
        ),
        "heavy vermeil counts as silver": (
            piece(("silver", "8", "vermeil")),
            "not_hallmarked",
        ),
        "heavy plated brass needs no mark": (
            piece(("brass", "30", "plated")),
            "exempt",
        ),
        "light but marked": (
            piece(("gold", "0.8", "solid"), marks=[("uk", "gold", "verified")]),
            "hallmarked",
        ),
    }


def test_the_page_and_the_facet_give_every_piece_the_same_status(client, pieces):
    base = listing_list()
    counts = {
        v["value"]: v["count"]
        for facet in CatalogueQuery(ListingFilter({}, queryset=base)).facets(base)
        if facet["name"] == "hallmarked"
        for v in facet["values"]
    }
    expected_counts = {"yes": 0, "no": 0, "exempt": 0}
    for name, (listing, status) in pieces.items():
        shown = listing_get(user=None, slug=listing.slug)
        page = client.get(listing.get_absolute_url()).context["hallmark_status"]
        assert page["status"] == status, name
        value = FACET_VALUE[status]
        expected_counts[value] += 1
        for other in FACET_VALUE.values():
            matching = ListingFilter({"hallmarked": [other]}, queryset=base).qs
            assert (shown in matching) == (other == value), (name, other)
    assert counts == expected_counts


def test_the_page_names_the_metal_without_a_mark(client, pieces):
    listing, _status = pieces["gold marked, silver over the limit unmarked"]
    page = client.get(listing.get_absolute_url())
    assert page.context["hallmark_status"]["missing"] == ["Silver"]
    assert "the silver in this piece weighs more" in page.content.decode()
