"""Catalogue search: what it finds, how it ranks, hostile input, and (on SQLite) the
FTS5 index that the database's triggers keep exact on every kind of write."""

import base64
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace.catalogue.models import Gemstone, Listing, MetalComponent
from marketplace.catalogue.selectors import (
    listing_list,
    listing_search,
    listing_search_ids,
    listing_search_ranks,
)
from marketplace.catalogue.services import listings as services
from marketplace.catalogue.services.listings import listing_search_rebuild
from tests import factories as f
from tests.paging import cursor_pages, flattened

pytestmark = pytest.mark.django_db

PIECES = reverse("marketplace:listing-list")
API = "/api/listings/"
FACETS = "/api/listings/facets/"

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the FTS5 index exists on SQLite only"
)


def page_titles(client, q, **params):
    response = client.get(PIECES, {"q": q, **params})
    assert response.status_code == 200
    shown = [card.pk for card in response.context["cards"]]
    titles = dict(Listing.objects.filter(pk__in=shown).values_list("pk", "title"))
    return [titles[pk] for pk in shown]


def api_titles(client, q, **params):
    response = client.get(API, {"q": q, **params})
    assert response.status_code == 200
    return [row["title"] for row in response.json()["results"]]


def matches(q):
    """The published listings a search finds, through the queryset the API filters."""
    return set(
        listing_search(listing_list(), q).order_by().values_list("title", flat=True)
    )


@pytest.fixture
def shelf():
    """Pieces that each hold a distinct word in one place only."""
    artisan = f.ArtisanFactory(public_name="Ottoline Quarrington")
    pieces = {
        "title": f.catalogue_listing(
            title="Wombat signet", description="Plain.", artisan=artisan
        ),
        "description": f.catalogue_listing(
            title="Band one", description="Cast from a fossilised wombat tooth."
        ),
        "artisan": f.catalogue_listing(
            title="Band two", description="Plain.", artisan=artisan
        ),
        "gemstone": f.catalogue_listing(title="Band three", description="Plain."),
        "metal": f.catalogue_listing(title="Band four", description="Plain."),
    }
    f.GemstoneFactory(listing=pieces["gemstone"], species="tourmaline")
    pieces["metal"].metals.update(metal="palladium", fineness=950)
    listing_search_rebuild()
    return pieces


class TestWhatSearchFinds:
    def test_by_title_description_artisan_gemstone_and_metal(self, client, shelf):
        assert set(page_titles(client, "wombat")) == {"Wombat signet", "Band one"}
        assert set(page_titles(client, "Quarrington")) == {
            "Wombat signet",
            "Band two",
        }
        assert page_titles(client, "tourmaline") == ["Band three"]
        assert page_titles(client, "palladium") == ["Band four"]
        assert matches("palladium") == {"Band four"}
        assert api_titles(client, "tourmaline") == ["Band three"]

    @sqlite_only
    def test_a_term_finds_the_words_it_starts(self, client, shelf):
        assert set(page_titles(client, "womb")) == {"Wombat signet", "Band one"}
        assert page_titles(client, "tourm") == ["Band three"]
        assert api_titles(client, "pallad") == ["Band four"]
        assert matches("quarr") == {"Wombat signet", "Band two"}

    def test_every_term_must_match(self, client, shelf):
        assert page_titles(client, "wombat quarrington") == ["Wombat signet"]
        assert api_titles(client, "wombat quarrington") == ["Wombat signet"]
        assert matches("wombat tourmaline") == set()
        assert page_titles(client, "wombat tourmaline") == []

    @sqlite_only
    def test_case_and_accents_do_not_matter(self, client):
        f.catalogue_listing(title="Crème brûlée locket", description="Plain.")
        listing_search_rebuild()
        assert page_titles(client, "CREME") == ["Crème brûlée locket"]
        assert page_titles(client, "brûlée") == ["Crème brûlée locket"]

    def test_ids_alone_are_the_ranked_matches(self, shelf):
        for q in ("wombat", "quarr", "band plain", "tourmaline", "nothing-here", "*"):
            assert set(listing_search_ids(q).tolist()) == set(
                listing_search_ranks(q)[0].tolist()
            ), q

    def test_unpublished_pieces_are_not_found(self, client, api_client):
        f.catalogue_listing(title="Wombat draft", published=False)
        f.catalogue_listing(title="Wombat sold", status="sold")
        f.catalogue_listing(title="Wombat live")
        listing_search_rebuild()
        assert page_titles(client, "wombat") == ["Wombat live"]
        assert api_titles(api_client, "wombat") == ["Wombat live"]
        body = api_client.get(FACETS, {"q": "wombat"}).json()
        assert body["count"] == 1


