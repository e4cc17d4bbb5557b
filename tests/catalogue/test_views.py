"""HTML catalogue: /pieces/, facets, search, the piece page, favourites, caching."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from marketplace.catalogue.facets import CatalogueQuery
from marketplace.catalogue.filters import ListingFilter
from marketplace.catalogue.models import Favourite, Listing, MetalPrice
from marketplace.catalogue.selectors import listing_list
from marketplace.catalogue.services.listings import listing_search_rebuild
from tests import factories as f

pytestmark = pytest.mark.django_db

PIECES = reverse("marketplace:listing-list")


def shown_ids(response) -> list[int]:
    """The listings of the grid's cards, in their order."""
    return [card.pk for card in response.context["cards"]]


def facet_counts(data, queryset=None):
    filterset = ListingFilter(data, queryset=queryset or listing_list())
    facets = CatalogueQuery(filterset).facets(queryset or listing_list())
    return {
        facet["name"]: {v["value"]: v["count"] for v in facet["values"]}
        for facet in facets
    }


@pytest.fixture
def shelf():
    """A small catalogue with known facet values."""
    se = f.ArtisanFactory(country="SE")
    gh = f.ArtisanFactory(country="GH")
    gold_ring = f.catalogue_listing(artisan=se, category="ring", price=Decimal("900"))
    gold_ring.metals.update(metal="gold", fineness=750)
    silver_ring = f.catalogue_listing(artisan=gh, category="ring", price=Decimal("120"))
    gold_pendant = f.catalogue_listing(
        artisan=gh, category="pendant", price=Decimal("1500")
    )
    gold_pendant.metals.update(metal="gold", fineness=916)
    silver_earrings = f.catalogue_listing(
        artisan=se,
        category="earrings",
        price=Decimal("80"),
        kind="made_to_order",
        lead_time_days=10,
    )
    f.GemstoneFactory(listing=silver_earrings, nature="lab_grown")
    # Two-metal piece: counted once per metal.
    mixed = f.catalogue_listing(artisan=se, category="ring", price=Decimal("300"))
    f.MetalComponentFactory(listing=mixed, metal="gold", fineness=585)
    f.ListingFactory(artisan=se, category="ring")  # a draft: never counted
    return {
        "gold_ring": gold_ring,
        "silver_ring": silver_ring,
        "gold_pendant": gold_pendant,
        "silver_earrings": silver_earrings,
        "mixed": mixed,
    }


