"""Public certificate endpoints: signed JSON, EPCIS 2.0 events, the public key, hand-over."""

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.client_ip import client_ip
from config.schema import DETAIL_ERROR, VALIDATION_ERROR
from provenance import signing
from provenance.epcis import epcis_document
from provenance.models import Certificate
from provenance.pseudonyms import owner_shown
from provenance.selectors.chain import certificate_get
from provenance.services.certificates import (
    can_hand_over,
    ownership_claim,
    ownership_handover_start,
)
from provenance.services.exports import certificate_signed, certificate_view
from provenance.services.keys import key_set, signing_key_register

SIGNED_CERTIFICATE = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description=(
        "`payload` (the certificate and its whole chain, each event with its leaf and "
        "inclusion proof in the transparency log, and the log's signed checkpoint) and "
        "`signature` (Ed25519 over the canonical JSON of `payload`: sorted keys, no "
        "spaces, UTF-8)."
    ),
)
EPCIS_DOCUMENT = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description=(
        "An EPCIS 2.0 JSON-LD `EPCISDocument`: each `eventID` is the event's CBV 2.0 "
        "event hash ID, `touchstone:chainHash` its Touchstone chain hash, and "
        "`touchstone:chainVerified` says whether the chain verified."
    ),
)


CODE_PARAM = OpenApiParameter(
    "code",
    str,
    OpenApiParameter.PATH,
    pattern="^[A-Za-z0-9]{1,16}$",
    description="The certificate's code, as printed on its card.",
)
SIGNING_UNAVAILABLE = {"detail": "Certificate signing is not configured on this site."}


class SigningKeySerializer(serializers.Serializer):
    key_id = serializers.CharField()
    algorithm = serializers.CharField()
    public_key_pem = serializers.CharField()
    valid_from = serializers.DateTimeField()
    retired_at = serializers.DateTimeField(allow_null=True)
    status = serializers.ChoiceField(choices=["current", "retired"])


class KeySetSerializer(serializers.Serializer):
    keys = SigningKeySerializer(many=True)


class PublicKeySerializer(serializers.Serializer):
    algorithm = serializers.CharField()
    key_id = serializers.CharField()
    public_key_pem = serializers.CharField()


class ClaimCodeSerializer(serializers.Serializer):
    claim_code = serializers.CharField(read_only=True)
    expires_in_days = serializers.IntegerField(read_only=True)


class ClaimSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)


class CertificateSummarySerializer(serializers.Serializer):
    code = serializers.CharField()
    url = serializers.CharField()
    owner = serializers.CharField()


class CertificateViewSet(viewsets.GenericViewSet):
    """Anyone may read a certificate; only its owner may hand the piece over."""

    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    permission_classes = [permissions.AllowAny]
    serializer_class = CertificateSummarySerializer
    queryset = Certificate.objects.none()

    def get_object(self):
        try:
            return certificate_get(code=self.kwargs["code"])
        except Certificate.DoesNotExist as missing:
            raise Http404 from missing

    @extend_schema(
        parameters=[CODE_PARAM],
        responses={200: SIGNED_CERTIFICATE, 404: DETAIL_ERROR, 503: DETAIL_ERROR},
        auth=[],
    )
    def retrieve(self, request, code=None):
        """The certificate as JSON, signed with Touchstone's Ed25519 key."""
        try:
            view = certificate_view(self.get_object())
            return Response(certificate_signed(view))
        except ImproperlyConfigured:
            return Response(SIGNING_UNAVAILABLE, status=503)

    @extend_schema(
        parameters=[CODE_PARAM],
        responses={200: EPCIS_DOCUMENT, 404: DETAIL_ERROR},
        auth=[],
    )
    @action(detail=True, methods=["get"])
    def epcis(self, request, code=None):
        """The piece's events as an EPCIS 2.0 JSON-LD document."""
        view = certificate_view(self.get_object())
        return Response(epcis_document(view.events, view.verification))

    @extend_schema(responses={200: KeySetSerializer, 503: DETAIL_ERROR}, auth=[])
    @action(detail=False, methods=["get"])
    def keys(self, request):
        """Every key that has signed exports: the current one and the retired ones, each
        with the time it was in use. An export verifies with the key it names, if that
        key was current when the export was made."""
        try:
            signing_key_register()
        except ImproperlyConfigured:
            return Response(SIGNING_UNAVAILABLE, status=503)
        return Response({"keys": key_set()})

    @extend_schema(responses={200: PublicKeySerializer, 503: DETAIL_ERROR}, auth=[])
    @action(detail=False, methods=["get"], url_path="public-key")
    def public_key(self, request):
        """The public half of the signing key, to verify exports offline."""
        try:
            signing.private_key()
        except ImproperlyConfigured:
            return Response(SIGNING_UNAVAILABLE, status=503)
        return Response(
            {
                "algorithm": signing.ALGORITHM,
                "key_id": signing.key_id(),
                "public_key_pem": signing.public_key_pem(),
            }
        )

    @extend_schema(
        request=None,
        parameters=[CODE_PARAM],
        responses={
            201: ClaimCodeSerializer,
            401: DETAIL_ERROR,
            403: DETAIL_ERROR,
            404: DETAIL_ERROR,
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="hand-over",
        permission_classes=[permissions.IsAuthenticated],
    )
    def hand_over(self, request, code=None):
        """Start a hand-over: a one-time claim code for the next owner."""
        certificate = self.get_object()
        if not can_hand_over(request.user, certificate):
            raise Http404
        try:
            claim_code = ownership_handover_start(
                actor=request.user, certificate=certificate
            )
        except PermissionDenied as denied:
            raise Http404 from denied
        return Response({"claim_code": claim_code, "expires_in_days": 14}, status=201)

    @extend_schema(
        request=ClaimSerializer,
        responses={
            200: CertificateSummarySerializer,
            400: VALIDATION_ERROR,
            401: DETAIL_ERROR,
            429: DETAIL_ERROR,
        },
    )
    @action(
        detail=False,
        methods=["post"],
        permission_classes=[permissions.IsAuthenticated],
    )
    def claim(self, request):
        """Claim a piece with the code its previous owner gave you."""
        data = ClaimSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        certificate = ownership_claim(
            actor=request.user,
            code=data.validated_data["code"],
            client_ip=client_ip(request),
        )
        return Response(
            {
                "code": certificate.code,
                "url": certificate.get_absolute_url(),
                "owner": owner_shown(certificate.owner_id, certificate.listing_id),
            }
        )
