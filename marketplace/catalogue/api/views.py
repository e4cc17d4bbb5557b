"""Catalogue API: listings with facets and transitions, their sub-resources,
favourites and reference metal prices. Each write calls the same service as the HTML."""

import math

import numpy as np
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import PermissionDenied as DRFPermissionDenied
from rest_framework.generics import get_object_or_404
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings

from config.parsers import SafeFormParser, SafeJSONParser, SafeMultiPartParser
from config.schema import DETAIL_ERROR, VALIDATION_ERROR
from config.throttling import count_with
from marketplace.accounts.roles import is_artisan
from marketplace.catalogue import caching
from marketplace.catalogue.api import serializers as s
from marketplace.catalogue.cards import cards_for, cards_json, page_json
from marketplace.catalogue.facet_index import MAX_KEY, MAX_LISTING_ID
from marketplace.catalogue.facets import CatalogueQuery
from marketplace.catalogue.filters import ListingFilter
from marketplace.catalogue.models import Listing
from marketplace.catalogue.permissions import can_set_metal_prices
from marketplace.catalogue.selectors import (
    catalogue_search,
    favourite_list,
    listing_get,
    listing_list,
    listing_search_tiers,
    metal_price_list,
    search_text,
    studio_listing_get,
)
from marketplace.catalogue.services import favourites as favourite_services
from marketplace.catalogue.services import listings as services
from marketplace.catalogue.services import prices
from marketplace.catalogue.sorting import DEFAULT_ORDER, RELEVANCE, SORT_ORDERS

# Any segment reaches the view, so that a malformed id or slug is a JSON 404 from the
# API rather than the site's HTML "page not found".
LOOKUP = r"[^/]+"
READ_ERRORS = {404: DETAIL_ERROR}
WRITE_ERRORS = {400: VALIDATION_ERROR, 401: DETAIL_ERROR, 403: DETAIL_ERROR}
OBJECT_WRITE_ERRORS = {**WRITE_ERRORS, 404: DETAIL_ERROR}

SEARCH_PARAMETERS = [
    OpenApiParameter(
        "q", OpenApiTypes.STR, description="Words to search for (title ranks first)."
    ),
    OpenApiParameter(
        "ordering",
        OpenApiTypes.STR,
        enum=[*SORT_ORDERS, RELEVANCE],
        description=(
            "newest (default), price, -price, rating (the artisan's average, best "
            "first); relevance when searching."
        ),
    ),
]


class ListingCursorPagination(CursorPagination):
    """Cursor pages over the catalogue's ids in the requested order, as the facet
    index (or, while it builds, the database) gives them with each one's sort key.
    A cursor holds the key and id of the listing it follows (or, going back,
    precedes), so pages stay exact and a deep page costs what the first does."""

    page_size = 24
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_ordered(self, order, request) -> list[int]:
        """The ids of one page of ``order`` (``facets.CatalogueQuery.ordered`` or
        ``ranked``), reading only that page and its neighbours from it."""
        self.request = request
        self.base_url = request.build_absolute_uri()
        size = self.page_size = self.get_page_size(request)
        cursor = self.decode_cursor(request)
        boundary = None if cursor is None else self._position(cursor.position)
        backwards = cursor is not None and cursor.reverse
        ids, keys = order.after(boundary, size + 1, backwards=backwards)
        more = len(ids) > size
        ids, keys = ids[:size], keys[:size]
        if backwards:
            ids, keys = ids[::-1], keys[::-1]
        following = previous = None
        if len(ids):
            first, last = (keys[0], ids[0]), (keys[-1], ids[-1])
            # Going forward, more beyond the page means a next page, and the page
            # had a start before it if anything precedes its first; backward, the
            # other way round.
            has_next = more if not backwards else len(order.after(last, 1)[0]) > 0
            has_previous = (
                more
                if backwards
                else boundary is not None
                and len(order.after(first, 1, backwards=True)[0]) > 0
            )
            if has_next:
                following = self._cursor(*last, reverse=False)
            if has_previous:
                previous = self._cursor(*first, reverse=True)
        elif boundary is not None:
            # An empty page past its boundary (what followed it has gone): a link
            # back the other way, taking in the boundary listing itself.
            key, pk = boundary
            # Just past the boundary, so that going back takes it in.
            past = (key, pk - 1 if order.descending != backwards else pk + 1)
            if len(order.after(past, 1, backwards=not backwards)[0]):
                position = self._cursor(*past, reverse=not backwards)
                following, previous = (
                    (position, None) if backwards else (None, position)
                )
        self.links = (following, previous)
        return [int(pk) for pk in ids]

    def _cursor(self, key, pk, *, reverse: bool) -> str:
        # repr() writes a float that reads back as the same float.
        key = key.item() if isinstance(key, np.generic) else key
        return self.encode_cursor(Cursor(0, reverse, f"{key!r}:{int(pk)}"))

    def _position(self, position) -> tuple[float, int]:
        """The boundary's key and id; a 404 for anything no listing could have."""
        try:
            key, pk = str(position).split(":")
            key, pk = float(key), int(pk)
        except ValueError as error:
            raise NotFound("Invalid cursor.") from error
        if not (
            math.isfinite(key) and abs(key) < MAX_KEY and 0 <= pk <= MAX_LISTING_ID
        ):
            raise NotFound("Invalid cursor.")
        return key, pk

    def get_next_link(self):
        return self.links[0]

    def get_previous_link(self):
        return self.links[1]


