"""The facet index: counts equal to the filters' own SQL, and never stale after a write."""

import itertools
from decimal import Decimal

import pytest
from django.db import transaction

from marketplace.catalogue import facet_index
from marketplace.catalogue.facets import CatalogueQuery
from marketplace.catalogue.filters import ListingFilter
from marketplace.catalogue.models import CatalogueChange, Listing
from marketplace.catalogue.selectors import listing_list, listing_search
from marketplace.catalogue.services.listings import (
    listing_archive,
    listing_search_rebuild,
)
from provenance.services.verification import claim_transition
from tests import factories as f

pytestmark = pytest.mark.django_db


def counts(data=None, q=""):
    base = listing_search(listing_list(), q)
    query = CatalogueQuery(ListingFilter(data or {}, queryset=base))
    facets = query.facets(base, searched=bool(q))
    return {
        facet["name"]: {v["value"]: v["count"] for v in facet["values"]}
        for facet in facets
    }, query.total


@pytest.fixture
def catalogue():
    """A catalogue that spreads over every facet, with some pieces in several values."""
    se = f.ArtisanFactory(country="SE")
    gh = f.ArtisanFactory(country="GH")
    f.verified(f.MakerMarkFactory(artisan=se))
    hammered = f.TechniqueFactory(slug="hammered", name="Hammered")
    cast = f.TechniqueFactory(slug="cast", name="Cast")
    shapes = itertools.cycle(["ring", "pendant", "earrings"])
    prices = itertools.cycle(["80", "180", "420", "750", "1800"])
    pieces = []
    for n in range(15):
        listing = f.catalogue_listing(
            artisan=se if n % 3 else gh,
            category=next(shapes),
            price=Decimal(next(prices)),
        )
        if n % 4 == 0:
            f.MetalComponentFactory(listing=listing, metal="gold", fineness=750)
        if n % 5 == 0:
            f.GemstoneFactory(listing=listing, nature="lab_grown")
        if n % 2:
            f.GemstoneFactory(listing=listing, nature="natural")
        if n % 3 == 1:
            f.HallmarkRecordFactory(listing=listing)
        listing.techniques.set([hammered] if n % 2 else [hammered, cast])
        pieces.append(listing)
    f.ListingFactory(artisan=se)  # a draft: in no count
    listing_search_rebuild()
    return pieces


def sql_count(data, q=""):
    """What the FilterSet itself matches in SQL: the definition of a facet count."""
    base = listing_search(listing_list(), q)
    filterset = ListingFilter(data, queryset=base)
    assert filterset.is_valid(), filterset.errors
    return filterset.filter_queryset(base).count()


@pytest.mark.parametrize(
    "active",
    [
        {},
        {"category": ["ring"]},
        {"metal": ["gold"], "category": ["ring", "pendant"]},
        {"gemstone": ["natural"], "country": ["SE"], "price": ["100-250", "1000-plus"]},
        {"technique": ["cast"], "hallmarked": ["no"], "maker_mark": ["verified"]},
    ],
)
@pytest.mark.parametrize("q", ["", "silver"])
def test_every_count_equals_the_filters_own_sql(catalogue, active, q):
    got, total = counts(active, q)
    assert total == sql_count(active, q)
    for name, values in got.items():
        others = {key: value for key, value in active.items() if key != name}
        for value, count in values.items():
            assert count == sql_count({**others, name: [value]}, q), (name, value)
    assert sum(got["category"].values()) == sql_count(
        {key: value for key, value in active.items() if key != "category"}, q
    )


def assert_same_as_a_fresh_build():
    """The incrementally kept index answers exactly as one built from scratch."""
    kept = facet_index.current()
    fresh = facet_index.build()
    actives = [{}, {"category": ["ring"]}, {"hallmarked": ["yes"]}, {"country": ["SE"]}]
    for active in actives:
        assert kept.facet_counts(active) == fresh.facet_counts(active), active
        for ordering in ("newest", "price", "-price", "rating"):
            assert list(kept.ordered_ids(kept.match(active), ordering)) == list(
                fresh.ordered_ids(fresh.match(active), ordering)
            )


