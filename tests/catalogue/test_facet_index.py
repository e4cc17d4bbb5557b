"""The facet index: counts equal to the filters' own SQL, and never stale after a write."""

import itertools
from datetime import timedelta
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
from marketplace.catalogue.sorting import SORT_ORDERS
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


@pytest.fixture(params=["index", "database"])
def facet_backend(request, monkeypatch):
    """Each test that asks for it runs once against each facet backend."""
    if request.param == "database":
        monkeypatch.setattr(facet_index, "backend", facet_index.DatabaseFacets)
    return request.param


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
def test_every_count_equals_the_filters_own_sql(catalogue, facet_backend, active, q):
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
            assert_pages_read_as_the_whole_order(kept, active, ordering)


def assert_pages_read_as_the_whole_order(snapshot, active, ordering):
    """Pages read from the index's order (from the start, after any boundary and
    before it, that boundary matching the filters or not) are the slices of the
    whole order that the boundary's (key, id) marks."""
    ids, keys = snapshot.ordered(snapshot.match(active), ordering)
    whole = list(zip(keys.tolist(), ids.tolist(), strict=True))
    order = snapshot.in_order(active, ordering)
    assert len(order) == len(whole)
    assert order[0 : len(whole)].tolist() == ids.tolist()
    assert order[2:5].tolist() == ids[2:5].tolist()
    assert order.after(None, 4)[0].tolist() == ids[:4].tolist()
    every_ids, every_keys = snapshot.ordered(snapshot.alive, ordering)
    descending = SORT_ORDERS[ordering].descending
    for boundary in zip(every_keys.tolist(), every_ids.tolist(), strict=True):
        beyond = [
            pk
            for key_id in whole
            if (key_id < boundary) == descending
            for pk in [key_id[1]]
            if key_id != boundary
        ]
        before = [
            pk
            for key_id in reversed(whole)
            if (key_id > boundary) == descending
            for pk in [key_id[1]]
            if key_id != boundary
        ]
        following, following_keys = order.after(boundary, 3)
        assert following.tolist() == beyond[:3], boundary
        assert following_keys.tolist() == [
            key for key, pk in whole if pk in set(beyond[:3])
        ]
        assert order.after(boundary, 3, backwards=True)[0].tolist() == before[:3]


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
        latest = CatalogueChange.objects.order_by("-pk").first().pk
        artisan.story = "Forty years at the bench."
        artisan.save()
        assert not CatalogueChange.objects.filter(pk__gt=latest).exists()

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

    def test_a_technique_renamed_is_shown_by_its_new_name(self, catalogue):
        """Facet labels are kept with the snapshot; a technique's name is watched."""
        from artisans.models import Technique

        def labels():
            base = listing_list()
            query = CatalogueQuery(ListingFilter({}, queryset=base))
            (technique,) = (f for f in query.facets(base) if f["name"] == "technique")
            return {v["value"]: v["label"] for v in technique["values"]}

        assert labels()["cast"] == "Cast"
        Technique.objects.filter(slug="cast").update(name="Lost-wax cast")
        assert labels()["cast"] == "Lost-wax cast"
        # A technique no piece uses is not shown, so its arrival logs nothing.
        f.TechniqueFactory(slug="chased", name="Chased")
        assert "chased" not in labels()

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
        latest = CatalogueChange.objects.order_by("-pk").first().pk
        f.GemstoneFactory(listing=piece)
        logged = CatalogueChange.objects.filter(pk__gt=latest)
        assert set(logged.values_list("listing_id", flat=True)) == {piece.pk}


def test_an_empty_log_still_indexes(db):
    f.catalogue_listing()
    CatalogueChange.objects.all().delete()  # as after a restore or a bulk load
    first = facet_index.current()
    assert first.size == 1
    assert facet_index.current() is first  # and is then reused


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
def test_the_page_order_equals_the_databases(
    catalogue, facet_backend, client, ordering, active, q
):
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