class TestFacets:
    def test_counts_without_filters(self, shelf):
        counts = facet_counts({})
        assert counts["category"]["ring"] == 3
        assert counts["metal"] == {**counts["metal"], "gold": 3, "silver": 3}
        assert counts["country"] == {"SE": 3, "GH": 2}
        assert counts["kind"]["made_to_order"] == 1
        assert counts["gemstone"]["lab_grown"] == 1
        assert counts["price"] == {
            "under-100": 1,
            "100-250": 1,
            "250-500": 1,
            "500-1000": 1,
            "1000-plus": 1,
        }

    def test_counts_apply_every_other_filter(self, shelf):
        counts = facet_counts({"metal": ["gold"], "category": ["ring"]})
        # Category counts: gold pieces only (the category filter itself is ignored).
        assert counts["category"]["ring"] == 2
        assert counts["category"]["pendant"] == 1
        assert counts["category"]["earrings"] == 0
        # Metal counts: rings only (the metal filter itself is ignored).
        assert counts["metal"]["gold"] == 2
        assert counts["metal"]["silver"] == 2
        # Other facets: both filters apply.
        assert counts["country"] == {"SE": 2}
        assert counts["fineness"] == {"750": 1, "585": 1, "925": 1}

    def test_values_within_a_facet_are_or_ed(self, shelf):
        filterset = ListingFilter(
            {"category": ["ring", "pendant"], "country": ["GH"]},
            queryset=listing_list(),
        )
        assert set(filterset.qs) == {shelf["silver_ring"], shelf["gold_pendant"]}
        counts = facet_counts({"category": ["ring", "pendant"], "country": ["GH"]})
        assert counts["country"] == {"GH": 2, "SE": 2}

    def test_hallmarked_and_maker_mark_facets(self, shelf):
        piece = shelf["gold_ring"]
        f.HallmarkRecordFactory(listing=piece, metal="gold", fineness_mark=750)
        f.verified(f.MakerMarkFactory(artisan=piece.artisan))
        counts = facet_counts({})
        # Every silver piece weighs 8.5 g with no UK mark: over the exemption weight.
        assert counts["hallmarked"] == {"yes": 1, "no": 4, "exempt": 0}
        assert counts["maker_mark"] == {
            "verified": 3
        }  # the Swedish artisan's three pieces
        filterset = ListingFilter({"hallmarked": ["yes"]}, queryset=listing_list())
        assert list(filterset.qs) == [piece]

    def test_facets_come_from_the_index_in_one_query(
        self, shelf, django_assert_num_queries
    ):
        facet_counts({})  # builds this process's index at the current revision
        # The revision check: nothing per facet or value; the technique choices are
        # kept with the index's snapshot.
        with django_assert_num_queries(1):
            counts = facet_counts({"metal": ["gold"], "category": ["ring"]})
        assert counts["category"]["ring"] == 2

    def test_page_shows_counts_and_filters(self, client, shelf):
        response = client.get(PIECES, {"metal": "gold", "category": "ring"})
        assert response.status_code == 200
        shown = {card.pk for card in response.context["cards"]}
        assert shown == {shelf["gold_ring"].pk, shelf["mixed"].pk}
        html = response.content.decode()
        assert 'data-facet="metal" data-value="gold"' in html
        assert "2 pieces" in html

    def test_each_value_links_to_the_page_with_it_toggled(self, client, shelf):
        """Ticking adds the value, unticking removes it (once, if given twice); the
        other parameters keep their order, and the page number is dropped."""
        query = "q=ring&metal=gold&metal=gold&page=2&ordering=price&category=ring"
        html = client.get(f"{PIECES}?{query}").content.decode()

        def link(facet, value):
            marker = f'data-facet="{facet}" data-value="{value}"'
            start = html.rindex('<a href="', 0, html.index(marker)) + len('<a href="')
            return html[start : html.index('"', start)].replace("&amp;", "&")

        assert (
            link("metal", "gold") == "?q=ring&metal=gold&ordering=price&category=ring"
        )
        assert link("metal", "silver") == (
            "?q=ring&metal=gold&metal=gold&metal=silver&ordering=price&category=ring"
        )
        assert (
            link("category", "ring") == "?q=ring&metal=gold&metal=gold&ordering=price"
        )
        assert link("kind", "one_of_a_kind") == (
            "?q=ring&metal=gold&metal=gold&ordering=price&category=ring"
            "&kind=one_of_a_kind"
        )
        assert 'aria-current="true" data-facet="metal" data-value="gold">✓ ' in html

    def test_facet_labels_and_values_are_escaped(self, client, shelf):
        f.TechniqueFactory(slug="x", name='<script>alert("t")</script>')
        listing = shelf["gold_ring"]
        listing.techniques.add(f.TechniqueFactory(slug="y", name="A & B <b>"))
        html = client.get(PIECES, {"technique": '"><b>'}).content.decode()
        assert "A &amp; B &lt;b&gt;" in html
        assert "<b>" not in html.split("<aside", 1)[1].split("</aside>", 1)[0]

    def test_sidebar_has_a_labelled_section_per_facet_and_the_sort_chosen(
        self, client, shelf
    ):
        response = client.get(PIECES, {"ordering": "price", "metal": "gold"})
        html = response.content.decode()
        sidebar = html.split("<aside", 1)[1].split("</aside>", 1)[0]
        for facet in response.context["facets"]:
            name = facet["name"]
            assert (
                f'<section class="facet" aria-labelledby="facet-{name}">\n'
                f'<h3 id="facet-{name}">{escape(facet["label"])}</h3>'
            ) in sidebar
        assert sidebar.count("<section") == len(response.context["facets"]) > 3
        assert '<option value="price" selected>' in sidebar
        assert sidebar.count(" selected>") == 1
        # The page's cards, in their order.
        cards = response.context["cards"]
        assert html.index(cards[0].html) < html.index(cards[-1].html)

    def test_bad_filter_value_is_an_error_not_a_500(self, client, shelf):
        response = client.get(PIECES, {"metal": "unobtainium"})
        assert response.status_code == 200
        assert response.context["cards"] == []
        assert "unobtainium" in response.content.decode()


