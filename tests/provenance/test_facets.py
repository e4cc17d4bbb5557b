"""The provenance conditions the catalogue filters by."""

from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from marketplace.catalogue.models import Listing
from provenance import facets, services
from tests import factories

pytestmark = pytest.mark.django_db


def _piece(artisan, lots_and_grams):
    listing = factories.ListingFactory(artisan=artisan, published=True)
    total = sum(g for _l, g in lots_and_grams)
    factories.MetalComponentFactory(
        listing=listing, weight_grams=total - Decimal("0.5")
    )
    services.piece_fabricate(
        actor=artisan.user,
        listing=listing,
        inputs=lots_and_grams,
        loss_grams=Decimal("0.5"),
        occurred_at=timezone.now() - timezone.timedelta(days=1),
    )
    return listing


def test_recycled_verified_and_origin_conditions(artisan):
    recycled = factories.recycled_silver_lot(
        artisan, reference="R", origin_country="GB"
    )
    mined = factories.recycled_silver_lot(
        artisan, reference="M", origin_type="mined", origin_country="MX"
    )
    all_recycled = _piece(artisan, [(recycled, Decimal("9"))])
    mixed = _piece(artisan, [(recycled, Decimal("5")), (mined, Decimal("5"))])
    mined_only = _piece(artisan, [(mined, Decimal("9"))])
    no_chain = factories.ListingFactory(artisan=artisan, published=True)
    pieces = Listing.objects.all()

    assert set(pieces.filter(facets.recycled_any())) == {all_recycled, mixed}
    assert set(pieces.filter(facets.recycled_all())) == {all_recycled}
    assert set(pieces.filter(facets.metal_from(["MX"]))) == {mixed, mined_only}
    assert no_chain not in set(pieces.filter(facets.chain_verified()))
    assert set(pieces.filter(facets.chain_verified())) == {
        all_recycled,
        mixed,
        mined_only,
    }
    assert set(facets.metal_origin_pairs(pieces)) == {
        (all_recycled.pk, "GB"),
        (mixed.pk, "GB"),
        (mixed.pk, "MX"),
        (mined_only.pk, "MX"),
    }
    # Filtering through to-many joins never duplicates pieces.
    assert pieces.filter(facets.recycled_any()).count() == 2

    fabrication = mixed.trace_items.get(role="output").event
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE provenance_traceevent SET note = %s WHERE id = %s",
            ["edited", fabrication.pk],
        )
    from django.core.management import call_command

    call_command("verify_chains")
    assert set(pieces.filter(facets.chain_verified())) == {all_recycled, mined_only}