def test_a_process_that_has_not_read_the_log_for_long_rebuilds(db, monkeypatch):
    f.catalogue_listing()
    first = facet_index.current()
    assert facet_index.current() is first
    builds = []
    real_build = facet_index.build
    monkeypatch.setattr(
        facet_index, "build", lambda *a: builds.append(a) or real_build(*a)
    )
    later = facet_index.time.monotonic() + facet_index.KEEP_CHANGES.total_seconds()
    monkeypatch.setattr(facet_index.time, "monotonic", lambda: later)
    assert facet_index.current().size == 1
    assert builds  # the log may have been pruned past it: rebuilt, not patched


def test_the_log_is_pruned_by_age(db):
    from django.utils import timezone

    f.catalogue_listing()
    old = CatalogueChange.objects.count()
    CatalogueChange.objects.update(created_at=timezone.now() - timedelta(days=2))
    f.catalogue_listing()
    assert facet_index.changes_prune() == old
    assert CatalogueChange.objects.exists()


def test_a_change_committed_after_a_later_one_is_still_applied(db, monkeypatch):
    """On PostgreSQL ids are taken in one order and committed in another: a reader
    that saw a later id keeps looking for the ones it skipped."""
    from django.db.models import F

    f.catalogue_listing()
    before = facet_index.current()
    # A writer that took ids up to 1,000 past the reader is still open; a later one
    # commits first.
    first = f.catalogue_listing(category="brooch")
    CatalogueChange.objects.filter(pk__gt=before.watermark).update(id=F("id") + 1000)
    seen = facet_index.current()
    assert seen.size == 2
    assert seen.gaps and seen.gaps[0][0] == before.watermark + 1
    # Now the earlier writer commits, under ids inside the gap.
    second = f.catalogue_listing(category="bracelet")
    CatalogueChange.objects.filter(pk__gt=seen.watermark).update(id=F("id") - 1000)
    assert CatalogueChange.objects.filter(pk__gt=seen.watermark).count() == 0
    caught_up = facet_index.current()
    assert caught_up.size == 3
    assert set(caught_up.ids[caught_up.alive]) >= {first.pk, second.pk}
    # A gap nobody fills (a rolled-back writer) is given up after a while.
    later = facet_index.time.monotonic() + facet_index.GAP_TIMEOUT + 1
    monkeypatch.setattr(facet_index.time, "monotonic", lambda: later)
    assert facet_index.current().gaps == ()


@pytest.mark.django_db(transaction=True)
def test_a_request_never_builds_the_index(settings, monkeypatch):
    """A process without a usable snapshot answers from the database while a thread
    builds one; the answers are the same."""
    import threading

    settings.FACET_INDEX_BACKGROUND = True
    for category in ("ring", "ring", "brooch"):
        f.catalogue_listing(category=category)
    threads = []
    real_build = facet_index.build
    monkeypatch.setattr(
        facet_index,
        "build",
        lambda *a: threads.append(threading.current_thread()) or real_build(*a),
    )
    answering = facet_index.backend()
    assert isinstance(answering, facet_index.DatabaseFacets)
    from_database = answering.count_facets({"category": ["ring"]})
    facet_index.wait_for_build(timeout=30)
    snapshot = facet_index.backend()
    assert isinstance(snapshot, facet_index.Snapshot)
    assert snapshot.count_facets({"category": ["ring"]}) == from_database
    assert from_database[1] == 2
    # A change to everything (a restore) is rebuilt in the background again.
    facet_index.record_everything()
    assert isinstance(facet_index.backend(), facet_index.DatabaseFacets)
    facet_index.wait_for_build(timeout=30)
    assert isinstance(facet_index.backend(), facet_index.Snapshot)
    assert threads and threading.main_thread() not in threads