def _plain_json(request) -> bool:
    """The request asks for JSON as the JSON renderer writes it (no indent or other
    media type parameters)."""
    renderer = request.accepted_renderer
    return (
        request.method in ("GET", "HEAD")
        and isinstance(renderer, JSONRenderer)
        and request.accepted_media_type == renderer.media_type
    )


# The Accept headers that DRF's negotiation answers with plain JSON (no parameters),
# when no ``?format=`` overrides them: what the cached list pages are.
PLAIN_JSON_ACCEPT = frozenset({"*/*", JSONRenderer.media_type})
URL_FORMAT_OVERRIDE = api_settings.URL_FORMAT_OVERRIDE


def _list_cache_key(request) -> str:
    # Cursor links are absolute: one entry per scheme and host.
    return caching.cache_key(
        f"api-list-json:{request.scheme}://{request.get_host()}", request
    )


def _catalogue_query(request, base) -> CatalogueQuery:
    """The request's filters bound over ``base`` and answered by the facet index;
    bad filter values are a 400 naming each field, for the list and the facets
    alike."""
    filterset = ListingFilter(request.query_params, queryset=base)
    if not filterset.is_valid():
        raise translate_validation(filterset.errors)
    return CatalogueQuery(filterset, q=search_text(request.query_params))


def _search_base(request):
    q = search_text(request.query_params)
    return catalogue_search(user=request.user, q=q)


