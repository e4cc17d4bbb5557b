"""The catalogue's rating facet and sort read the artisan's kept average, and stay
exact through every review write (the facet index's change log, as for every facet)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from artisans.models import Artisan
from marketplace.catalogue import facet_index
from marketplace.catalogue.models import Listing
from marketplace.reviews import services
from tests import factories as f
from tests.catalogue.test_facet_index import (
    assert_same_as_a_fresh_build,
    counts,
    sql_count,
)
from tests.paging import cursor_pages, flattened
from tests.reviews.helpers import assert_kept_figures_match, delivered_line, review_of

pytestmark = pytest.mark.django_db


def _rating_counts_match_sql():
    got, _total = counts()
    for value in ("4-up", "3-up"):
        assert got["rating"].get(value, 0) == sql_count({"rating": [value]}), value
    assert_same_as_a_fresh_build()
    return got["rating"]


@pytest.fixture
def shops():
    """Two artisans with pieces on sale, each with one sold piece to review."""
    good, fair = f.ArtisanFactory(), f.ArtisanFactory()
    for artisan in (good, fair):
        for _ in range(3):
            f.catalogue_listing(artisan=artisan)
    facet_index.current()
    return good, fair


def test_the_rating_facet_follows_every_kind_of_review_write(shops):
    good, fair = shops
    assert _rating_counts_match_sql() == {"4-up": 0, "3-up": 0}
    great = review_of(delivered_line(listing=f.catalogue_listing(artisan=good)))
    meh = review_of(delivered_line(listing=f.catalogue_listing(artisan=fair)), rating=3)
    assert _rating_counts_match_sql() == {"4-up": 3, "3-up": 6}
    assert_kept_figures_match()

    services.review_update(
        review=meh, actor=meh.author, rating=5, title="Better", text="Second look"
    )
    assert _rating_counts_match_sql() == {"4-up": 6, "3-up": 6}
    services.review_moderate(
        review=great, actor=f.VerifierFactory(), action="hide", reason="Fake"
    )
    assert _rating_counts_match_sql() == {"4-up": 3, "3-up": 3}
    assert_kept_figures_match()
    services.review_moderate(
        review=great, actor=f.VerifierFactory(), action="restore", reason="Real"
    )
    assert _rating_counts_match_sql() == {"4-up": 6, "3-up": 6}
    assert_kept_figures_match()


def test_a_rebuild_keeps_the_facet_exact(shops):
    good, _fair = shops
    review_of(delivered_line(listing=f.catalogue_listing(artisan=good)), rating=4)
    Artisan.objects.filter(pk=good.pk).update(
        rating_average=Decimal("1.00"), rating_total=1, rating_4=0, rating_1=1
    )
    services.ratings_rebuild()
    assert _rating_counts_match_sql() == {"4-up": 3, "3-up": 3}
    assert_kept_figures_match()


def test_sort_by_rating_on_the_page_and_in_api_cursor_pages(shops, client):
    good, fair = shops
    review_of(delivered_line(listing=f.catalogue_listing(artisan=good)), rating=5)
    review_of(delivered_line(listing=f.catalogue_listing(artisan=fair)), rating=3)
    none = f.catalogue_listing(artisan=f.ArtisanFactory())
    expected = list(
        Listing.objects.published()
        .order_by("-artisan__rating_average", "-id")
        .values_list("slug", flat=True)
    )
    assert expected[-1] == none.slug
    page = client.get(reverse("marketplace:listing-list"), {"ordering": "rating"})
    slug_of = dict(Listing.objects.values_list("pk", "slug"))
    assert [slug_of[card.pk] for card in page.context["cards"]] == expected
    filtered = client.get(
        reverse("marketplace:listing-list"), {"rating": "4-up", "ordering": "rating"}
    )
    assert {card.artisan_id for card in filtered.context["cards"]} == {good.pk}
    url = reverse("api:listing-list") + "?ordering=rating&page_size=2"
    assert flattened(cursor_pages(client, url)[0]) == expected
