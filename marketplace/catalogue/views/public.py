"""The catalogue: browse, search and facets, the piece page and favourites."""

from functools import partial
from urllib.parse import quote_plus, urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views import View
from django.views.generic import TemplateView

from artisans.models import Artisan
from marketplace.catalogue import caching
from marketplace.catalogue.cards import (
    PieceParts,
    cards_for,
    cards_html_of,
    piece_parts_for,
    piece_parts_render,
    piece_version,
)
from marketplace.catalogue.facets import CatalogueQuery
from marketplace.catalogue.filters import ListingFilter
from marketplace.catalogue.forms import CostPerWearForm
from marketplace.catalogue.permissions import can_edit_listing
from marketplace.catalogue.selectors import (
    catalogue_search,
    favourite_list,
    favourite_listing_ids,
    listing_fine_metal,
    listing_get,
    listing_hallmark_status,
    listing_page_get,
    listing_parts_get,
    listing_search_tiers,
    listing_value_panel,
    search_text,
)
from marketplace.catalogue.services.favourites import favourite_toggle
from marketplace.catalogue.sorting import DEFAULT_ORDER, SORT_CHOICES, SORT_ORDERS

PAGE_SIZE = 24


def catalogue_page(request, *, page_size: int = PAGE_SIZE) -> dict:
    """Filter, search, sort, facet and paginate the catalogue for one request."""
    q = search_text(request.GET)
    ordering = request.GET.get("ordering", "")
    base = catalogue_search(user=request.user, q=q)
    filterset = ListingFilter(request.GET, queryset=base)
    relevance = bool(q) and ordering not in SORT_ORDERS
    tiers = listing_search_tiers(q) if relevance else None
    catalogue = CatalogueQuery(filterset, q=q)
    # The search's matches: their ids (for the facets; with their ranks, when every
    # match is ranked), without reading the listings; the facet index keeps the
    # published ones.
    match_ids = None
    if q:
        ranks_all = relevance and not tiers
        match_ids = catalogue.search_ranks()[0] if ranks_all else catalogue.search_ids()
    facets = catalogue.facets(base, searched=bool(q), matches=match_ids)
    if not filterset.is_valid():
        ids = []
    elif relevance:
        ids = catalogue.by_relevance(tiers, total=catalogue.total)
    else:
        ordering_name = ordering if ordering in SORT_ORDERS else DEFAULT_ORDER.name
        ids = catalogue.ordered(ordering_name, within=match_ids)
    # The facet index holds the matches in every order and reads out only the page's
    # ids; the database reads only the page's own stored cards.
    paginator = Paginator(ids, page_size)
    page = paginator.get_page(request.GET.get("page"))
    cards = _stored_cards([int(pk) for pk in page.object_list])
    query = request.GET.copy()
    query.pop("page", None)
    _add_toggle_urls(facets, query)
    return {
        "q": q,
        "ordering": ordering,
        "sort_choices": SORT_CHOICES,
        "filterset": filterset,
        "facets": facets,
        "page_obj": page,
        "cards": cards,
        # Stored fragments, escaped when they were rendered.
        "cards_html": mark_safe("".join(card.html for card in cards)),  # noqa: S308
        "querystring_base": query.urlencode(),
        "query": query,
    }


def _stored_cards(ids: list[int]) -> list:
    """The stored cards of these listings, in this order (one query)."""
    stored = cards_for(ids=ids)
    return [stored[pk] for pk in ids if pk in stored]


def _add_toggle_urls(facets: list[dict], query) -> None:
    """Give each facet value the catalogue URL with that value ticked or unticked (the
    page reset): the other parameters are encoded once per facet, not once per value.
    """
    params = list(query.lists())
    for facet in facets:
        name = facet["name"]
        at = next((n for n, (key, _) in enumerate(params) if key == name), len(params))
        before = urlencode([(k, v) for k, vs in params[:at] for v in vs])
        after = urlencode([(k, v) for k, vs in params[at + 1 :] for v in vs])
        ticked = params[at][1] if at < len(params) else []
        prefix = quote_plus(name) + "="
        encoded = [prefix + quote_plus(value) for value in ticked]
        for option in facet["values"]:
            value = option["value"]
            if value in ticked:
                # Unticked once, as ``QueryDict.getlist().remove()`` would.
                mine = list(encoded)
                del mine[ticked.index(value)]
            else:
                mine = [*encoded, prefix + quote_plus(value)]
            parts = [before, "&".join(mine), after]
            option["url"] = "?" + "&".join(part for part in parts if part)