@extend_schema_view(
    list=extend_schema(
        parameters=SEARCH_PARAMETERS,
        responses={200: s.ListingSerializer, 400: VALIDATION_ERROR, 404: DETAIL_ERROR},
    ),
    retrieve=extend_schema(responses={200: s.ListingDetailSerializer, **READ_ERRORS}),
    create=extend_schema(
        request=s.ListingWriteSerializer,
        responses={201: s.ListingDetailSerializer, **WRITE_ERRORS},
    ),
    partial_update=extend_schema(
        request=s.ListingWriteSerializer,
        responses={200: s.ListingDetailSerializer, **OBJECT_WRITE_ERRORS},
    ),
)
class ListingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Published pieces for everyone; an artisan writes only their own pieces."""

    lookup_field = "slug"
    lookup_value_regex = LOOKUP
    http_method_names = ["get", "post", "patch", "head", "options"]
    # The list binds its filters itself (``_catalogue_query``); the backend declares
    # them as the list's parameters in the API schema.
    filter_backends = [DjangoFilterBackend]
    filterset_class = ListingFilter
    pagination_class = ListingCursorPagination
    serializer_class = s.ListingSerializer
    queryset = Listing.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Listing.objects.none()
        return _search_base(self.request)

    def get_serializer_class(self):
        if self.action in ("create", "partial_update", "update"):
            return s.ListingWriteSerializer
        if self.action == "list":
            return s.ListingSerializer
        if self.action == "facets":
            return s.FacetsResponseSerializer
        return s.ListingDetailSerializer

    def get_object(self):
        slug = self.kwargs["slug"]
        if self.action == "retrieve":
            return listing_get(user=self.request.user, slug=slug)
        if not self.request.user.is_authenticated:
            return listing_get(user=self.request.user, slug=slug)
        return studio_listing_get(user=self.request.user, slug=slug)

    def _detail(self, listing, code=status.HTTP_200_OK):
        listing = studio_listing_get(user=listing.artisan.user, slug=listing.slug)
        return Response(
            s.ListingDetailSerializer(
                listing, context=self.get_serializer_context()
            ).data,
            status=code,
        )

    def dispatch(self, request, *args, **kwargs):
        if self.action_map.get(request.method.lower()) == "list":
            hit = self._cached_hit(request, *args, **kwargs)
            if hit is not None:
                return hit
        return super().dispatch(request, *args, **kwargs)

    def _cached_hit(self, request, *args, **kwargs) -> HttpResponse | None:
        """An anonymous page in plain JSON that is cached, answered before DRF's
        request cycle: it is the same bytes for everyone, so it needs no
        authentication, negotiation or permission beyond what the key says, only
        the throttles, counted as DRF counts them. Anything else (a miss, a refused
        request, another media type, credentials) goes through DRF."""
        if (
            request.method != "GET"
            or URL_FORMAT_OVERRIDE in request.GET
            or request.META.get("HTTP_ACCEPT", "*/*") not in PLAIN_JSON_ACCEPT
            or not caching.is_cacheable(request)
        ):
            return None
        key = _list_cache_key(request)
        throttles = self.get_throttles()
        # The throttle's count and the page come back in one round trip where they
        # can; DRF, if it answers after all, does not count the request again.
        found = count_with(throttles, request, self, also_get=caching.lookup(key))
        cached = caching.get(key, found=found)
        if cached is None:
            return None
        if found is None and not all(t.allow_request(request, self) for t in throttles):
            return None  # DRF answers, with the wait
        self.args, self.kwargs, self.request = args, kwargs, request
        self.headers = self.default_response_headers
        content, content_type = cached
        return self.finalize_response(
            request, HttpResponse(content, content_type=content_type)
        )

    def list(self, request, *args, **kwargs):
        # Throttles and authentication have run by now, for hits as for misses.
        key = self._list_cache_key(request)
        if key is not None:
            cached = caching.get(key)
            if cached is not None:
                content, content_type = cached
                return HttpResponse(content, content_type=content_type)
        if _plain_json(request):
            response = self._card_page(request)
            if key is not None:
                caching.put(key, (response.content, response["Content-Type"]))
            return response
        page = self._index_page(request)
        found = {
            listing.pk: listing
            for listing in listing_list(user=request.user).filter(pk__in=page)
        }
        listings = [found[pk] for pk in page if pk in found]
        serializer = self.get_serializer(listings, many=True)
        response = self.get_paginated_response(serializer.data)
        if key is not None and response.status_code == 200:
            response.add_post_render_callback(
                lambda rendered: caching.put(
                    key, (rendered.content, rendered["Content-Type"])
                )
            )
        return response

    def _card_page(self, request) -> HttpResponse:
        """A page in plain JSON from the stored cards: the page's ids from the facet
        index, then its cards in one read. Cards hold nothing that depends on who
        asks."""
        ids = self._index_page(request)
        cards = cards_for(ids=ids)
        body = page_json(
            next_link=self.paginator.get_next_link(),
            previous_link=self.paginator.get_previous_link(),
            cards=cards_json([cards[pk] for pk in ids if pk in cards], request),
        )
        return HttpResponse(body, content_type=JSONRenderer.media_type)

    def _index_page(self, request) -> "list[int]":
        """The page's ids, filtered, searched and ordered in the facet index as the
        HTML catalogue's are (a search in relevance order by its ranks); the
        paginator keeps the page's links. Bad filter values are a 400."""
        q = search_text(request.query_params)
        ordering = request.query_params.get("ordering", "")
        base = self.get_queryset()
        query = _catalogue_query(request, base)
        if q and ordering not in SORT_ORDERS:
            order = query.by_relevance(listing_search_tiers(q))
        else:
            order = query.ordered(
                SORT_ORDERS.get(ordering, DEFAULT_ORDER).name,
                within=query.search_ids() if q else None,
                base=base if q else None,
            )
        return self.paginator.paginate_ordered(order, request)

    def _list_cache_key(self, request) -> str | None:
        """Anonymous pages in plain JSON are cached as rendered bytes, so that a hit
        skips rendering too; other media types (the browsable API) are not cached."""
        if not caching.is_cacheable(request) or not _plain_json(request):
            return None
        return _list_cache_key(request)

    def create(self, request, *args, **kwargs):
        if not is_artisan(request.user):
            raise DRFPermissionDenied("Only artisans list pieces.")
        serializer = s.ListingWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        techniques = data.pop("techniques", None)
        listing = services.listing_create(
            artisan=request.user.artisan_profile,
            actor=request.user,
            techniques=techniques,
            **data,
        )
        return self._detail(listing, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        listing = self.get_object()
        serializer = s.ListingWriteSerializer(listing, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        techniques = data.pop("techniques", None)
        listing = services.listing_update(
            listing=listing, actor=request.user, techniques=techniques, **data
        )
        return self._detail(listing)

    @extend_schema(
        parameters=SEARCH_PARAMETERS,
        responses={200: s.FacetsResponseSerializer, 400: VALIDATION_ERROR},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def facets(self, request):
        """Facet counts for the same filters and search as the list."""
        cacheable = caching.is_cacheable(request)
        if cacheable:
            key = caching.cache_key("api-facets", request)
            data = caching.get(key)
            if data is not None:
                return Response(data)
        base = _search_base(request)
        query = _catalogue_query(request, base)
        q = search_text(request.query_params)
        matches = query.search_ids() if q else None
        facets = query.facets(base, searched=bool(q), matches=matches)
        data = {"count": query.total, "facets": facets}
        if cacheable:
            caching.put(key, data)
        return Response(data)

    def _transition(self, request, name):
        listing = self.get_object()
        listing = services.LISTING_ACTIONS[name](listing=listing, actor=request.user)
        return self._detail(listing)

    @extend_schema(
        request=None, responses={200: s.ListingDetailSerializer, **OBJECT_WRITE_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, slug=None):
        """Publish a draft: needs a price, a photo and complete materials."""
        return self._transition(request, "publish")

    @extend_schema(
        request=None, responses={200: s.ListingDetailSerializer, **OBJECT_WRITE_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def unpublish(self, request, slug=None):
        """Take a published piece back to draft."""
        return self._transition(request, "unpublish")

    @extend_schema(
        request=None, responses={200: s.ListingDetailSerializer, **OBJECT_WRITE_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def archive(self, request, slug=None):
        """Archive a piece."""
        return self._transition(request, "archive")

    @extend_schema(
        request=None, responses={200: s.ListingDetailSerializer, **OBJECT_WRITE_ERRORS}
    )
    @action(detail=True, methods=["post"], url_path="mark-sold")
    def mark_sold(self, request, slug=None):
        """Record a sale made away from Touchstone (a piece no order holds)."""
        return self._transition(request, "mark_sold")


class ListingChildViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Base for /api/listings/{slug}/<things>/: readable where the piece is visible,
    writable by its artisan only; anyone else's draft is a 404."""

    lookup_value_regex = LOOKUP

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    related_name = ""
    pagination_class = None

    def get_listing(self):
        if not hasattr(self, "_listing"):
            slug = self.kwargs["listing_slug"]
            user = self.request.user
            if (
                self.request.method in permissions.SAFE_METHODS
                or not user.is_authenticated
            ):
                self._listing = listing_get(user=user, slug=slug)
            else:
                self._listing = studio_listing_get(user=user, slug=slug)
        return self._listing

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.serializer_class.Meta.model.objects.none()
        return getattr(self.get_listing(), self.related_name).all()

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def _respond(self, item, code=status.HTTP_200_OK):
        return Response(
            self.serializer_class(item, context=self.get_serializer_context()).data,
            status=code,
        )

    def add(self, listing, data):
        raise NotImplementedError

    def change(self, item, data):
        raise NotImplementedError

    def remove(self, item):
        raise NotImplementedError

    def create(self, request, *args, **kwargs):
        listing = self.get_listing()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = self.add(listing, dict(serializer.validated_data))
        return self._respond(item, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        item = self.get_object()
        serializer = self.get_serializer(item, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        item = self.change(item, dict(serializer.validated_data))
        item.refresh_from_db()
        return self._respond(item)

    def destroy(self, request, *args, **kwargs):
        self.remove(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def _child_schema(serializer, *, update_serializer=None, multipart=False):
    request = serializer
    if multipart:
        request = {"multipart/form-data": serializer}
    update_request = update_serializer or serializer
    return extend_schema_view(
        list=extend_schema(responses={200: serializer(many=True), **READ_ERRORS}),
        retrieve=extend_schema(responses={200: serializer, **READ_ERRORS}),
        create=extend_schema(
            request=request, responses={201: serializer, **OBJECT_WRITE_ERRORS}
        ),
        partial_update=extend_schema(
            request=update_request, responses={200: serializer, **OBJECT_WRITE_ERRORS}
        ),
        destroy=extend_schema(responses={204: None, **OBJECT_WRITE_ERRORS}),
    )


@_child_schema(
    s.ListingPhotoSerializer,
    update_serializer=s.ListingPhotoUpdateSerializer,
    multipart=True,
)
class ListingPhotoViewSet(ListingChildViewSet):
    """Photos of a piece. Uploads are re-encoded; only thumbnails are served."""

    serializer_class = s.ListingPhotoSerializer
    related_name = "photos"
    parser_classes = [SafeMultiPartParser, SafeFormParser, SafeJSONParser]

    def get_serializer_class(self):
        if self.action == "partial_update":
            return s.ListingPhotoUpdateSerializer
        return s.ListingPhotoSerializer

    def _respond(self, item, code=status.HTTP_200_OK):
        return Response(
            s.ListingPhotoSerializer(item, context=self.get_serializer_context()).data,
            status=code,
        )

    def add(self, listing, data):
        return services.listing_photo_add(
            listing=listing,
            actor=self.request.user,
            image=data["image"],
            alt_text=data.get("alt_text", ""),
            role=data.get("role") or "detail",
        )

    def change(self, item, data):
        return services.listing_photo_update(
            photo=item, actor=self.request.user, **data
        )

    def remove(self, item):
        services.listing_photo_remove(photo=item, actor=self.request.user)


@_child_schema(s.MetalComponentSerializer)
class MetalComponentViewSet(ListingChildViewSet):
    """The metals a piece is made of, checked against the fineness and plating rules."""

    serializer_class = s.MetalComponentSerializer
    related_name = "metals"

    def add(self, listing, data):
        data.pop("position", None)
        return services.metal_component_add(
            listing=listing, actor=self.request.user, **data
        )

    def change(self, item, data):
        return services.metal_component_update(
            component=item, actor=self.request.user, **data
        )

    def remove(self, item):
        services.metal_component_remove(component=item, actor=self.request.user)


@_child_schema(s.GemstoneSerializer)
class GemstoneViewSet(ListingChildViewSet):
    """The stones of a piece, disclosed with nature and treatment."""

    serializer_class = s.GemstoneSerializer
    related_name = "gemstones"

    def add(self, listing, data):
        return services.gemstone_add(listing=listing, actor=self.request.user, **data)

    def change(self, item, data):
        return services.gemstone_update(gemstone=item, actor=self.request.user, **data)

    def remove(self, item):
        services.gemstone_remove(gemstone=item, actor=self.request.user)


@_child_schema(s.HallmarkRecordSerializer, multipart=False)
class HallmarkRecordViewSet(ListingChildViewSet):
    """Hallmark records of a piece; verification happens in the review queue."""

    serializer_class = s.HallmarkRecordSerializer
    related_name = "hallmarks"
    parser_classes = [SafeJSONParser, SafeMultiPartParser, SafeFormParser]

    def get_queryset(self):
        return super().get_queryset().select_related("maker_mark")

    def add(self, listing, data):
        photo = data.pop("photo", None)
        return services.hallmark_record_add(
            listing=listing, actor=self.request.user, photo=photo, **data
        )

    def change(self, item, data):
        photo = data.pop("photo", None)
        return services.hallmark_record_update(
            record=item, actor=self.request.user, photo=photo, **data
        )

    def remove(self, item):
        services.hallmark_record_remove(record=item, actor=self.request.user)

    @extend_schema(
        request=None, responses={200: s.HallmarkRecordSerializer, **OBJECT_WRITE_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, listing_slug=None, pk=None):
        """Send the record to the verifiers."""
        if not request.user.is_authenticated:
            raise DRFPermissionDenied("Log in first.")
        record = self.get_object()
        services.hallmark_record_submit(record=record, actor=request.user)
        record.refresh_from_db()
        return self._respond(record)


@extend_schema_view(
    list=extend_schema(
        responses={200: s.FavouriteSerializer(many=True), 401: DETAIL_ERROR}
    ),
    retrieve=extend_schema(
        responses={200: s.FavouriteSerializer, 401: DETAIL_ERROR, 404: DETAIL_ERROR}
    ),
    create=extend_schema(responses={201: s.FavouriteSerializer, **WRITE_ERRORS}),
    destroy=extend_schema(responses={204: None, 401: DETAIL_ERROR, 404: DETAIL_ERROR}),
)
class FavouriteViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The signed-in user's favourite pieces and artisans."""

    lookup_value_regex = LOOKUP

    serializer_class = s.FavouriteSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        if (
            getattr(self, "swagger_fake_view", False)
            or not self.request.user.is_authenticated
        ):
            return s.Favourite.objects.none()
        return favourite_list(user=self.request.user)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = favourite_services.favourite_add(
            user=self.request.user,
            listing=data.get("listing"),
            artisan=data.get("artisan"),
        )

    def perform_destroy(self, instance):
        favourite_services.favourite_remove(favourite=instance, user=self.request.user)


class MetalPricePermission(permissions.BasePermission):
    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return can_set_metal_prices(request.user)


@extend_schema_view(
    list=extend_schema(responses={200: s.MetalPriceSerializer(many=True)}),
    retrieve=extend_schema(responses={200: s.MetalPriceSerializer, 404: DETAIL_ERROR}),
    create=extend_schema(responses={201: s.MetalPriceSerializer, **WRITE_ERRORS}),
)
class MetalPriceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Reference prices per gram of fine metal: read by all, set by verifiers and admins."""

    lookup_value_regex = LOOKUP

    serializer_class = s.MetalPriceSerializer
    permission_classes = [MetalPricePermission]
    queryset = metal_price_list().select_related("set_by")

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = prices.metal_price_set(
                actor=self.request.user,
                metal=data["metal"],
                price_per_gram=data["price_per_gram"],
                currency=data.get("currency", "GBP"),
                as_of=data["as_of"],
            )
        except DjangoPermissionDenied as error:
            raise DRFPermissionDenied(str(error)) from error
