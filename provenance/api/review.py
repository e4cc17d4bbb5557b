"""The verifiers' queue over the API: list, detail and one POST per transition."""

import django_filters
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.schema import DETAIL_ERROR, VALIDATION_ERROR
from provenance.models import Evidence, Review, ReviewEvent, VerificationStatus
from provenance.selectors.review import (
    WAITING,
    WAITING_STATUSES,
    attach_claims,
    claim_fields,
    review_get,
    review_kinds,
    review_list,
)
from provenance.services.verification import (
    TRANSITIONS,
    allowed_actions,
    claim_transition,
)


class VerificationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(
        choices=review_kinds, method="filter_kind", label="Kind of claim"
    )
    status = django_filters.ChoiceFilter(
        choices=[(WAITING, "Waiting"), *VerificationStatus.choices],
        method="filter_status",
        label="State ('waiting' = submitted, in review or needs information)",
    )

    class Meta:
        model = Review
        fields = ["kind", "status"]

    def filter_kind(self, queryset, name, value: str):
        return queryset.of_kind(value) if value else queryset

    def filter_status(self, queryset, name, value: str):
        if value == WAITING:
            return queryset.filter(status__in=WAITING_STATUSES)
        return queryset.filter(status=value) if value else queryset


class VerificationEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    # Plain strings: the states are the ones of the review's ``status``.
    from_status = serializers.CharField(read_only=True)
    to_status = serializers.CharField(read_only=True)

    class Meta:
        model = ReviewEvent
        fields = ["action", "from_status", "to_status", "reason", "actor", "created_at"]
        read_only_fields = fields


class VerificationEvidenceSerializer(serializers.ModelSerializer):
    file = serializers.FileField(read_only=True)

    class Meta:
        model = Evidence
        fields = ["id", "file", "sha256", "original_name", "content_type_label", "size"]
        read_only_fields = fields


class VerificationSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    model = serializers.CharField(source="content_type.model", read_only=True)
    claim = serializers.SerializerMethodField()
    artisan = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    submitted_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    reviewer = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    evidence = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "kind",
            "model",
            "object_id",
            "claim",
            "artisan",
            "status",
            "submitted_by",
            "submitted_at",
            "reviewer",
            "last_message",
            "evidence",
            "allowed_actions",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_claim(self, review) -> dict:
        claim = getattr(review, "claim", None)
        if claim is None:
            return {}
        rows = {"label": str(claim)}
        for label, value, kind in claim_fields(claim):
            rows[label] = value.url if kind == "file" else str(value)
        return rows

    @extend_schema_field(VerificationEvidenceSerializer(many=True))
    def get_evidence(self, review):
        return VerificationEvidenceSerializer(
            getattr(review, "evidence_items", []), many=True, context=self.context
        ).data

    def get_allowed_actions(self, review) -> list[str]:
        claim = getattr(review, "claim", None)
        if claim is None:
            return []
        return [
            name.replace("_", "-") for name in allowed_actions(claim, by="verifier")
        ]


class VerificationDetailSerializer(VerificationSerializer):
    events = VerificationEventSerializer(many=True, read_only=True)

    class Meta(VerificationSerializer.Meta):
        fields = [*VerificationSerializer.Meta.fields, "events"]
        read_only_fields = fields


class DecisionReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required to reject, suspend, reinstate, revoke or request information.",
    )


class IsVerifierOrNotFound(permissions.IsAuthenticated):
    """Logged-in non-verifiers see an empty queue and 404s: nothing leaks."""


def _transition(name: str):
    transition = TRANSITIONS[name]

    @extend_schema(
        request=DecisionReasonSerializer,
        responses={
            200: VerificationDetailSerializer,
            400: VALIDATION_ERROR,
            401: DETAIL_ERROR,
            403: DETAIL_ERROR,
            404: DETAIL_ERROR,
        },
        summary=transition.label,
    )
    def view(self, request, pk=None):
        review = self.get_object()
        payload = DecisionReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        claim_transition(
            record=review.claim,
            actor=request.user,
            action=name,
            reason=payload.validated_data["reason"],
        )
        fresh = review_get(user=request.user, pk=review.pk)
        return Response(
            VerificationDetailSerializer(fresh, context={"request": request}).data
        )

    view.__name__ = name
    view.__doc__ = (
        f"{transition.label} (verifiers only; never on a claim you submitted)."
    )
    return action(detail=True, methods=["post"], url_path=name.replace("_", "-"))(view)


@extend_schema_view(
    list=extend_schema(
        responses={
            200: VerificationSerializer(many=True),
            400: VALIDATION_ERROR,
            401: DETAIL_ERROR,
        }
    ),
    retrieve=extend_schema(
        responses={
            200: VerificationDetailSerializer,
            401: DETAIL_ERROR,
            404: DETAIL_ERROR,
        }
    ),
)
class VerificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The verifiers' queue, oldest first. Anyone else sees nothing."""

    permission_classes = [IsVerifierOrNotFound]
    # Any path segment reaches the view, so a malformed key is a JSON 404 too.
    lookup_value_regex = "[^/]+"
    filterset_class = VerificationFilter
    serializer_class = VerificationSerializer

    def get_queryset(self):
        return review_list(user=self.request.user, status=None)

    def get_serializer_class(self):
        if self.action == "list":
            return VerificationSerializer
        return VerificationDetailSerializer

    def get_object(self):
        try:
            pk = int(self.kwargs["pk"])
        except (TypeError, ValueError) as error:
            raise Http404 from error
        return review_get(user=self.request.user, pk=pk)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        attach_claims(page)
        serializer = self.get_serializer(page, many=True)
        return self.get_paginated_response(serializer.data)

    start_review = _transition("start_review")
    request_information = _transition("request_information")
    verify = _transition("verify")
    reject = _transition("reject")
    suspend = _transition("suspend")
    reinstate = _transition("reinstate")
    revoke = _transition("revoke")
