"""JSONRows: a subquery's rows carried in the outer row, ordered and sliced as the
subquery says, on both databases."""

import pytest
from django.db.models import OuterRef

from config.expressions import JSONRows
from marketplace.catalogue.models import Listing
from tests import factories as f

pytestmark = pytest.mark.django_db


def others_of(artisan_id, listing_id, limit):
    return (
        Listing.objects.filter(artisan_id=artisan_id)
        .exclude(pk=listing_id)
        .order_by("-title", "-pk")
        .values_list("pk", "title")[:limit]
    )


@pytest.mark.parametrize("limit", [1, 3, 10])
def test_rows_are_the_subquerys_own_in_its_order(django_assert_num_queries, limit):
    first = f.catalogue_listing(title="B first")
    for title in ("A", "D", "C", "B", 'E "quoted" & <b>'):
        f.catalogue_listing(artisan=first.artisan, title=title)
    lonely = f.catalogue_listing(title="Alone")
    outer = Listing.objects.filter(pk__in=[first.pk, lonely.pk]).order_by("pk")
    with django_assert_num_queries(1):
        rows = dict(
            outer.annotate(
                others=JSONRows(
                    others_of(OuterRef("artisan_id"), OuterRef("pk"), limit)
                )
            ).values_list("pk", "others")
        )
    assert JSONRows.load(rows[first.pk]) == list(
        others_of(first.artisan_id, first.pk, limit)
    )
    assert len(JSONRows.load(rows[first.pk])) == min(limit, 5)
    assert JSONRows.load(rows[lonely.pk]) == []  # no rows: an empty array


def test_load_of_nothing_is_no_rows():
    assert JSONRows.load(None) == []
    assert JSONRows.load("[]") == []