class TestSearchAndSort:
    def test_a_title_match_comes_first_on_the_page(self, client):
        # Created first, so only the ranking (not newest-first) can put it on top.
        title_match = f.catalogue_listing(
            title="Opal drop pendant", description="Simple."
        )
        description_match = f.catalogue_listing(
            title="Twisted band", description="With an opal inlay."
        )
        listing_search_rebuild()
        response = client.get(PIECES, {"q": "opal"})
        assert shown_ids(response) == [title_match.pk, description_match.pk]
        assert "Pieces matching “opal”" in response.content.decode()

    def test_sort_by_price(self, client):
        cheap = f.catalogue_listing(price=Decimal("50"))
        dear = f.catalogue_listing(price=Decimal("500"))
        assert shown_ids(client.get(PIECES, {"ordering": "price"})) == [
            cheap.pk,
            dear.pk,
        ]
        assert shown_ids(client.get(PIECES, {"ordering": "-price"})) == [
            dear.pk,
            cheap.pk,
        ]

    def test_newest_first_by_default(self, client):
        older = f.catalogue_listing()
        newer = f.catalogue_listing()
        Listing.objects.filter(pk=older.pk).update(published_at="2025-01-01T00:00:00Z")
        assert shown_ids(client.get(PIECES)) == [newer.pk, older.pk]

    def test_paginates(self, client):
        artisan = f.ArtisanFactory()
        for _ in range(26):
            f.catalogue_listing(artisan=artisan)
        first = client.get(PIECES)
        assert len(first.context["cards"]) == 24
        second = client.get(PIECES, {"page": 2})
        assert len(second.context["cards"]) == 2


class TestVisibility:
    def test_drafts_and_archived_pieces_are_404_for_everyone_else(self, client):
        draft = f.ListingFactory()
        archived = f.ListingFactory(status="archived")
        other_artisan = f.ArtisanFactory().user
        for listing in (draft, archived):
            assert client.get(listing.get_absolute_url()).status_code == 404
            client.force_login(f.UserFactory())
            assert client.get(listing.get_absolute_url()).status_code == 404
            client.force_login(other_artisan)
            assert client.get(listing.get_absolute_url()).status_code == 404
            client.logout()
        assert draft.title not in client.get(PIECES).content.decode()

    def test_a_private_piece_opens_for_its_buyer_and_maker_only(self, client):
        buyer = f.UserFactory()
        piece = f.catalogue_listing(title="Made for one")
        Listing.objects.filter(pk=piece.pk).update(private_to=buyer)
        url = piece.get_absolute_url()
        assert client.get(url).status_code == 404
        for stranger in (f.UserFactory(), f.ArtisanFactory().user):
            client.force_login(stranger)
            assert client.get(url).status_code == 404
        for allowed in (buyer, piece.artisan.user):
            client.force_login(allowed)
            response = client.get(url)
            assert response.status_code == 200
            assert "Made for one" in response.content.decode()

    def test_the_maker_sees_their_draft(self, client):
        draft = f.ListingFactory()
        client.force_login(draft.artisan.user)
        response = client.get(draft.get_absolute_url())
        assert response.status_code == 200
        assert "This is a draft" in response.content.decode()

    def test_a_sold_piece_stays_visible_but_leaves_the_grid(self, client):
        sold = f.catalogue_listing(status="sold")
        assert client.get(sold.get_absolute_url()).status_code == 200
        assert sold.pk not in shown_ids(client.get(PIECES))


