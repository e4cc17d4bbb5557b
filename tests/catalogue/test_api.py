"""Catalogue API: listings, facets, transitions, sub-resources, favourites, prices."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from marketplace.catalogue import facet_index
from marketplace.catalogue.api.views import ListingViewSet
from marketplace.catalogue.models import Favourite, Listing, MetalPrice
from marketplace.catalogue.services.listings import listing_search_rebuild
from marketplace.demo import images as demo_images
from tests import factories as f
from tests.conftest import api_client_for
from tests.paging import cursor_pages, flattened

pytestmark = pytest.mark.django_db

LIST = "/api/listings/"


def detail(listing):
    return f"{LIST}{listing.slug}/"


class TestList:
    def test_lists_published_pieces_only(self, api_client):
        live = f.catalogue_listing()
        f.ListingFactory()  # draft
        f.catalogue_listing(status="sold")
        response = api_client.get(LIST)
        assert response.status_code == 200
        assert [row["slug"] for row in response.json()["results"]] == [live.slug]
        assert response.json()["results"][0]["main_photo"]["small"]

    def test_same_filters_as_the_page(self, api_client):
        gold = f.catalogue_listing(category="ring")
        gold.metals.update(metal="gold", fineness=750)
        f.catalogue_listing(category="ring")
        f.catalogue_listing(category="brooch")
        response = api_client.get(LIST, {"metal": "gold", "category": "ring"})
        assert [row["slug"] for row in response.json()["results"]] == [gold.slug]

    def test_bad_filter_is_a_400_with_field_errors(self, api_client):
        response = api_client.get(LIST, {"metal": "unobtainium"})
        assert response.status_code == 400
        assert "metal" in response.json()

    def test_search_ranks_a_title_match_first(self, api_client):
        # The title match is created first, so the newest-first tie-break alone would
        # put it last: only the ranking can lift it to the top.
        in_title = f.catalogue_listing(title="Emerald band", description="Plain.")
        in_description = f.catalogue_listing(
            title="Band", description="An emerald inside."
        )
        listing_search_rebuild()
        response = api_client.get(LIST, {"q": "emerald"})
        assert [row["slug"] for row in response.json()["results"]] == [
            in_title.slug,
            in_description.slug,
        ]

    def test_cursor_pages_follow_the_ordering(self, api_client):
        artisan = f.ArtisanFactory()
        prices = [Decimal(p) for p in ("30", "10", "20", "50", "40")]
        for price in prices:
            f.catalogue_listing(artisan=artisan, price=price)
        pages, _last = cursor_pages(
            api_client, f"{LIST}?ordering=price&page_size=2", "price"
        )
        assert [Decimal(price) for price in flattened(pages)] == sorted(prices)

    @pytest.mark.parametrize("backend", ["index", "database"])
    @pytest.mark.parametrize("ordering", ["newest", "price", "-price", "rating"])
    def test_cursor_pages_are_exact_both_ways_in_every_order(
        self, api_client, monkeypatch, backend, ordering
    ):
        """Pages from the facet index (or the database while it builds) follow the
        SQL order exactly, ties included, forward and back."""
        from marketplace.catalogue.sorting import SORT_ORDERS

        if backend == "database":
            monkeypatch.setattr(facet_index, "backend", facet_index.DatabaseFacets)
        artisans = [f.ArtisanFactory(rating_average=r) for r in ("4.5", "3.0", "4.5")]
        for n, price in enumerate(("30", "10", "30", "20", "30", "10", "45")):
            f.catalogue_listing(
                artisan=artisans[n % 3], price=Decimal(price), category="ring"
            )
        f.catalogue_listing(artisan=artisans[0], category="pendant")  # filtered out
        expected = list(
            Listing.objects.published()
            .filter(category="ring")
            .order_by(*SORT_ORDERS[ordering].fields)
            .values_list("slug", flat=True)
        )
        url = f"{LIST}?ordering={ordering}&category=ring&page_size=3"
        pages, last = cursor_pages(api_client, url)
        assert flattened(pages) == expected
        assert [len(page) for page in pages] == [3, 3, 1]
        back = api_client.get(last["previous"]).json()
        assert [row["slug"] for row in back["results"]] == pages[1]
        first = api_client.get(back["previous"]).json()
        assert [row["slug"] for row in first["results"]] == pages[0]
        assert first["previous"] is None

    def test_a_page_continues_after_its_boundary_even_when_that_piece_changed(
        self, api_client
    ):
        pieces = [f.catalogue_listing(price=Decimal(p)) for p in ("10", "20", "30")]
        body = api_client.get(LIST, {"ordering": "price", "page_size": 1}).json()
        assert body["results"][0]["slug"] == pieces[0].slug
        # The boundary piece now costs the most: the next page still starts after
        # where it stood (20), not after where it is now.
        Listing.objects.filter(pk=pieces[0].pk).update(price=Decimal("99"))
        following = api_client.get(body["next"]).json()
        assert [row["slug"] for row in following["results"]] == [pieces[1].slug]

    def test_an_empty_page_past_a_gone_boundary_links_back_to_it(self, api_client):
        pieces = [f.catalogue_listing(price=Decimal(p)) for p in ("10", "20", "30")]
        first = api_client.get(LIST, {"ordering": "price", "page_size": 2}).json()
        # Everything after the first page's boundary is taken down.
        Listing.objects.filter(pk=pieces[2].pk).update(status="archived")
        empty = api_client.get(first["next"]).json()
        assert empty["results"] == [] and empty["next"] is None
        back = api_client.get(empty["previous"]).json()
        assert [row["slug"] for row in back["results"]] == [
            pieces[0].slug,
            pieces[1].slug,
        ]
        assert back["previous"] is None

    @pytest.mark.parametrize(
        "position",
        [
            b"p=silver",
            b"p=1:2:3",
            b"p=x:1",
            b"p=",
            b"p=1.0:99999999999999999999",
            b"p=1.0:-1",
            b"p=1.0:4294967296",
            b"p=nan:1",
            b"p=inf:1",
            b"p=1e300:1",
        ],
    )
    def test_a_forged_cursor_on_any_order_is_a_404(self, api_client, position):
        import base64

        f.catalogue_listing()
        cursor = base64.b64encode(position).decode()
        for ordering in ("price", "newest", ""):
            response = api_client.get(LIST, {"ordering": ordering, "cursor": cursor})
            assert response.status_code == 404, ordering
        response = api_client.get(LIST, {"q": "ring", "cursor": cursor})
        assert response.status_code == 404

    def test_search_results_page_by_cursor_without_repeats(self, api_client):
        artisan = f.ArtisanFactory()
        for n in range(5):
            f.catalogue_listing(artisan=artisan, title=f"Opal ring {n}")
        listing_search_rebuild()
        slugs = flattened(cursor_pages(api_client, f"{LIST}?q=opal&page_size=2")[0])
        assert len(slugs) == 5 == len(set(slugs))

    def test_a_forged_cursor_is_a_404_not_a_500(self, api_client):
        import base64

        f.catalogue_listing()
        cursor = base64.b64encode(b"o=0&r=0&p=not-a-number").decode()
        response = api_client.get(LIST, {"q": "ring", "cursor": cursor})
        assert response.status_code == 404

    @pytest.mark.parametrize("page_size", [20, 60])
    def test_query_count_does_not_depend_on_page_size(
        self, page_size, django_assert_num_queries
    ):
        artisans = [f.ArtisanFactory() for _ in range(3)]
        for n in range(60):
            f.catalogue_listing(artisan=artisans[n % 3])
        client = api_client_for(f.UserFactory())  # authenticated: not cached
        query = {"page_size": page_size, "metal": "silver"}
        facet_index.current()  # as a worker builds it before its first request
        # The change log read by the facet index (which gives the page's ids and sort
        # keys), the page's cards; for the missing cards, in one transaction (a
        # savepoint here), the change log's position, the listings with artisans,
        # their photos and one upsert; then the changes since that position.
        with django_assert_num_queries(9):
            first = client.get(LIST, query)
        # Once stored: the change log read, the page's cards.
        with django_assert_num_queries(2):
            response = client.get(LIST, query)
        assert len(response.json()["results"]) == page_size
        assert response.content == first.content

    def test_anonymous_list_is_cached_and_invalidated(
        self, api_client, django_assert_num_queries, django_capture_on_commit_callbacks
    ):
        from marketplace.catalogue.services.listings import listing_publish

        f.catalogue_listing()
        api_client.get(LIST)
        with django_assert_num_queries(0):
            assert len(api_client.get(LIST).json()["results"]) == 1
        draft = f.publishable_listing()
        with django_capture_on_commit_callbacks(execute=True):
            listing_publish(listing=draft, actor=draft.artisan.user)
        assert len(api_client.get(LIST).json()["results"]) == 2

    def test_cached_links_keep_the_scheme_they_were_made_for(self, api_client):
        for _ in range(3):
            f.catalogue_listing()
        plain = api_client.get(LIST, {"page_size": 1}).json()["next"]
        secure = api_client.get(LIST, {"page_size": 1}, secure=True).json()["next"]
        assert plain.startswith("http://") and secure.startswith("https://")
        assert api_client.get(LIST, {"page_size": 1}).json()["next"] == plain

    def test_a_cached_hit_is_the_same_response_as_the_miss(
        self, api_client, django_assert_num_queries
    ):
        for _ in range(3):
            f.catalogue_listing()
        miss = api_client.get(LIST, {"page_size": 2})
        with django_assert_num_queries(0):
            hit = api_client.get(LIST, {"page_size": 2})
        assert hit.status_code == miss.status_code == 200
        assert hit.content == miss.content
        assert hit["Content-Type"] == miss["Content-Type"] == "application/json"
        assert hit["Vary"] == miss["Vary"]
        assert len(hit.json()["results"]) == 2 and hit.json()["next"]

    def test_the_browsable_api_is_not_served_from_the_json_cache(
        self, api_client, django_assert_max_num_queries
    ):
        f.catalogue_listing()
        api_client.get(LIST)  # fills the cache for JSON
        response = api_client.get(LIST, {"format": "api"}, HTTP_ACCEPT="text/html")
        assert response["Content-Type"].startswith("text/html")
        with django_assert_max_num_queries(10) as captured:
            again = api_client.get(LIST, {"format": "api"}, HTTP_ACCEPT="text/html")
        assert again["Content-Type"].startswith("text/html")
        assert len(captured) > 0  # rendered afresh, never the cached JSON bytes

    def test_an_indented_json_request_gets_its_own_rendering(self, api_client):
        f.catalogue_listing()
        plain = api_client.get(LIST)  # fills the cache for plain JSON
        indented = api_client.get(LIST, HTTP_ACCEPT="application/json; indent=2")
        assert indented.content.startswith(b'{\n  "next"')
        assert not plain.content.startswith(b"{\n")
        assert indented.json() == plain.json()

    def test_cached_hits_are_still_throttled(self, api_client, monkeypatch):
        from rest_framework.throttling import SimpleRateThrottle

        f.catalogue_listing()
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "3/minute")
        responses = [api_client.get(LIST) for _ in range(4)]
        assert [r.status_code for r in responses] == [200, 200, 200, 429]
        assert int(responses[-1]["Retry-After"]) > 0

    @staticmethod
    def through_drf(monkeypatch) -> list:
        """Requests that went through DRF's request cycle, from now on."""
        seen = []
        initial = ListingViewSet.initial

        def counted(view, request, *args, **kwargs):
            seen.append(request.META.get("HTTP_ACCEPT"))
            return initial(view, request, *args, **kwargs)

        monkeypatch.setattr(ListingViewSet, "initial", counted)
        return seen

    @pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
    def test_a_cached_hit_skips_drf_and_answers_as_drf_does(
        self, api_client, monkeypatch, accept
    ):
        for _ in range(3):
            f.catalogue_listing()
        headers = {} if accept is None else {"HTTP_ACCEPT": accept}
        miss = api_client.get(LIST, {"page_size": 2}, **headers)
        seen = self.through_drf(monkeypatch)
        hit = api_client.get(LIST, {"page_size": 2}, **headers)
        assert seen == []
        assert hit.content == miss.content
        for header in ("Content-Type", "Vary", "Allow"):
            assert hit[header] == miss[header]

    @pytest.mark.parametrize(
        "extra",
        [
            {"HTTP_ACCEPT": "application/json; indent=2"},
            {"HTTP_ACCEPT": "text/html"},
            {"format": "json"},
            {"HTTP_AUTHORIZATION": "Token not-a-real-one"},
        ],
    )
    def test_anything_but_a_plain_anonymous_hit_goes_through_drf(
        self, api_client, monkeypatch, extra
    ):
        f.catalogue_listing()
        api_client.get(LIST)  # cached
        seen = self.through_drf(monkeypatch)
        query = {k: v for k, v in extra.items() if not k.startswith("HTTP_")}
        headers = {k: v for k, v in extra.items() if k.startswith("HTTP_")}
        response = api_client.get(LIST, query, **headers)
        assert len(seen) == 1
        assert response.status_code in (200, 401)

    def test_a_signed_in_visitor_goes_through_drf(self, api_client, monkeypatch):
        f.catalogue_listing()
        api_client.get(LIST)  # cached for anonymous visitors
        api_client.force_login(f.UserFactory())
        seen = self.through_drf(monkeypatch)
        assert api_client.get(LIST).status_code == 200
        assert len(seen) == 1