class TestRanking:
    def test_title_then_artisan_or_materials_then_description(self, client, api_client):
        # Created worst first, so newest-first alone would give the opposite order.
        in_description = f.catalogue_listing(
            title="Band", description="A palladium jasper."
        )
        in_materials = f.catalogue_listing(title="Band", description="Plain.")
        f.GemstoneFactory(listing=in_materials, species="other")
        in_materials.metals.update(metal="palladium")
        in_title = f.catalogue_listing(title="Palladium band", description="Plain.")
        listing_search_rebuild()
        expected = ["Palladium band", "Band", "Band"]
        assert page_titles(client, "palladium") == expected
        results = api_client.get(API, {"q": "palladium"}).json()["results"]
        assert [row["slug"] for row in results] == [
            in_title.slug,
            in_materials.slug,
            in_description.slug,
        ]

    def test_equal_ranks_are_newest_first(self, client, api_client):
        older = f.catalogue_listing(title="Wombat ring")
        newer = f.catalogue_listing(title="Wombat ring")
        listing_search_rebuild()
        slugs = [
            row["slug"]
            for row in api_client.get(API, {"q": "wombat"}).json()["results"]
        ]
        assert slugs == [newer.slug, older.slug]
        cards = client.get(PIECES, {"q": "wombat"}).context["cards"]
        assert [card.pk for card in cards] == [newer.pk, older.pk]

    @sqlite_only
    def test_ranks_are_the_same_integers_in_sql_and_in_the_index(self, shelf):
        ids, ranks = listing_search_ranks("wombat quarrington")
        in_sql = dict(
            listing_search(Listing.objects.all(), "wombat quarrington")
            .order_by()
            .values_list("pk", "rank")
        )
        assert dict(zip(ids.tolist(), ranks.tolist(), strict=True)) == in_sql
        assert in_sql == {shelf["title"].pk: 100 + 40}

    def test_api_cursor_pages_are_exact_both_ways(self, api_client):
        artisan = f.ArtisanFactory(public_name="Wombat Smith")
        pieces = [
            f.catalogue_listing(
                artisan=artisan, title="Wombat ring" if n % 3 == 0 else f"Band {n}"
            )
            for n in range(7)
        ]
        listing_search_rebuild()
        ids, ranks = listing_search_ranks("wombat")
        slug_of = {listing.pk: listing.slug for listing in pieces}
        by_relevance = sorted(zip(ranks.tolist(), ids.tolist(), strict=True))[::-1]
        expected = [slug_of[pk] for _rank, pk in by_relevance]
        # Title matches first (newest first), then the artisan's other pieces.
        titled = [p.slug for p in reversed(pieces) if p.title == "Wombat ring"]
        assert expected[:3] == titled
        pages, _last = cursor_pages(api_client, f"{API}?q=wombat&page_size=3")
        assert flattened(pages) == expected
        assert [len(page) for page in pages] == [3, 3, 1]
        # And back from the last page.
        last = api_client.get(f"{API}?q=wombat&page_size=3")
        for _ in range(2):
            last = api_client.get(last.json()["next"])
        back = api_client.get(last.json()["previous"]).json()
        assert [row["slug"] for row in back["results"]] == pages[1]
        first = api_client.get(back["previous"]).json()
        assert [row["slug"] for row in first["results"]] == pages[0]
        assert first["previous"] is None

    @pytest.mark.parametrize("position", [b"p=wombat", b"p=1:2:3", b"r=1&p=x:1"])
    def test_a_forged_relevance_cursor_is_a_404(self, api_client, position):
        f.catalogue_listing(title="Wombat ring")
        cursor = base64.b64encode(position).decode()
        response = api_client.get(API, {"q": "wombat", "cursor": cursor})
        assert response.status_code == 404