class TestPiecePage:
    def test_shows_materials_hallmarks_value_and_care(self, client):
        listing = f.catalogue_listing(
            care_instructions="Polish gently.", price=Decimal("260")
        )
        f.GemstoneFactory(listing=listing, species="diamond", nature="lab_grown")
        mark = f.verified(f.MakerMarkFactory(artisan=listing.artisan, text="QX"))
        f.HallmarkRecordFactory(listing=listing, maker_mark=mark)
        f.MetalPriceFactory(
            metal="silver", price_per_gram=Decimal("1.00"), as_of="2026-03-02"
        )
        html = client.get(listing.get_absolute_url()).content.decode()
        assert "Lab-grown diamond" in html
        assert "Sterling" not in html or "925" in html
        assert "UK hallmark" in html and "Declared by the artisan" in html
        assert "7.862 g" in html  # 8.5 g × 925
        assert "7.86 GBP" in html and "as of 2 Mar 2026" in html
        assert "Polish gently." in html
        assert "QX" in html  # the maker's verified mark

    def test_value_panel_follows_every_change_to_the_reference_prices(self, client):
        from marketplace.catalogue.services.prices import metal_price_set

        verifier = f.VerifierFactory()
        listing = f.catalogue_listing()  # 8.5 g sterling: 7.862 g of fine silver
        url = listing.get_absolute_url()

        def panel() -> str:
            html = client.get(url).content.decode()
            return html[html.index('id="value"') : html.index("Cost per wear")]

        def set_price(per_gram: str, day: int, currency: str = "GBP"):
            return metal_price_set(
                actor=verifier,
                metal="silver",
                price_per_gram=Decimal(per_gram),
                as_of=date(2026, 3, day),
                currency=currency,
            )

        assert "No reference price is set yet for silver" in panel()
        price = set_price("1.00", 2)
        assert "7.86 GBP" in panel()
        # The same day's price set again changes the row in place.
        set_price("2.00", 2)
        assert "15.72 GBP" in panel()
        # A newer price in another currency is not this piece's.
        set_price("9.00", 3, currency="EUR")
        assert "15.72 GBP" in panel() and "EUR" not in panel()
        MetalPrice.objects.filter(pk=price.pk).delete()
        assert "No reference price is set yet for silver" in panel()

    def test_says_plainly_when_no_price_is_set(self, client):
        listing = f.catalogue_listing()
        html = client.get(listing.get_absolute_url()).content.decode()
        assert "No reference price is set yet for silver" in html

    def test_not_hallmarked_is_shown_not_hidden(self, client):
        listing = f.catalogue_listing()  # 8.5 g silver, no hallmark
        html = client.get(listing.get_absolute_url()).content.decode()
        assert "Not hallmarked" in html

    def test_cost_per_wear_works_without_javascript(self, client):
        listing = f.catalogue_listing(price=Decimal("520"))
        response = client.get(
            listing.get_absolute_url(), {"wears_per_week": 2, "years": 5}
        )
        assert "costs <strong>1.00 GBP</strong> a wear" in response.content.decode()

    def test_cost_per_wear_bad_input_shows_an_error(self, client):
        listing = f.catalogue_listing()
        response = client.get(
            listing.get_absolute_url(), {"wears_per_week": 0, "years": "x"}
        )
        assert response.status_code == 200
        assert response.context["cost_per_wear"] is None
        assert response.context["cost_form"].errors
        html = response.content.decode()
        assert 'value="x"' in html and "Enter a whole number." in html

    def test_cost_per_wear_starts_from_three_wears_a_week_for_ten_years(self, client):
        listing = f.catalogue_listing(price=Decimal("1560"))
        for _ in range(2):  # the default form is rendered once, then kept
            html = client.get(listing.get_absolute_url()).content.decode()
            assert 'name="wears_per_week" value="3"' in html
            assert 'name="years" value="10"' in html
            assert "Worn 1560 times" in html
            assert "costs <strong>1.00 GBP</strong> a wear" in html

    def test_other_pieces_by_the_artisan(self, client):
        listing = f.catalogue_listing()
        other = f.catalogue_listing(artisan=listing.artisan, title="Sister piece")
        f.ListingFactory(artisan=listing.artisan, title="Secret draft")
        html = client.get(listing.get_absolute_url()).content.decode()
        assert other.title in html and "Secret draft" not in html