class TestFacets:
    def test_facets_with_the_same_filters(self, api_client):
        ring = f.catalogue_listing(category="ring")
        f.catalogue_listing(category="brooch")
        ring.metals.update(metal="gold", fineness=750)
        body = api_client.get(f"{LIST}facets/", {"metal": "gold"}).json()
        assert body["count"] == 1
        facets = {facet["name"]: facet for facet in body["facets"]}
        counts = {v["value"]: v["count"] for v in facets["category"]["values"]}
        assert (counts["ring"], counts["brooch"]) == (1, 0)
        metal = {
            v["value"]: (v["count"], v["selected"]) for v in facets["metal"]["values"]
        }
        assert metal["gold"] == (1, True) and metal["silver"] == (1, False)

    def test_bad_facet_filter_is_a_400(self, api_client):
        response = api_client.get(f"{LIST}facets/", {"kind": "unique"})
        assert response.status_code == 400
        assert "kind" in response.json()
        # The list names the field the same way.
        assert api_client.get(LIST, {"kind": "unique"}).json() == response.json()


class TestDetailAndVisibility:
    def test_published_detail(self, api_client):
        listing = f.catalogue_listing()
        body = api_client.get(detail(listing)).json()
        assert body["metals"][0]["fine_weight_grams"] == "7.862"  # 8.5 g × 925
        assert "image" not in body["photos"][0]  # never the original upload

    def test_drafts_are_404_for_everyone_but_the_maker(self, api_client):
        draft = f.ListingFactory()
        f.MetalComponentFactory(listing=draft)
        assert api_client.get(detail(draft)).status_code == 404
        for user in (f.UserFactory(), f.ArtisanFactory().user):
            client = api_client_for(user)
            assert client.get(detail(draft)).status_code == 404
            assert client.get(f"{detail(draft)}metals/").status_code == 404
            assert client.patch(detail(draft), {"title": "Mine now"}).status_code == 404
            assert client.post(f"{detail(draft)}publish/").status_code == 404
        assert api_client_for(draft.artisan.user).get(detail(draft)).status_code == 200
        draft.refresh_from_db()
        assert draft.title != "Mine now"

    def test_another_artisan_cannot_write_a_published_piece(self):
        listing = f.catalogue_listing()
        client = api_client_for(f.ArtisanFactory().user)
        assert client.patch(detail(listing), {"title": "X"}).status_code == 404
        assert client.post(f"{detail(listing)}unpublish/").status_code == 404
        metal = listing.metals.get()
        assert client.delete(f"{detail(listing)}metals/{metal.pk}/").status_code == 404
        listing.refresh_from_db()
        assert listing.status == "published" and listing.metals.count() == 1

    def test_detail_query_budget(self, api_client, django_assert_max_num_queries):
        listing = f.catalogue_listing()
        for _ in range(50):
            f.GemstoneFactory(listing=listing)
            f.HallmarkRecordFactory(listing=listing)
        with django_assert_max_num_queries(9):
            assert api_client.get(detail(listing)).status_code == 200


