"""Baked queries: compiled once, run with each call's values, rows as the ORM gives."""

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F, Value

from config.baked import Baked
from marketplace.catalogue.models import Listing
from tests import factories as f

pytestmark = pytest.mark.django_db


def by_artisan(artisan_id, title):
    return (
        Listing.objects.filter(artisan_id=artisan_id)
        .exclude(title=title)
        .order_by("pk")
        .values_list("pk", "title", "price", "created_at")
    )


def test_rows_are_the_querysets_own_for_each_call(django_assert_num_queries):
    first, second = f.catalogue_listing(), f.catalogue_listing()
    f.catalogue_listing(artisan=first.artisan, price=Decimal("12.50"), title="Other")
    baked = Baked(by_artisan)
    for listing in (first, second, first):
        for title in ("Other", listing.title, "nothing"):
            with django_assert_num_queries(1):
                rows = baked.rows(artisan_id=listing.artisan_id, title=title)
            expected = list(by_artisan(listing.artisan_id, title))
            # Converted as the ORM converts them: decimals and aware datetimes.
            assert [tuple(row) for row in rows] == expected
    assert len(baked._compiled) == 1


def test_compiled_once_per_shape(monkeypatch):
    listings = [f.catalogue_listing() for _ in range(3)]
    builds = []

    def these(ids):
        builds.append(len(ids))
        return Listing.objects.filter(pk__in=ids).order_by("pk").values_list("pk")

    baked = Baked(these)
    pks = [listing.pk for listing in listings]
    for ids in (pks[:2], pks[1:], pks, pks[:2], [pks[0]], [], []):
        assert [row[0] for row in baked.rows(ids=ids)] == sorted(ids)
    assert builds == [2, 3, 1, 0]


def test_an_argument_carried_as_a_parameter_as_it_was_given_is_placed():
    listing = f.catalogue_listing()
    baked = Baked(
        lambda title: (
            Listing.objects.annotate(shown=Value(title))
            .filter(title=F("shown"))
            .values_list("pk")
        )
    )
    assert [row[0] for row in baked.rows(title=listing.title)] == [listing.pk]


def test_an_argument_transformed_on_the_way_is_refused():
    listing = f.catalogue_listing()
    # icontains sends "%<title>%": the stand-in is not a parameter of its own.
    baked = Baked(
        lambda title: Listing.objects.filter(title__icontains=title).values_list("pk")
    )
    with pytest.raises(ImproperlyConfigured):
        baked.rows(title=listing.title)


def test_arguments_are_ints_strs_or_lists_of_ints():
    baked = Baked(lambda flag: Listing.objects.filter(pk=flag).values_list("pk"))
    with pytest.raises(TypeError):
        baked.rows(flag=True)
    with pytest.raises(TypeError):
        baked.rows(flag=1.5)