class TestFavourites:
    def test_favourite_a_piece_and_see_it_on_my_account(self, client):
        listing = f.catalogue_listing(title="Garnet signet")
        user = f.UserFactory()
        client.force_login(user)
        url = reverse("marketplace:favourite-toggle-listing", args=[listing.slug])
        response = client.post(url)
        assert response.status_code == 302
        assert Favourite.objects.filter(user=user, listing=listing).exists()
        account = client.get(reverse("marketplace:account")).content.decode()
        assert "Garnet signet" in account
        assert (
            "Remove from favourites"
            in client.get(listing.get_absolute_url()).content.decode()
        )
        client.post(url)
        assert not Favourite.objects.filter(user=user).exists()

    def test_favourite_an_artisan(self, client):
        listing = f.catalogue_listing()
        user = f.UserFactory()
        client.force_login(user)
        client.post(
            reverse("marketplace:favourite-toggle-artisan", args=[listing.artisan.slug])
        )
        assert Favourite.objects.filter(user=user, artisan=listing.artisan).exists()
        assert (
            listing.artisan.public_name
            in client.get(reverse("marketplace:favourite-list")).content.decode()
        )

    def test_anonymous_must_log_in(self, client):
        listing = f.catalogue_listing()
        response = client.post(
            reverse("marketplace:favourite-toggle-listing", args=[listing.slug])
        )
        assert (
            response.status_code == 302 and "/accounts/login/" in response["Location"]
        )
        assert not Favourite.objects.exists()

    def test_a_draft_cannot_be_favourited(self, client):
        draft = f.ListingFactory()
        client.force_login(f.UserFactory())
        response = client.post(
            reverse("marketplace:favourite-toggle-listing", args=[draft.slug])
        )
        assert response.status_code == 404
        assert not Favourite.objects.exists()

    def test_one_users_favourites_are_not_anothers(self, client):
        favourite = f.FavouriteFactory()
        client.force_login(f.UserFactory())
        assert (
            favourite.listing.title
            not in client.get(reverse("marketplace:account")).content.decode()
        )

    def test_get_is_not_allowed(self, client):
        listing = f.catalogue_listing()
        client.force_login(f.UserFactory())
        url = reverse("marketplace:favourite-toggle-listing", args=[listing.slug])
        assert client.get(url).status_code == 405


class TestQueryBudgets:
    def test_pieces_page_budget_with_60_rows(
        self, client, django_assert_max_num_queries
    ):
        artisans = [f.ArtisanFactory() for _ in range(3)]
        for n in range(60):
            listing = f.catalogue_listing(artisan=artisans[n % 3])
            f.GemstoneFactory(listing=listing)
        listing_search_rebuild()
        client.force_login(f.UserFactory())  # logged in: never served from the cache
        # Builds this process's facet index and stores the page's cards.
        client.get(PIECES, {"q": "ring", "metal": "silver"})
        # session, user, the page's cards, favourites, the facet index's revision,
        # the search's matches (and on SQLite, the page's own, from its best tier),
        # technique choices, and the header: artisan profile, verifier, unread
        # notifications, pieces in the basket
        with django_assert_max_num_queries(12):
            response = client.get(PIECES, {"q": "ring", "metal": "silver"})
        assert len(response.context["cards"]) == 24

    def test_pieces_page_budget_is_the_same_for_small_and_large_pages(self, client):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from marketplace.catalogue.cards import cards_forget
        from marketplace.catalogue.views.public import catalogue_page

        artisans = [f.ArtisanFactory() for _ in range(3)]
        for n in range(55):
            f.catalogue_listing(artisan=artisans[n % 3])

        class Request:
            GET = {}
            user = None

        from django.http import QueryDict

        counts = []
        request = Request()
        request.GET = QueryDict("")
        catalogue_page(request)  # builds this process's facet index
        for size in (20, 50):
            request = Request()
            request.GET = QueryDict("")
            cards_forget(everything=True)
            with CaptureQueriesContext(connection) as missing:
                context = catalogue_page(request, page_size=size)
            with CaptureQueriesContext(connection) as stored:
                again = catalogue_page(request, page_size=size)
            assert len(context["cards"]) == len(again["cards"]) == size
            counts.append((len(missing), len(stored)))
        assert counts[0] == counts[1]

    def test_piece_page_budget(
        self, client, django_assert_max_num_queries, django_assert_num_queries
    ):
        listing = f.catalogue_listing()
        for _ in range(50):
            f.GemstoneFactory(listing=listing)
            f.MetalComponentFactory(listing=listing)
        for _ in range(10):
            f.ListingPhotoFactory(listing=listing, role="detail")
            f.HallmarkRecordFactory(listing=listing)
        for _ in range(6):
            f.catalogue_listing(artisan=listing.artisan)
        client.get(listing.get_absolute_url())  # stores the other pieces' cards
        # The piece, its photos, metals, gemstones, hallmarks, techniques and maker's
        # marks; reference prices; the artisan's other pieces and their stored cards.
        with django_assert_max_num_queries(10):
            response = client.get(listing.get_absolute_url())
        assert response.status_code == 200
        assert len(response.context["other_cards"]) == 4
        # Once stored: one query, the piece with its parts, the prices' stamp and the
        # other pieces with their cards.
        with django_assert_num_queries(1):
            response = client.get(listing.get_absolute_url())
        assert len(response.context["other_cards"]) == 4

    def test_more_from_the_artisan_shows_their_newest_other_published_pieces(
        self, client
    ):
        listing = f.catalogue_listing()
        now = timezone.now()
        others = []
        for days in range(1, 7):
            other = f.catalogue_listing(artisan=listing.artisan)
            Listing.objects.filter(pk=other.pk).update(
                published_at=now - timedelta(days=days)
            )
            others.append(other)
        f.ListingFactory(artisan=listing.artisan)  # a draft
        f.catalogue_listing()  # another artisan's piece
        # A piece made privately for a buyer, newer than all of them: not shown.
        private = f.catalogue_listing(artisan=listing.artisan)
        Listing.objects.filter(pk=private.pk).update(
            private_to=f.UserFactory(), published_at=now
        )
        response = client.get(listing.get_absolute_url())
        shown = response.context["other_cards"]
        assert len(shown) == 4
        for html, piece in zip(shown, others[:4], strict=True):
            assert piece.get_absolute_url() in html
        content = response.content.decode()
        for piece in others[:4]:
            assert piece.get_absolute_url() in content
        assert others[4].get_absolute_url() not in content
        assert private.get_absolute_url() not in content