HOSTILE = [
    '"',
    '""',
    "*",
    "NEAR(",
    "NEAR(wombat ring, 2)",
    "-",
    "-wombat",
    ":",
    "title:wombat",
    "{title}:wombat",
    "AND OR NOT",
    "wombat AND",
    "^wombat",
    "wom*bat",
    "(wombat",
    "wombat)",
    "'; DROP TABLE marketplace_listing; --",
    "wombat\x00",
    "\x00",
    "💍",
    "戒指",
    "_",
    "%",
    "w" * 200,
    "a b c d e f g h i j k",
]


@sqlite_only
class TestRankTiers:
    """A one-word search in relevance order is read tier by tier from the FTS5 index:
    its pages are exactly the full ranking's, filtered, forward and back."""

    @pytest.fixture
    def tiers_shelf(self, monkeypatch):
        from marketplace.catalogue import facet_index

        monkeypatch.setattr(facet_index, "TIER_CHUNK", 2)  # many small reads
        artisan = f.ArtisanFactory(public_name="Wombat Works")
        for n in range(4):
            f.catalogue_listing(title=f"Wombat ring {n}", category="ring")
            f.catalogue_listing(title=f"Band {n}", artisan=artisan, category="ring")
            f.catalogue_listing(
                title=f"Hoop {n}", description="A wombat engraved.", category="pendant"
            )
            # Drafts match too, and are never shown.
            f.ListingFactory(title=f"Wombat draft {n}", artisan=artisan)
        gem = f.catalogue_listing(title="Plain", category="ring")
        f.GemstoneFactory(listing=gem, species="wombatite")
        listing_search_rebuild()

    @pytest.mark.parametrize("params", [{}, {"category": ["ring"]}])
    def test_tiers_read_as_the_full_ranking(self, tiers_shelf, params):
        from marketplace.catalogue import facet_index
        from marketplace.catalogue.facets import CatalogueQuery
        from marketplace.catalogue.filters import ListingFilter
        from marketplace.catalogue.selectors import listing_search_tiers

        query = CatalogueQuery(ListingFilter(params, queryset=listing_list()))
        assert isinstance(query.backend, facet_index.Snapshot)
        full = query.ranked(*listing_search_ranks("wombat"))
        assert len(full) == (13 if not params else 9)
        # Every tier is there (the description's only holds pendants).
        assert len(set(full.keys.tolist())) == (3 if not params else 2)
        tiered = query.tiered(listing_search_tiers("wombat"), total=len(full))
        assert tiered[0 : len(full)].tolist() == full.ids.tolist()
        assert tiered[3:7].tolist() == full.ids[3:7].tolist()
        for at in range(len(full)):
            boundary = (int(full.keys[at]), int(full.ids[at]))
            for count in (1, 4):
                ids, keys = tiered.after(boundary, count)
                assert ids.tolist() == full.ids[at + 1 : at + 1 + count].tolist()
                assert keys.tolist() == full.keys[at + 1 : at + 1 + count].tolist()
                back = tiered.after(boundary, count, backwards=True)[0]
                assert back.tolist() == full.ids[max(0, at - count) : at][::-1].tolist()

    def test_pages_and_cursors_follow_the_tiers(
        self, tiers_shelf, client, api_client, monkeypatch
    ):
        from marketplace.catalogue import facet_index

        # Read tier by tier however few the matches (else ranked whole and kept).
        monkeypatch.setattr(facet_index, "RANK_ALL_UP_TO", 0)
        found = listing_search_ranks("wombat")[0]
        expected = Listing.objects.filter(pk__in=found).values_list("title", flat=True)
        shown = page_titles(client, "wombat")
        assert sorted(shown) == sorted(t for t in expected if "draft" not in t)
        assert shown[:4] == [f"Wombat ring {n}" for n in (3, 2, 1, 0)]
        pages, last = cursor_pages(api_client, f"{API}?q=wombat&page_size=4", "title")
        assert flattened(pages) == shown
        back = api_client.get(last["previous"]).json()
        assert [row["title"] for row in back["results"]] == pages[-2]

    def test_several_words_are_ranked_match_by_match(self):
        from marketplace.catalogue.selectors import listing_search_tiers

        assert listing_search_tiers("wombat") is not None
        assert listing_search_tiers("wombat ring") is None
        assert listing_search_tiers("!!") is None