def test_many_edits_keep_the_index_equal_to_a_fresh_build(catalogue):
    """Edits land in the snapshot's delta and are merged into the base's counts and
    orders; after each round the answers are a fresh build's."""
    import random

    chooser = random.Random(7)
    facet_index.current()
    pieces = list(catalogue)
    for round_ in range(4):
        for piece in chooser.sample(pieces, 5):
            # Prices that tie with others, and several between the same two.
            price = chooser.choice(["80", "180", "333.33", "333.34", "400"])
            Listing.objects.filter(pk=piece.pk).update(price=Decimal(price))
        pieces.append(f.catalogue_listing(price=Decimal("180")))
        listing_archive(listing=pieces[round_], actor=pieces[round_].artisan.user)
        snapshot = facet_index.current()
        assert len(snapshot.delta.ids) and len(snapshot.killed)
        assert_same_as_a_fresh_build()
        active = {"category": ["ring", "pendant"], "price": ["100-250"]}
        assert snapshot.facet_counts(active) == facet_index.build().facet_counts(active)


def test_a_large_delta_is_folded_into_a_new_base(catalogue, monkeypatch):
    monkeypatch.setattr(facet_index, "DELTA_LIMIT", 3)
    first = facet_index.current()
    for piece in catalogue[:4]:
        Listing.objects.filter(pk=piece.pk).update(price=Decimal("99"))
    folded = facet_index.current()
    assert folded.base is not first.base
    assert len(folded.delta.ids) == 0
    assert_same_as_a_fresh_build()


def test_counts_are_kept_per_snapshot_and_never_outlive_a_change(catalogue):
    """A filter state counted once is answered again from the snapshot (the same
    answer, not a recount); after an edit the next snapshot counts afresh."""
    active = {"category": ["ring"], "metal": ["gold"]}
    snapshot = facet_index.current()
    first = snapshot.count_facets(active)
    # The same state, its values in another order: the kept answer itself.
    assert snapshot.count_facets({"metal": ["gold"], "category": ["ring"]}) is first
    # With a search's matches, keyed by those matches.
    some = [piece.pk for piece in catalogue[:5]]
    narrowed = snapshot.count_facets(active, within=some)
    assert snapshot.count_facets(active, within=list(some)) is narrowed
    assert narrowed != first
    ring = next(p for p in catalogue if p.category == "ring" and p.metals.exists())
    Listing.objects.filter(pk=ring.pk).update(category="pendant")
    edited = facet_index.current()
    assert edited is not snapshot
    assert edited.count_facets(active) == facet_index.build().count_facets(active)
    assert edited.count_facets(active)[1] == first[1] - (
        1 if ring.metals.filter(metal="gold").exists() else 0
    )


def test_kept_counts_are_bounded(catalogue, monkeypatch):
    monkeypatch.setattr(facet_index, "COUNTS_KEPT", 2)
    snapshot = facet_index.current()
    states = [{"category": [c]} for c in ("ring", "pendant", "earrings")]
    answers = [snapshot.count_facets(state) for state in states]
    kept = snapshot._cache["counts"]
    assert len(kept.answers) == 2
    # The oldest state was let go and is counted again, to the same figures.
    again = snapshot.count_facets(states[0])
    assert again is not answers[0] and again == answers[0]


def test_the_database_answers_pages_in_the_index_order_even_with_missing_keys(
    catalogue,
):
    """While the index builds, the database's answer is put in the order the index
    keeps (a missing price counts as 0), so cursors count the same way."""
    Listing.objects.filter(pk=catalogue[0].pk).update(price=None)
    from_database = facet_index.DatabaseFacets().in_order({}, "price")
    snapshot = facet_index.current()
    ids, keys = snapshot.ordered(snapshot.alive, "price")
    assert from_database.ids.tolist() == ids.tolist()
    assert from_database.keys.tolist() == keys.tolist()


def test_the_rows_of_a_filter_state_are_kept_read_only_and_per_snapshot(catalogue):
    snapshot = facet_index.current()
    rings = snapshot.match({"category": ["ring"]})
    assert snapshot.match({"category": ["ring"]}) is rings
    assert not rings.flags.writeable
    Listing.objects.filter(pk=catalogue[1].pk).update(category="ring")
    edited = facet_index.current()
    assert edited.match({"category": ["ring"]}) is not rings
    assert int(edited.match({"category": ["ring"]}).sum()) == int(rings.sum()) + (
        0 if catalogue[1].category == "ring" else 1
    )
