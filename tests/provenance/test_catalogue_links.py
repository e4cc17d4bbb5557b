"""The piece page links to its certificate; the catalogue filters by provenance."""

from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from provenance import services
from tests import factories

pytestmark = pytest.mark.django_db


def _made(artisan, lot, grams="9.000"):
    listing = factories.ListingFactory(artisan=artisan, published=True)
    factories.MetalComponentFactory(listing=listing, weight_grams=Decimal("8.500"))
    services.piece_fabricate(
        actor=artisan.user,
        listing=listing,
        inputs=[(lot, Decimal(grams))],
        loss_grams=Decimal(grams) - Decimal("8.500"),
        occurred_at=timezone.now() - timezone.timedelta(days=1),
    )
    return listing


def test_the_piece_page_links_to_its_certificate(client, piece):
    listing, _lot = piece
    page = client.get(listing.get_absolute_url()).content.decode()
    assert listing.certificate.get_absolute_url() in page
    assert "Chain verified" in page
    bare = factories.ListingFactory(published=True)
    page = client.get(bare.get_absolute_url()).content.decode()
    assert 'id="certificate-link"' not in page


def test_catalogue_filters_by_recycled_metal_chain_and_metal_origin(
    client, artisan, django_capture_on_commit_callbacks
):
    recycled = factories.recycled_silver_lot(
        artisan, reference="R", origin_country="GB"
    )
    mined = factories.recycled_silver_lot(
        artisan, reference="M", origin_type="mined", origin_country="MX"
    )
    green = _made(artisan, recycled)
    mexican = _made(artisan, mined)
    plain = factories.ListingFactory(artisan=artisan, published=True)

    def titles(**params):
        response = client.get(reverse("api:listing-list"), params)
        assert response.status_code == 200
        return {row["title"] for row in response.json()["results"]}

    assert titles(recycled="all") == {green.title}
    assert titles(recycled="any") == {green.title}
    assert titles(metal_origin="MX") == {mexican.title}
    assert titles(chain="verified") == {green.title, mexican.title}
    assert plain.title not in titles(chain="verified")

    fabrication = mexican.trace_items.get(role="output").event
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE provenance_traceevent SET note = %s WHERE id = %s",
            ["edited", fabrication.pk],
        )
    with django_capture_on_commit_callbacks(execute=True):
        client.get(mexican.certificate.get_absolute_url())  # the chain is recomputed
    assert titles(chain="verified") == {green.title}

    html = client.get("/pieces/", {"recycled": "all"}).content.decode()
    assert green.title in html and mexican.title not in html
    assert "Recycled metal" in html and "Metal from" in html