class TestHostileInput:
    @pytest.mark.parametrize("q", HOSTILE)
    def test_is_a_normal_answer_never_a_500(self, client, api_client, q):
        f.catalogue_listing(title="Wombat ring", description="Plain.")
        listing_search_rebuild()
        for response in (
            client.get(PIECES, {"q": q}),
            api_client.get(API, {"q": q}),
            api_client.get(API, {"q": q, "ordering": "price"}),
            api_client.get(FACETS, {"q": q}),
        ):
            # NUL bytes are refused at the door (a 400) for every route.
            expected = 400 if "\x00" in q else 200
            assert response.status_code == expected, (q, response.status_code)

    @sqlite_only
    @pytest.mark.parametrize(
        "q", ['"wombat"', "wombat*", "wombat -", "wombat :", '"wombat', "wombat)"]
    )
    def test_syntax_around_a_word_still_finds_it(self, client, api_client, q):
        f.catalogue_listing(title="Wombat ring", description="Plain.")
        f.catalogue_listing(title="Band", description="Plain.")
        listing_search_rebuild()
        assert page_titles(client, q) == ["Wombat ring"]
        assert api_titles(api_client, q) == ["Wombat ring"]

    @sqlite_only
    @pytest.mark.parametrize("q", ["*", "-", '"', "AND OR NOT", "NEAR("])
    def test_syntax_alone_finds_nothing_rather_than_everything(self, client, q):
        f.catalogue_listing(title="Wombat ring", description="Plain.")
        listing_search_rebuild()
        assert page_titles(client, q) == []


class TestQueryCount:
    def test_queries_per_search_do_not_grow_with_the_matches(self, client):
        artisan = f.ArtisanFactory()
        f.catalogue_listing(artisan=artisan, title="Band")
        client.force_login(f.UserFactory())  # logged in: never served from the cache
        counts = []
        for matching in (2, 30):
            while Listing.objects.filter(title__startswith="Wombat").count() < matching:
                f.catalogue_listing(artisan=artisan, title="Wombat ring")
            listing_search_rebuild()
            client.get(PIECES)  # brings this process's facet index up to date
            with CaptureQueriesContext(connection) as page:
                listings = client.get(PIECES, {"q": "wombat ring"}).context["cards"]
            with CaptureQueriesContext(connection) as api:
                results = client.get(API, {"q": "wombat ring"}).json()["results"]
            assert len(listings) == min(matching, 24)
            assert len(results) == min(matching, 24)
            counts.append((len(page.captured_queries), len(api.captured_queries)))
        assert counts[0] == counts[1]


def like_ids(word: str) -> set[int]:
    """What a LIKE search over the same rows finds for one whole word."""
    materials = Q(
        pk__in=MetalComponent.objects.filter(metal__icontains=word).values("listing_id")
    ) | Q(pk__in=Gemstone.objects.filter(species__icontains=word).values("listing_id"))
    return set(
        Listing.objects.filter(
            Q(title__icontains=word)
            | Q(description__icontains=word)
            | Q(artisan__public_name__icontains=word)
            | materials
        ).values_list("pk", flat=True)
    )


def fts_ids(word: str) -> set[int]:
    return set(listing_search_ranks(word)[0].tolist())