class TestWrites:
    def test_artisan_creates_edits_and_publishes(self):
        artisan = f.ArtisanFactory()
        technique = f.TechniqueFactory(slug="filigree")
        client = api_client_for(artisan.user)
        response = client.post(
            LIST,
            {
                "title": "Filigree drops",
                "description": "Fine wire.",
                "category": "earrings",
                "price": "95.00",
                "techniques": [technique.slug],
            },
        )
        assert response.status_code == 201
        slug = response.json()["slug"]
        assert response.json()["status"] == "draft"
        url = f"{LIST}{slug}/"
        assert client.post(f"{url}publish/").status_code == 400
        metal = client.post(
            f"{url}metals/",
            {
                "metal": "silver",
                "fineness": 925,
                "construction": "solid",
                "weight_grams": "4.2",
            },
        )
        assert metal.status_code == 201
        photo = client.post(
            f"{url}photos/",
            {
                "image": demo_images.piece_photo(2, size=80),
                "alt_text": "Drops",
                "role": "main",
            },
            format="multipart",
        )
        assert photo.status_code == 201, photo.content
        published = client.post(f"{url}publish/")
        assert published.status_code == 200
        assert published.json()["status"] == "published"

    def test_status_and_verification_fields_are_not_writable(self):
        listing = f.ListingFactory()
        client = api_client_for(listing.artisan.user)
        response = client.patch(
            detail(listing),
            {
                "status": "published",
                "published_at": "2020-01-01T00:00:00Z",
                "title": "Ok",
            },
        )
        assert response.status_code == 200
        listing.refresh_from_db()
        assert (listing.status, listing.published_at, listing.title) == (
            "draft",
            None,
            "Ok",
        )
        f.MetalComponentFactory(listing=listing)
        record = f.HallmarkRecordFactory(
            listing=listing,
            maker_mark=f.verified(f.MakerMarkFactory(artisan=listing.artisan)),
        )
        client.patch(
            f"{detail(listing)}hallmarks/{record.pk}/",
            {"verification_status": "verified", "assay_office": "Sheffield"},
        )
        record.refresh_from_db()
        assert (record.verification_status, record.assay_office) == (
            "draft",
            "Sheffield",
        )

    def test_a_buyer_cannot_create_listings(self):
        response = api_client_for(f.UserFactory()).post(
            LIST, {"title": "X", "description": "x", "category": "ring"}
        )
        assert response.status_code == 403
        assert not Listing.objects.exists()

    def test_anonymous_cannot_write(self, api_client):
        listing = f.catalogue_listing()
        assert api_client.post(LIST, {"title": "X"}).status_code == 401
        assert api_client.patch(detail(listing), {"title": "X"}).status_code == 401

    def test_bad_input_is_a_400_with_field_errors(self):
        listing = f.ListingFactory()
        client = api_client_for(listing.artisan.user)
        response = client.post(
            f"{detail(listing)}metals/",
            {
                "metal": "brass",
                "fineness": 925,
                "construction": "plated",
                "weight_grams": "2",
                "plating_metal": "gold",
            },
        )
        assert response.status_code == 400
        assert "fineness" in response.json()
        assert not listing.metals.exists()
        response = client.post(
            f"{detail(listing)}photos/",
            {"image": b"nope", "alt_text": "x"},
            format="multipart",
        )
        assert response.status_code == 400

    def test_hallmark_rules_in_the_api(self):
        listing = f.ListingFactory()
        f.MetalComponentFactory(listing=listing)
        client = api_client_for(listing.artisan.user)
        response = client.post(
            f"{detail(listing)}hallmarks/",
            {
                "system": "uk",
                "metal": "silver",
                "fineness_mark": 925,
                "maker_mark": f.verified(f.MakerMarkFactory()).pk,
                "assay_office": "London",
            },
        )
        assert response.status_code == 400 and "maker_mark" in response.json()
        mark = f.verified(f.MakerMarkFactory(artisan=listing.artisan))
        response = client.post(
            f"{detail(listing)}hallmarks/",
            {
                "system": "uk",
                "metal": "silver",
                "fineness_mark": 925,
                "maker_mark": mark.pk,
                "assay_office": "London",
            },
        )
        assert response.status_code == 201
        submitted = client.post(
            f"{detail(listing)}hallmarks/{response.json()['id']}/submit/"
        )
        assert submitted.json()["verification_status"] == "submitted"