class TestFreshness:
    def test_a_new_piece_is_counted_without_a_rebuild(self, catalogue, monkeypatch):
        before, total = counts()
        builds = []
        monkeypatch.setattr(
            facet_index, "build", lambda *a: builds.append(a) or pytest.fail("rebuilt")
        )
        f.catalogue_listing(category="brooch")
        after, new_total = counts()
        assert new_total == total + 1
        assert after["category"]["brooch"] == before["category"].get("brooch", 0) + 1
        assert builds == []

    def test_a_service_transition_moves_the_counts(self, catalogue):
        _before, total = counts()
        listing_archive(listing=catalogue[0], actor=catalogue[0].artisan.user)
        assert counts()[1] == total - 1

    def test_a_verifier_decision_changes_the_hallmarked_count(self, catalogue):
        silver_only = catalogue[2]  # 8.5 g of silver and no hallmark yet
        record = f.submitted(f.HallmarkRecordFactory(listing=silver_only))
        before = counts()[0]["hallmarked"]
        claim_transition(
            record=record, actor=f.VerifierFactory(), action="reject", reason="Worn"
        )
        # The piece's only UK hallmark is now rejected: over 7.78 g, it is not hallmarked.
        after = counts()[0]["hallmarked"]
        assert after["yes"] == before["yes"] - 1
        assert after["no"] == before["no"] + 1

    def test_an_artisan_moving_country_moves_all_their_pieces(self, catalogue):
        ghanaian = catalogue[0].artisan
        before = counts()[0]["country"]
        ghanaian.country = "KE"
        ghanaian.save()
        after = counts()[0]["country"]
        assert after["KE"] == before["GH"]
        assert "GH" not in after
        assert_same_as_a_fresh_build()

    def test_a_profile_edit_reloads_nothing(self, catalogue):
        artisan = catalogue[0].artisan
        counts()
        latest = CatalogueChange.objects.order_by("-revision").first().revision
        artisan.bio = "Forty years at the bench."
        artisan.save()
        assert not CatalogueChange.objects.filter(revision__gt=latest).exists()

    def test_moving_a_hallmark_to_another_piece_updates_both(self, catalogue):
        marked = catalogue[1]  # silver only, with a UK silver hallmark
        unmarked = catalogue[2]  # silver only, none
        counts()
        record = marked.hallmarks.get()
        record.listing = unmarked  # as the admin may
        record.save()
        snapshot = facet_index.current()
        shown = snapshot.ordered_ids(snapshot.match({"hallmarked": ["yes"]}), "newest")
        matching = ListingFilter({"hallmarked": ["yes"]}, queryset=listing_list()).qs
        assert set(shown) == set(matching.values_list("pk", flat=True))
        assert unmarked.pk in set(shown) and marked.pk not in set(shown)
        assert_same_as_a_fresh_build()

    def test_moving_a_maker_mark_to_another_artisan_updates_both(self, catalogue):
        mark = catalogue[1].artisan.maker_marks.get()
        before = counts()[0]["maker_mark"]["verified"]
        mark.artisan = f.ArtisanFactory()  # an artisan with no pieces
        mark.save()
        after = counts()[0]["maker_mark"].get("verified", 0)
        assert after == sql_count({"maker_mark": ["verified"]}) < before
        assert_same_as_a_fresh_build()

    def test_renaming_a_technique_slug_rebuilds(self, catalogue):
        cast = catalogue[0].techniques.get(slug="cast")
        before = counts()[0]["technique"]["cast"]
        cast.slug = "lost-wax"
        cast.save()
        after = counts()[0]["technique"]
        assert after["lost-wax"] == before
        assert "cast" not in after

    def test_clearing_a_technique_from_every_piece(self, catalogue):
        cast = catalogue[0].techniques.get(slug="cast")
        counts()
        cast.listings.clear()
        assert "cast" not in counts()[0]["technique"]
        assert_same_as_a_fresh_build()

    def test_a_fabricated_piece_counts_as_recycled(self, catalogue):
        before = counts()[0]["recycled"]
        f.fabricated_piece()
        after = counts()[0]["recycled"]
        assert after["all"] == before.get("all", 0) + 1
        assert after["all"] == sql_count({"recycled": ["all"]})
        assert_same_as_a_fresh_build()

    def test_removing_a_component_and_a_technique(self, catalogue):
        piece = catalogue[0]  # gold + silver, hammered + cast
        before = counts()[0]
        piece.metals.get(metal="gold").delete()
        piece.techniques.remove(*piece.techniques.filter(slug="cast"))
        after = counts()[0]
        assert after["metal"]["gold"] == before["metal"]["gold"] - 1
        assert after["technique"]["cast"] == before["technique"]["cast"] - 1

    def test_a_rolled_back_write_leaves_no_trace(self, catalogue):
        _before, total = counts()
        with pytest.raises(RuntimeError), transaction.atomic():
            f.catalogue_listing()
            assert counts()[1] == total + 1  # seen inside the transaction
            raise RuntimeError
        assert counts()[1] == total
        assert Listing.objects.published().count() == total

    def test_each_write_is_logged_with_its_listing(self, catalogue):
        piece = catalogue[1]
        latest = CatalogueChange.objects.order_by("-revision").first().revision
        f.GemstoneFactory(listing=piece)
        logged = CatalogueChange.objects.filter(revision__gt=latest)
        assert set(logged.values_list("listing_id", flat=True)) == {piece.pk}


def test_a_database_without_a_revision_takes_one(db):
    from marketplace.catalogue.models import CatalogueRevision

    f.catalogue_listing()
    CatalogueRevision.objects.all().delete()  # as after a restore or a bulk load
    first = facet_index.current()
    assert CatalogueRevision.objects.get().number == 1
    assert facet_index.current() is first  # and is then reused
    assert first.size == 1


def test_a_search_match_missing_from_the_index_is_left_out(db):
    query = CatalogueQuery(ListingFilter({}, queryset=listing_list()))
    query.facets(listing_list())  # an empty catalogue
    assert list(query.ranked_ids([5, 7], [10, 20])) == []


def test_building_costs_the_same_queries_for_any_size(django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sizes = []
    for pieces in (3, 30):
        for _ in range(pieces):
            f.catalogue_listing()
        with CaptureQueriesContext(connection) as captured:
            facet_index.build()
        sizes.append(len(captured))
    assert sizes[0] == sizes[1]


@pytest.mark.parametrize("ordering", ["", "newest", "price", "-price", "rating"])
@pytest.mark.parametrize(
    "active", [{}, {"category": ["ring"]}, {"metal": ["gold"], "price": ["1000-plus"]}]
)
@pytest.mark.parametrize("q", ["", "lotus"])
def test_the_page_order_equals_the_databases(catalogue, client, ordering, active, q):
    from marketplace.catalogue.selectors import listing_order

    # Ties on price and publication time, broken by id as in SQL.
    Listing.objects.filter(pk__in=[p.pk for p in catalogue[:4]]).update(
        published_at=catalogue[0].published_at
    )
    # A search that matches titles (ranked first) and descriptions.
    for piece in catalogue[::2]:
        piece.description = "Lotus petals, chased by hand."
        piece.save()
    for piece in catalogue[1::4]:
        piece.title = f"Lotus {piece.title}"
        piece.save()
    listing_search_rebuild()
    facet_index.record_change(listings=[p.pk for p in catalogue[:4]])
    base = listing_search(listing_list(), q)
    expected = [
        listing.pk
        for listing in listing_order(
            ListingFilter(active, queryset=base).qs, ordering, searching=bool(q)
        )
    ]
    response = client.get("/pieces/", {**active, "ordering": ordering, "q": q})
    shown = [card.pk for card in response.context["cards"]]
    assert shown == expected[:24]
    assert response.context["page_obj"].paginator.count == len(expected)


def test_the_change_log_is_pruned_and_an_old_snapshot_then_rebuilds(db, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from marketplace.catalogue.models import CatalogueRevision

    monkeypatch.setattr(facet_index, "PRUNE_EVERY", 5)
    first = f.catalogue_listing()
    old = facet_index.current()
    CatalogueChange.objects.update(created_at=timezone.now() - timedelta(days=2))
    while CatalogueRevision.objects.get().number % 5:
        facet_index.record_change(listings=[first.pk])
    assert not CatalogueChange.objects.filter(revision__lte=old.revision).exists()
    f.catalogue_listing()
    builds = []
    real_build = facet_index.build
    monkeypatch.setattr(
        facet_index, "build", lambda *a: builds.append(a) or real_build(*a)
    )
    assert facet_index.current().size == 2
    assert builds  # its revision was pruned: rebuilt, not patched from a gap