def fts_documents() -> dict[int, tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid, title, artisan, materials, description "
            "FROM marketplace_listing_fts"
        )
        return {
            row[0]: (row[1], row[2], sorted(row[3].split()), row[4])
            for row in cursor.fetchall()
        }


def expected_documents() -> dict[int, tuple]:
    documents = {}
    for listing in Listing.objects.select_related("artisan").prefetch_related(
        "metals", "gemstones"
    ):
        materials = [m.metal for m in listing.metals.all()] + [
            g.species for g in listing.gemstones.all()
        ]
        documents[listing.pk] = (
            listing.title,
            listing.artisan.public_name,
            sorted(materials),
            listing.description,
        )
    return documents


@sqlite_only
class TestTheIndexStaysExact:
    """Every kind of write keeps the FTS5 index equal to the rows it reads, in the
    writer's transaction, with nothing to call afterwards."""

    @pytest.fixture
    def pieces(self):
        artisan = f.ArtisanFactory(public_name="Hester Pennington")
        first = f.catalogue_listing(
            artisan=artisan, title="Hammered cuff", description="Plain."
        )
        second = f.catalogue_listing(title="Twisted band", description="Plain.")
        f.ListingFactory(title="Draft pendant", description="Plain.")
        return first, second

    def assert_exact(self, *words):
        assert fts_documents() == expected_documents()
        for word in words:
            assert fts_ids(word) == like_ids(word), word

    def test_after_creating(self, pieces):
        self.assert_exact("hammered", "pennington", "silver", "pendant")

    def test_after_a_service_edit(self, pieces):
        first, _ = pieces
        services.listing_update(
            listing=first,
            actor=first.artisan.user,
            title="Wombat cuff",
            description="Cast in a wombat burrow.",
        )
        self.assert_exact("wombat", "hammered", "burrow")
        assert fts_ids("hammered") == set()

    def test_after_an_admin_edit(self, pieces, client):
        first, _ = pieces
        admin = get_user_model().objects.create_superuser(
            "boss", "boss@example.com", "pw-Strong-123"
        )
        client.force_login(admin)
        url = f"/admin/marketplace/listing/{first.pk}/change/"
        data = admin_form_data(client.get(url))
        data["title"] = "Quokka cuff"
        response = client.post(url, data)
        assert response.status_code == 302, response.context["errors"]
        self.assert_exact("quokka", "hammered")
        assert fts_ids("quokka") == {first.pk}

    def test_after_a_queryset_update_of_titles(self, pieces):
        Listing.objects.filter(title__startswith="Twisted").update(title="Numbat band")
        Listing.objects.filter(title__startswith="Draft").update(
            description="A numbat."
        )
        self.assert_exact("numbat", "twisted")
        assert len(fts_ids("numbat")) == 2

    def test_after_a_metal_component_is_added_and_removed(self, pieces):
        first, _ = pieces
        component = f.add_metal(first, metal="platinum", fineness=950)
        self.assert_exact("platinum", "silver")
        assert fts_ids("platinum") == {first.pk}
        services.metal_component_remove(component=component, actor=first.artisan.user)
        self.assert_exact("platinum", "silver")
        assert fts_ids("platinum") == set()

    def test_after_a_metal_component_changes_or_moves(self, pieces):
        first, second = pieces
        component = first.metals.get()
        MetalComponent.objects.filter(pk=component.pk).update(metal="copper")
        self.assert_exact("copper", "silver")
        MetalComponent.objects.filter(pk=component.pk).update(listing=second)
        self.assert_exact("copper", "silver")
        assert fts_ids("copper") == {second.pk}

    def test_after_gemstones_are_added_changed_and_removed(self, pieces):
        first, _ = pieces
        stone = f.GemstoneFactory(listing=first, species="peridot")
        self.assert_exact("peridot")
        Gemstone.objects.filter(pk=stone.pk).update(species="garnet")
        self.assert_exact("peridot", "garnet")
        stone.delete()
        self.assert_exact("garnet")
        assert fts_ids("garnet") == set()

    def test_after_bulk_create(self, pieces):
        artisan = f.ArtisanFactory()
        created = Listing.objects.bulk_create(
            [
                Listing(
                    artisan=artisan,
                    title=f"Echidna brooch {n}",
                    slug=f"echidna-{n}",
                    description="Plain.",
                    category="brooch",
                    price=Decimal("10"),
                )
                for n in range(3)
            ]
        )
        MetalComponent.objects.bulk_create(
            [
                MetalComponent(listing=listing, metal="brass", weight_grams=1)
                for listing in created
            ]
        )
        self.assert_exact("echidna", "brass")
        assert len(fts_ids("brass")) == 3

    def test_after_the_artisan_is_renamed(self, pieces):
        first, _ = pieces
        artisan = first.artisan
        artisan.public_name = "Marigold Featherstone"
        artisan.save()
        self.assert_exact("featherstone", "pennington")
        assert fts_ids("featherstone") == {first.pk}

    def test_after_a_listing_is_deleted(self, pieces):
        first, second = pieces
        second.delete()
        self.assert_exact("twisted", "silver")
        first.artisan.delete()
        self.assert_exact("hammered", "pennington", "silver")
        assert fts_ids("silver") == set()

    def test_in_the_writers_transaction(self, pieces):
        from django.db import transaction

        first, _ = pieces
        with transaction.atomic():
            Listing.objects.filter(pk=first.pk).update(title="Dingo cuff")
            assert fts_ids("dingo") == {first.pk}
            transaction.set_rollback(True)
        assert fts_ids("dingo") == set()
        self.assert_exact("hammered")