class TestFavouritesApi:
    def test_add_list_and_remove(self):
        listing = f.catalogue_listing()
        user = f.UserFactory()
        client = api_client_for(user)
        created = client.post("/api/favourites/", {"listing": listing.slug})
        assert created.status_code == 201
        assert [
            row["listing"] for row in client.get("/api/favourites/").json()["results"]
        ] == [listing.slug]
        assert (
            client.delete(f"/api/favourites/{created.json()['id']}/").status_code == 204
        )
        assert not Favourite.objects.exists()

    def test_others_favourites_are_404(self):
        favourite = f.FavouriteFactory()
        client = api_client_for(f.UserFactory())
        assert client.get(f"/api/favourites/{favourite.pk}/").status_code == 404
        assert client.delete(f"/api/favourites/{favourite.pk}/").status_code == 404
        assert Favourite.objects.filter(pk=favourite.pk).exists()

    def test_drafts_cannot_be_favourited_and_bad_input_is_400(self):
        client = api_client_for(f.UserFactory())
        assert (
            client.post(
                "/api/favourites/", {"listing": f.ListingFactory().slug}
            ).status_code
            == 400
        )
        assert client.post("/api/favourites/", {}).status_code == 400

    def test_anonymous_is_401(self, api_client):
        assert api_client.get("/api/favourites/").status_code == 401


class TestMetalPricesApi:
    def test_read_by_all_written_by_verifiers(self, api_client):
        payload = {
            "metal": "gold",
            "price_per_gram": "61.2000",
            "currency": "GBP",
            "as_of": "2026-11-30",
        }
        verifier = api_client_for(f.VerifierFactory())
        response = verifier.post("/api/metal-prices/", payload)
        assert response.status_code == 201
        assert (
            api_client.get("/api/metal-prices/").json()["results"][0]["metal"] == "gold"
        )
        assert (
            api_client_for(f.UserFactory())
            .post("/api/metal-prices/", payload)
            .status_code
            == 403
        )
        assert (
            api_client_for(f.ArtisanFactory().user)
            .post("/api/metal-prices/", payload)
            .status_code
            == 403
        )
        assert APIClient().post("/api/metal-prices/", payload).status_code == 401
        assert MetalPrice.objects.count() == 1

    def test_bad_price_is_400(self):
        verifier = api_client_for(f.VerifierFactory())
        response = verifier.post(
            "/api/metal-prices/",
            {
                "metal": "brass",
                "price_per_gram": "0",
                "currency": "GBP",
                "as_of": "2026-11-30",
            },
        )
        assert response.status_code == 400
        assert not MetalPrice.objects.exists()
