"""/api/reviews/: buyers' reviews. Reads for everyone; every write goes through the
review services, on an object the asking user's selector finds (else a 404)."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from config.parsers import SafeJSONParser
from config.schema import DETAIL_ERROR, VALIDATION_ERROR
from marketplace.reviews import selectors, services
from marketplace.reviews.api import serializers as s
from marketplace.reviews.filters import ReviewFilter
from marketplace.reviews.models import Review

WRITE_ERRORS = {400: VALIDATION_ERROR, 403: DETAIL_ERROR, 404: DETAIL_ERROR}


def _moderation(name: str):
    transition = services.TRANSITIONS[name]

    @extend_schema(
        request=s.ReviewReasonSerializer,
        responses={200: s.ReviewSerializer, **WRITE_ERRORS},
        summary=f"{transition.label} (verifiers)",
    )
    def view(self, request, pk=None):
        review = selectors.review_for_verifier(user=request.user, pk=pk)
        payload = s.ReviewReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.review_moderate(
            review=review,
            actor=request.user,
            action=name,
            reason=payload.validated_data["reason"],
        )
        return self._show(review.pk)

    view.__name__ = name
    view.__doc__ = f"{transition.label}: a verifier's decision, with its reason."
    return action(detail=True, methods=["post"], url_path=name)(view)


@extend_schema_view(
    list=extend_schema(responses={200: s.ReviewSerializer, 400: VALIDATION_ERROR}),
    retrieve=extend_schema(responses={200: s.ReviewSerializer, 404: DETAIL_ERROR}),
    create=extend_schema(
        request={
            "application/json": s.ReviewCreateSerializer,
            "multipart/form-data": s.ReviewCreateSerializer,
        },
        responses={201: s.ReviewSerializer, **WRITE_ERRORS},
    ),
    partial_update=extend_schema(
        request={
            "application/json": s.ReviewUpdateSerializer,
            "multipart/form-data": s.ReviewUpdateSerializer,
        },
        responses={200: s.ReviewSerializer, **WRITE_ERRORS},
    ),
)
class ReviewViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Reviews of delivered pieces and completed commissions, newest first.

    Anyone reads the visible ones; a buyer writes one per purchase and edits it for
    ``REVIEW_EDIT_DAYS``; the reviewed artisan replies once; anyone but the author
    reports; verifiers hide, keep up or restore. What is not yours to act on is a 404.
    """

    # Every object is found through a selector scoped to the asking user: an
    # anonymous visitor or the wrong user gets a 404 from it, never a hint.
    permission_classes = [permissions.AllowAny]
    parser_classes = [SafeJSONParser, MultiPartParser, FormParser]
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends = [DjangoFilterBackend]
    filterset_class = ReviewFilter
    serializer_class = s.ReviewSerializer
    queryset = Review.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Review.objects.none()
        return selectors.review_api_list(user=self.request.user)

    def get_object(self):
        return selectors.review_get(user=self.request.user, pk=self.kwargs["pk"])

    def _show(self, pk, code=status.HTTP_200_OK):
        review = selectors.review_get(user=self.request.user, pk=pk)
        return Response(
            s.ReviewSerializer(review, context=self.get_serializer_context()).data,
            status=code,
        )

    def create(self, request, *args, **kwargs):
        payload = s.ReviewCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        purchase = {}
        if "order_line" in data:
            purchase["order_line"] = selectors.reviewable_line_get(
                user=request.user, pk=data["order_line"]
            )
        else:
            purchase["commission"] = selectors.reviewable_commission_get(
                user=request.user, pk=data["commission"]
            )
        review = services.review_create(
            author=request.user,
            rating=data["rating"],
            title=data["title"],
            text=data["text"],
            photos=data.get("photos", ()),
            photo_alt=data.get("photo_alt", ""),
            **purchase,
        )
        return self._show(review.pk, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        review = selectors.review_for_author(user=request.user, pk=kwargs["pk"])
        payload = s.ReviewUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        services.review_update(
            review=review,
            actor=request.user,
            rating=data.get("rating", review.rating),
            title=data.get("title", review.title),
            text=data.get("text", review.text),
            photos=data.get("photos", ()),
            photo_alt=data.get("photo_alt", ""),
            remove_photos=data.get("remove_photos", ()),
        )
        return self._show(review.pk)

    @extend_schema(
        request=s.ReplyWriteSerializer,
        responses={200: s.ReviewSerializer, 201: s.ReviewSerializer, **WRITE_ERRORS},
        summary="Reply (POST, once) or edit the reply (PATCH): the reviewed artisan",
    )
    @action(detail=True, methods=["post", "patch"])
    def reply(self, request, pk=None):
        """The reviewed artisan replies once (POST) and edits the reply (PATCH) for
        ``REVIEW_REPLY_EDIT_DAYS``."""
        review = selectors.review_for_artisan(user=request.user, pk=pk)
        payload = s.ReplyWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        text = payload.validated_data["text"]
        if request.method == "POST":
            services.review_reply(review=review, actor=request.user, text=text)
            return self._show(review.pk, status.HTTP_201_CREATED)
        services.review_reply_update(review=review, actor=request.user, text=text)
        return self._show(review.pk)

    @extend_schema(
        request=s.ReviewReasonSerializer,
        responses={201: s.ReviewSerializer, **WRITE_ERRORS},
        summary="Report a review to the verifiers (anyone signed in but its author)",
    )
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        """Report a review with a reason; a verifier decides whether it stays up."""
        review = selectors.review_for_reader(user=request.user, pk=pk)
        payload = s.ReviewReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.review_report(
            review=review, actor=request.user, reason=payload.validated_data["reason"]
        )
        return self._show(review.pk, status.HTTP_201_CREATED)

    hide = _moderation("hide")
    dismiss = _moderation("dismiss")
    restore = _moderation("restore")


def register(router) -> None:
    """Register the reviews' viewset on the shared router."""
    router.register("reviews", ReviewViewSet, basename="review")