class TestCache:
    def test_anonymous_pages_are_cached_and_invalidated_by_services(
        self, client, django_assert_num_queries, django_capture_on_commit_callbacks
    ):
        from marketplace.catalogue.services.listings import listing_publish

        f.catalogue_listing(title="First piece")
        assert "First piece" in client.get(PIECES).content.decode()
        with django_assert_num_queries(0):
            assert "First piece" in client.get(PIECES).content.decode()
        new = f.publishable_listing(title="Second piece")
        with django_capture_on_commit_callbacks(execute=True):
            listing_publish(listing=new, actor=new.artisan.user)
        assert "Second piece" in client.get(PIECES).content.decode()

    def test_the_query_string_is_part_of_the_key(self, client):
        f.catalogue_listing(title="Ring one", category="ring")
        f.catalogue_listing(title="Brooch one", category="brooch")
        client.get(PIECES)
        html = client.get(PIECES, {"category": "brooch"}).content.decode()
        assert "Brooch one" in html and "Ring one</a>" not in html

    def test_logged_in_users_never_get_a_cached_page(self, client):
        f.catalogue_listing()
        user = f.UserFactory()
        client.get(PIECES)  # fills the anonymous cache
        client.force_login(user)
        response = client.get(PIECES)
        assert response.context is not None  # rendered, not served from the cache
        assert user.username in response.content.decode()


def test_each_request_binds_its_own_filters_and_form():
    """The FilterSet's filters are shallow copies and its form class is made once:
    requests still get their own bound filters and form, with live choices."""
    first = ListingFilter({"category": ["ring"]}, queryset=listing_list())
    second = ListingFilter({"technique": ["new-one"]}, queryset=listing_list())
    assert first.filters["category"] is not second.filters["category"]
    assert first.filters["category"].parent is first
    assert second.filters["category"].parent is second
    assert type(first.form) is type(second.form)
    assert first.form is not second.form
    assert first.is_valid()
    # A technique added since the form class was made is a valid choice.
    assert not second.is_valid()
    f.TechniqueFactory(slug="new-one", name="New one")
    third = ListingFilter({"technique": ["new-one"]}, queryset=listing_list())
    assert third.is_valid(), third.errors
