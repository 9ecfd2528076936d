"""POST /api/auth/token/: DRF's token view with the lockout and second-factor rules."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from agencies.exceptions import LockedOut
from agencies.services import issue_api_token


class TokenCredentialsSerializer(AuthTokenSerializer):
    otp_token = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=(
            "The current code from the user's authenticator app: required for administrators "
            "and for anyone who has set up two-step verification."
        ),
    )


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class ObtainAuthTokenView(ObtainAuthToken):
    serializer_class = TokenCredentialsSerializer

    @extend_schema(
        request=TokenCredentialsSerializer,
        responses={200: TokenResponseSerializer},
        summary="Obtain an API token",
        description=(
            "Username and password, plus `otp_token` for administrators and for users with "
            "two-step verification. Repeated wrong passwords lock the username out from the "
            "client's address for a while (429)."
        ),
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            # authenticate(request=...) ran through django-axes, which flags this DRF request;
            # AxesMiddleware only sees the Django request underneath, so answer here.
            if getattr(request, "axes_locked_out", False):
                raise LockedOut(
                    "Too many failed login attempts: this username is locked out from your "
                    "address for a while. Try again later."
                )
            raise ValidationError(serializer.errors)
        token = issue_api_token(
            user=serializer.validated_data["user"],
            code=serializer.validated_data.get("otp_token", ""),
        )
        return Response({"token": token.key})


obtain_auth_token = ObtainAuthTokenView.as_view()
