"""REST views for artisans and maker's marks; every write calls the same service."""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from artisans import selectors, services
from artisans.api.serializers import (
    ArtisanSerializer,
    EvidenceSerializer,
    EvidenceUploadSerializer,
    MakerMarkSerializer,
    ResubmitSerializer,
)
from artisans.filters import ArtisanFilter
from artisans.models import MakerMark
from config.parsers import SafeFormParser, SafeJSONParser, SafeMultiPartParser
from config.schema import DETAIL_ERROR, VALIDATION_ERROR
from provenance.services.verification import claim_resubmit, claim_submit, evidence_add


def _as_field_error(error: ValidationError, field: str, into: str) -> ValidationError:
    if hasattr(error, "error_dict") and field in error.error_dict:
        return ValidationError({into: error.error_dict[field]})
    return error


@extend_schema_view(
    list=extend_schema(
        responses={200: ArtisanSerializer(many=True), 400: VALIDATION_ERROR}
    ),
    retrieve=extend_schema(responses={200: ArtisanSerializer, 404: DETAIL_ERROR}),
    partial_update=extend_schema(
        responses={
            200: ArtisanSerializer,
            400: VALIDATION_ERROR,
            401: DETAIL_ERROR,
            403: DETAIL_ERROR,
            404: DETAIL_ERROR,
        }
    ),
)
class ArtisanViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The public artisan directory; the owner may PATCH their own profile."""

    serializer_class = ArtisanSerializer
    filterset_class = ArtisanFilter
    lookup_field = "slug"
    # Any path segment reaches the view, so a malformed key is a JSON 404 too.
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "patch", "post", "head", "options"]

    def get_queryset(self):
        queryset = selectors.artisan_list(user=self.request.user).prefetch_related(
            "photos",
            Prefetch("maker_marks", queryset=MakerMark.objects.verified()),
        )
        if self.request.method not in permissions.SAFE_METHODS:
            # Someone else's profile is not there to be written to: a 404.
            if not self.request.user.is_authenticated:
                return queryset.none()
            queryset = queryset.filter(user=self.request.user)
        return queryset

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        traditions = data.pop("traditions", None)
        techniques = data.pop("techniques", None)
        services.artisan_update(
            artisan=serializer.instance,
            actor=self.request.user,
            data=data,
            traditions=traditions,
            techniques=techniques,
        )

    def update(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            self.permission_denied(request)
        kwargs["partial"] = True
        super().update(request, *args, **kwargs)
        fresh = self.get_queryset().get(pk=self.get_object().pk)
        return Response(self.get_serializer(fresh).data)

    @extend_schema(
        request=None,
        responses={
            200: ArtisanSerializer,
            400: VALIDATION_ERROR,
            401: DETAIL_ERROR,
            403: DETAIL_ERROR,
            404: DETAIL_ERROR,
        },
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, slug=None):
        """Submit my profile for verification."""
        if not request.user.is_authenticated:
            self.permission_denied(request)
        artisan = self.get_object()
        claim_submit(record=artisan, actor=request.user)
        artisan.refresh_from_db()
        return Response(self.get_serializer(artisan).data)


MARK_ERRORS = {
    400: VALIDATION_ERROR,
    401: DETAIL_ERROR,
    403: DETAIL_ERROR,
    404: DETAIL_ERROR,
}


@extend_schema_view(
    list=extend_schema(
        responses={200: MakerMarkSerializer(many=True), 401: DETAIL_ERROR}
    ),
    retrieve=extend_schema(
        responses={200: MakerMarkSerializer, 401: DETAIL_ERROR, 404: DETAIL_ERROR}
    ),
    create=extend_schema(responses={201: MakerMarkSerializer, **MARK_ERRORS}),
    partial_update=extend_schema(responses={200: MakerMarkSerializer, **MARK_ERRORS}),
)
class MakerMarkViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """My maker's marks: declare, correct while not verified, submit, answer, add evidence."""

    serializer_class = MakerMarkSerializer
    # Any path segment reaches the view, so a malformed key is a JSON 404 too.
    lookup_value_regex = "[^/]+"
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [SafeJSONParser, SafeMultiPartParser, SafeFormParser]
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_class = None
    filter_backends = []

    def get_queryset(self):
        return selectors.maker_mark_list(user=self.request.user).prefetch_related(
            "evidence"
        )

    def _fresh(self, mark):
        return self.get_queryset().get(pk=mark.pk)

    def create(self, request, *args, **kwargs):
        artisan = selectors.artisan_for_user(user=request.user)
        if artisan is None:
            self.permission_denied(request, message="Only artisans register marks.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            mark = services.maker_mark_create(
                artisan=artisan,
                actor=request.user,
                data=serializer.mark_data(),
                image=serializer.validated_data.get("image_upload"),
            )
        except ValidationError as error:
            raise _as_field_error(error, "image", "image_upload") from error
        return Response(
            self.get_serializer(self._fresh(mark)).data, status=status.HTTP_201_CREATED
        )

    def update(self, request, *args, **kwargs):
        mark = self.get_object()
        serializer = self.get_serializer(mark, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            services.maker_mark_update(
                mark=mark,
                actor=request.user,
                data=serializer.mark_data(),
                image=serializer.validated_data.get("image_upload"),
            )
        except ValidationError as error:
            raise _as_field_error(error, "image", "image_upload") from error
        return Response(self.get_serializer(self._fresh(mark)).data)

    @extend_schema(request=None, responses={200: MakerMarkSerializer, **MARK_ERRORS})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit the mark for verification."""
        mark = self.get_object()
        claim_submit(record=mark, actor=request.user)
        return Response(self.get_serializer(self._fresh(mark)).data)

    @extend_schema(
        request={"multipart/form-data": ResubmitSerializer},
        responses={200: MakerMarkSerializer, **MARK_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def resubmit(self, request, pk=None):
        """Answer the verifier's request for information, with new evidence."""
        mark = self.get_object()
        payload = ResubmitSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        files = payload.validated_data["files"] or request.FILES.getlist("files")
        try:
            claim_resubmit(
                record=mark,
                actor=request.user,
                message=payload.validated_data["message"],
                files=files,
            )
        except ValidationError as error:
            raise _as_field_error(error, "file", "files") from error
        return Response(self.get_serializer(self._fresh(mark)).data)

    @extend_schema(
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: EvidenceSerializer, **MARK_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def evidence(self, request, pk=None):
        """Attach an evidence file (stored with its SHA-256)."""
        mark = self.get_object()
        payload = EvidenceUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        item = evidence_add(
            record=mark,
            actor=request.user,
            uploaded=payload.validated_data["file"],
            description=payload.validated_data["description"],
        )
        return Response(
            EvidenceSerializer(item, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )
