from axes.exceptions import AxesBackendPermissionDenied
from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from config.schema import DETAIL_ERROR, VALIDATION_ERROR
from marketplace.accounts.lockout import lockout_body


class AuthTokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class AuthTokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class AuthLockoutSerializer(serializers.Serializer):
    detail = serializers.CharField()
    password_reset = serializers.URLField(
        required=False,
        help_text="Where to reset the password, which lifts a log-in lock-out "
        "(absent when the request was throttled rather than locked out).",
    )


class AuthTokenView(APIView):
    """Exchange a username and password for an API token; DELETE revokes it."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        request=AuthTokenRequestSerializer,
        responses={
            200: AuthTokenSerializer,
            400: VALIDATION_ERROR,
            429: AuthLockoutSerializer,
        },
        auth=[],
    )
    def post(self, request):
        data = AuthTokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = authenticate(
                request=request._request,
                username=data.validated_data["username"],
                password=data.validated_data["password"],
            )
        except AxesBackendPermissionDenied:
            user = None
        if getattr(request._request, "axes_locked_out", False):
            return Response(
                lockout_body(request._request),
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        if user is None or not user.is_active:
            return Response(
                {
                    "non_field_errors": [
                        "Unable to log in with the username and password given."
                    ]
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(request=None, responses={204: None, 401: DETAIL_ERROR})
    def delete(self, request):
        if not request.user.is_authenticated:
            return Response(
                {"detail": "Authentication credentials were not provided."},
                status=status.HTTP_401_UNAUTHORIZED,
            )
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