class HomeView(TemplateView):
    """The front page: what Touchstone is, with ways into the catalogue."""

    template_name = "home.html"


class ListingListView(TemplateView):
    """/pieces/: the grid of published pieces with a facet sidebar."""

    template_name = "catalogue/listing_list.html"

    def get(self, request, *args, **kwargs):
        cacheable = caching.is_cacheable(request)
        if cacheable:
            key = caching.cache_key("pieces-html", request)
            content = caching.get(key)
            if content is not None:
                return HttpResponse(content)
        response = super().get(request, *args, **kwargs)
        if cacheable:
            response.render()
            caching.put(key, response.content)
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(catalogue_page(self.request))
        context["favourite_ids"] = favourite_listing_ids(
            user=self.request.user, listings=context["cards"]
        )
        return context


class ListingDetailView(TemplateView):
    """/pieces/<slug>/: photos, maker, materials, hallmarks, value and care."""

    template_name = "catalogue/listing_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        # The parts every visitor sees alike are stored with the listing's card, and
        # forgotten with it by any write to what they show: read with the listing.
        listing = listing_page_get(
            user=user, slug=kwargs["slug"], parts_version=piece_version()
        )
        cost_form = CostPerWearForm.from_query(self.request.GET)
        parts = piece_parts_for(
            listing_id=listing.pk,
            build=partial(_piece_parts, listing.pk),
            stored=listing.stored_parts,
        )
        context.update(
            {
                "listing": listing,
                "parts": parts.html,
                "value": listing_value_panel(listing=listing, fine=parts.fine_metal),
                "cost_form": cost_form,
                "cost_per_wear": cost_form.cost_per_wear(listing.price),
                "other_cards": cards_html_of(listing.other_cards),
                "is_favourite": bool(
                    favourite_listing_ids(user=user, listings=[listing])
                ),
                "can_edit": can_edit_listing(user, listing),
            }
        )
        return context


def _piece_parts(pk: int) -> PieceParts:
    listing = listing_parts_get(pk=pk)
    return piece_parts_render(
        listing,
        hallmark_status=listing_hallmark_status(listing=listing),
        fine_metal=listing_fine_metal(listing=listing),
    )


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


class FavouriteListingToggleView(LoginRequiredMixin, View):
    """POST: favourite or un-favourite a piece one may see."""

    http_method_names = ["post"]

    def post(self, request, slug):
        listing = listing_get(user=request.user, slug=slug)
        try:
            now = favourite_toggle(user=request.user, listing=listing)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(
                request,
                f"“{listing.title}” is in your favourites."
                if now
                else f"“{listing.title}” is no longer in your favourites.",
            )
        return redirect(_safe_next(request, listing.get_absolute_url()))


class FavouriteArtisanToggleView(LoginRequiredMixin, View):
    """POST: favourite or un-favourite an artisan."""

    http_method_names = ["post"]

    def post(self, request, slug):
        artisan = get_object_or_404(Artisan, slug=slug)
        if not artisan.listings.published().exists() and not artisan.is_verified:
            raise Http404("No such artisan.")
        now = favourite_toggle(user=request.user, artisan=artisan)
        messages.success(
            request,
            f"{artisan.public_name} is in your favourites."
            if now
            else f"{artisan.public_name} is no longer in your favourites.",
        )
        return redirect(_safe_next(request, "marketplace:favourite-list"))


class FavouriteListView(LoginRequiredMixin, TemplateView):
    """/favourites/: every piece and artisan the user keeps, paginated."""

    template_name = "catalogue/favourite_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(favourite_list(user=self.request.user), 24).get_page(
            self.request.GET.get("page")
        )
        context["page_obj"] = page
        context["favourites"] = list(page.object_list)
        return context