def admin_form_data(response) -> dict:
    """The POST data of an admin change page as it stands: its form and inlines."""
    data = {}

    def add(form):
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            key = form.add_prefix(name)
            if isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            else:
                data[key] = "on" if value is True else str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for form in formset.initial_forms:
            add(form)
    return data


class TestKeptSearches:
    """The facet index's snapshot keeps its recent searches' matches, and their ranked
    orders per filter state; every write to what a search reads starts the next
    snapshot, so a kept search is never stale."""

    @staticmethod
    def query(q, **params):
        from marketplace.catalogue.facets import CatalogueQuery
        from marketplace.catalogue.filters import ListingFilter

        base = listing_search(listing_list(), q)
        return CatalogueQuery(ListingFilter(params, queryset=base), q=q)

    @pytest.fixture
    def wombats(self):
        pieces = [f.catalogue_listing(title=f"Wombat ring {n}") for n in range(3)]
        other = f.catalogue_listing(title="Plain cuff", category="bracelet")
        listing_search_rebuild()
        return pieces, other

    def test_a_search_is_read_once_per_snapshot(self, wombats):
        pieces, _ = wombats
        first = self.query("wombat")
        ids, ranked = first.search_ids(), first.ranked()
        assert sorted(ids.tolist()) == sorted(piece.pk for piece in pieces)
        assert not ids.flags.writeable
        again = self.query("wombat")
        with CaptureQueriesContext(connection) as searching:
            assert again.search_ids() is ids
            assert again.ranked().ids is ranked.ids
        assert searching.captured_queries == []
        # As if worked out afresh; another filter state is ranked on its own.
        fresh = again.ranked(*listing_search_ranks("wombat"))
        assert fresh.ids.tolist() == ranked.ids.tolist()
        assert fresh.keys.tolist() == ranked.keys.tolist()
        bracelets = self.query("wombat", category=["bracelet"]).ranked()
        assert len(bracelets) == 0

    def test_a_search_with_few_matches_is_ranked_once_per_snapshot(
        self, wombats, client
    ):
        from marketplace.catalogue.selectors import listing_search_tiers

        first = self.query("wombat").by_relevance(listing_search_tiers("wombat"))
        assert len(first) == 3
        with CaptureQueriesContext(connection) as again:
            order = self.query("wombat").by_relevance(listing_search_tiers("wombat"))
        assert order.ids is first.ids
        # The log check only: no search of the index.
        assert len(again.captured_queries) == 1
        assert "marketplace_listing_fts" not in again.captured_queries[0]["sql"]

    def test_counts_of_a_search_are_kept_under_its_words(self, wombats):
        query = self.query("wombat")
        base = listing_search(listing_list(), "wombat")
        facets = query.facets(base, searched=True, matches=query.search_ids())
        assert query.total == 3
        kept = query.backend._cache["counts"].answers
        assert any(key[1] == ("search", "wombat") for key in kept)
        again = self.query("wombat")
        assert again.facets(base, searched=True, matches=again.search_ids()) == facets

    WRITES = {
        "its title": lambda piece: Listing.objects.filter(pk=piece.pk).update(
            title="Quokka cuff"
        ),
        "its artisan's name": lambda piece: (
            type(piece.artisan)
            .objects.filter(pk=piece.artisan_id)
            .update(public_name="Quokka Studio")
        ),
        "a gemstone": lambda piece: f.GemstoneFactory(listing=piece, species="quokka"),
    }

    @pytest.fixture
    def buyer(self, client):
        """A signed-in client: its pages are never served from the response cache,
        whose entries a write through the ORM does not bump."""
        client.force_login(f.UserFactory())
        return client

    @pytest.mark.parametrize("write", WRITES)
    def test_a_write_to_what_a_search_reads_is_found_at_once(
        self, wombats, buyer, write
    ):
        _, other = wombats
        client = buyer
        assert page_titles(client, "quokka") == []
        assert api_titles(client, "quokka") == []
        assert api_titles(client, "quokka", ordering="price") == []
        self.WRITES[write](other)
        title = Listing.objects.get(pk=other.pk).title
        assert page_titles(client, "quokka") == [title]
        assert api_titles(client, "quokka") == [title]
        assert api_titles(client, "quokka", ordering="price") == [title]
        facets = client.get(FACETS, {"q": "quokka"}).json()
        assert facets["count"] == 1

    def test_a_listing_leaving_the_catalogue_leaves_its_kept_searches(
        self, wombats, buyer
    ):
        pieces, _ = wombats
        client = buyer
        assert len(page_titles(client, "wombat")) == 3
        services.listing_archive(listing=pieces[0], actor=pieces[0].artisan.user)
        assert sorted(page_titles(client, "wombat")) == [
            "Wombat ring 1",
            "Wombat ring 2",
        ]
        assert len(api_titles(client, "wombat")) == 2

    def test_kept_searches_are_bounded_in_bytes(self, wombats, monkeypatch):
        from marketplace.catalogue import facet_index

        # Room for one search's three ids (8 bytes each), not for two.
        monkeypatch.setattr(facet_index, "SEARCH_BYTES_KEPT", 40)
        first = self.query("wombat").search_ids()
        assert self.query("wombat").search_ids() is first
        self.query("ring").search_ids()
        kept = self.query("ring").backend._cache["searches"]
        assert kept.weight <= 40
        assert [key[1] for key in kept.answers] == ["ring"]
        again = self.query("wombat").search_ids()
        assert again is not first and again.tolist() == first.tolist()


class TestCatalogueSearchBase:
    def test_each_call_has_its_own_copy_and_reads_the_catalogue_as_it_is_now(self):
        from marketplace.catalogue.selectors import catalogue_search

        ring = f.catalogue_listing(title="Garnet ring")
        first = catalogue_search(q="garnet")
        narrowed = first.filter(pk=-1)
        second = catalogue_search(q="garnet")
        assert list(narrowed) == []
        assert [listing.pk for listing in second] == [ring.pk]
        # Built once, read afresh: a piece published later is found by the same search.
        later = f.catalogue_listing(title="Garnet pendant")
        listing_search_rebuild()
        found = catalogue_search(q="garnet")
        assert {listing.pk for listing in found} == {ring.pk, later.pk}
        assert found.query is not second.query
        # Pieces leaving the catalogue leave the search.
        services.listing_archive(listing=ring, actor=ring.artisan.user)
        assert [listing.pk for listing in catalogue_search(q="garnet")] == [later.pk]
