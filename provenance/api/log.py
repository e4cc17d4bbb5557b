"""The transparency log, public: its checkpoint, inclusion and consistency proofs.

Served under /api/log/… (in the OpenAPI schema) and, the same views, under /log/… for
monitors and verifiers that know the log rather than the API (``provenance/urls.py``).
"""

from django.core.exceptions import ImproperlyConfigured
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, renderers, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config.schema import DETAIL_ERROR, VALIDATION_ERROR
from provenance.selectors.transparency import (
    MAX_TREE_SIZE,
    LeafNotFound,
    LogNodeMissing,
    consistency_proof_get,
    inclusion_proof_get,
)
from provenance.services.transparency import LogInconsistent, checkpoint_covering

LOG_UNAVAILABLE = {"detail": "The transparency log cannot answer this now."}
SIGNING_UNAVAILABLE = {"detail": "Checkpoint signing is not configured on this site."}
HEX_HASH = r"^[0-9a-f]{64}$"


class PlainTextRenderer(renderers.BaseRenderer):
    """text/plain: a checkpoint as it was signed; an error as its message."""

    media_type = "text/plain"
    format = "txt"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict):
            data = f"{data.get('detail', '')}\n"
        return str(data).encode(self.charset)


def _size_field(**kwargs):
    return serializers.IntegerField(min_value=0, max_value=MAX_TREE_SIZE, **kwargs)


class InclusionQuerySerializer(serializers.Serializer):
    leaf_index = _size_field(required=False)
    leaf_hash = serializers.RegexField(HEX_HASH, required=False)
    tree_size = _size_field(required=False)

    def validate(self, attrs):
        if ("leaf_index" in attrs) == ("leaf_hash" in attrs):
            raise serializers.ValidationError(
                {"leaf_index": "Give either leaf_index or leaf_hash."}
            )
        return attrs


class ConsistencyQuerySerializer(serializers.Serializer):
    to = _size_field(required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = _size_field()  # a keyword in Python: added by name
        return fields


class InclusionProofSerializer(serializers.Serializer):
    leaf_index = serializers.IntegerField()
    tree_size = serializers.IntegerField()
    leaf_hash = serializers.CharField(help_text="SHA-256(0x00 || leaf), hex.")
    leaf = serializers.CharField(
        help_text="The leaf: canonical JSON of format, kind, object, hash, recorded_at."
    )
    proof = serializers.ListField(
        child=serializers.CharField(), help_text="RFC 9162 PATH, leaf first, hex."
    )
    checkpoint = serializers.CharField(
        allow_null=True, help_text="The signed checkpoint of this tree size, if any."
    )


class ConsistencyProofSerializer(serializers.Serializer):
    to = serializers.IntegerField()
    proof = serializers.ListField(
        child=serializers.CharField(), help_text="RFC 9162 PROOF, hex."
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.IntegerField()
        return fields


SIZE_DOC = "A tree size (default: the latest checkpoint's)."


class _LogView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes = []

    def handle_exception(self, exc):
        if isinstance(exc, LeafNotFound):
            return Response({"detail": "No leaf of the log has this hash."}, status=404)
        if isinstance(exc, LogNodeMissing | LogInconsistent):
            return Response(LOG_UNAVAILABLE, status=503)
        return super().handle_exception(exc)


class LogCheckpointView(_LogView):
    """The log's latest signed checkpoint (C2SP tlog-checkpoint), as text."""

    renderer_classes = [PlainTextRenderer]

    @extend_schema(
        responses={
            (200, "text/plain"): OpenApiResponse(
                OpenApiTypes.STR,
                description=(
                    "A C2SP signed note: origin, tree size, base64 root hash, "
                    "`Timestamp: <POSIX seconds>`, a blank line, then `— <origin> "
                    "<base64(key ID || Ed25519 signature)>`."
                ),
            ),
            (503, "text/plain"): OpenApiResponse(
                OpenApiTypes.STR, description="Signing is not configured."
            ),
        },
        auth=[],
    )
    def get(self, request):
        try:
            checkpoint = checkpoint_covering(0)
        except ImproperlyConfigured:
            return Response(SIGNING_UNAVAILABLE, status=503)
        response = Response(checkpoint.note, content_type="text/plain; charset=utf-8")
        response["Cache-Control"] = "no-cache"
        return response


class InclusionProofView(_LogView):
    """The inclusion proof of one leaf, by index or by leaf hash."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "leaf_index", int, description="The leaf's index.", required=False
            ),
            OpenApiParameter(
                "leaf_hash",
                str,
                pattern=HEX_HASH,
                description="Or the leaf's hash, hex.",
                required=False,
            ),
            OpenApiParameter("tree_size", int, description=SIZE_DOC, required=False),
        ],
        responses={
            200: InclusionProofSerializer,
            400: VALIDATION_ERROR,
            404: DETAIL_ERROR,
            503: DETAIL_ERROR,
        },
        auth=[],
    )
    def get(self, request):
        query = InclusionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(inclusion_proof_get(**query.validated_data))


class ConsistencyProofView(_LogView):
    """The consistency proof between two tree sizes of the log."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "from", int, description="The smaller tree size.", required=True
            ),
            OpenApiParameter("to", int, description=SIZE_DOC, required=False),
        ],
        responses={
            200: ConsistencyProofSerializer,
            400: VALIDATION_ERROR,
            503: DETAIL_ERROR,
        },
        auth=[],
    )
    def get(self, request):
        query = ConsistencyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(
            consistency_proof_get(
                first=query.validated_data["from"],
                second=query.validated_data.get("to"),
            )
        )
