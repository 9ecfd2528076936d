"""POST /api/auth/token/ and /api/auth/logout/: tokens with the lockout and second-factor rules;
GET /api/me/: who the token or session belongs to.

Tokens are django-rest-knox's: random, stored as a SHA-512 digest, expiring after
API_TOKEN_TTL_HOURS, ended at logout, password change and second-factor enrolment.
"""

from typing import Any

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.actors import signed_in
from agencies.exceptions import LockedOut
from agencies.services import issue_api_token, revoke_api_tokens

LOCKED_OUT = (
    "Too many failed login attempts: this username is locked out from your address for a "
    "while. Try again later."
)
USERNAME_LOCKED_OUT = (
    "Too many failed login attempts for this username from many addresses: logging in is "
    "paused. Ask your team manager to lift the lock."
)


class TokenCredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(write_only=True)
    password = serializers.CharField(
        write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )
    otp_token = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=(
            "The current code from the user's authenticator app: required for administrators "
            "and for anyone who has set up two-step verification."
        ),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Through the authentication backends, so django-axes counts and locks as on the page.
        user = authenticate(
            request=self.context["request"], username=attrs["username"], password=attrs["password"]
        )
        if user is None:
            raise serializers.ValidationError(
                "Unable to log in with provided credentials.", code="authorization"
            )
        attrs["user"] = user
        return attrs


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(source="key", read_only=True)
    expiry = serializers.DateTimeField(read_only=True, allow_null=True)


class ObtainTokenView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenCredentialsSerializer,
        responses={200: TokenResponseSerializer},
        summary="Obtain an API token",
        description=(
            "Username and password, plus `otp_token` for administrators and for users with "
            "two-step verification. Each call issues a new token, shown once, that expires "
            "after `expiry` and ends at logout, password change and two-step set-up. Repeated "
            "wrong passwords lock the username out from the client's address for a while (429)."
        ),
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = TokenCredentialsSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            # authenticate(request=...) ran through django-axes, which flags this DRF request;
            # AxesMiddleware only sees the Django request underneath, so answer here.
            if getattr(request, "axes_locked_out", False):
                if getattr(request, "hsb_username_locked_out", False):
                    raise LockedOut(USERNAME_LOCKED_OUT)
                raise LockedOut(LOCKED_OUT)
            raise ValidationError(serializer.errors)
        issued = issue_api_token(
            user=serializer.validated_data["user"],
            code=serializer.validated_data.get("otp_token", ""),
        )
        return Response(TokenResponseSerializer(issued).data)


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={204: None},
        summary="End your API tokens",
        description="Ends every API token of the signed-in user, as logging out on the web does.",
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = signed_in(request.user)
        revoke_api_tokens(user=user, actor=user, why="api_logout")
        return Response(status=204)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="__str__")
    role = serializers.CharField()
    agency = serializers.IntegerField(source="agency_id", allow_null=True)


class MeView(APIView):
    """Reads only the user row that authentication already loaded: no query of its own, so
    benchmarks/http_load.py measures it as the floor of an authenticated request."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=MeSerializer,
        summary="Who you are",
        description=(
            "The signed-in user (token or session): id, username, name, role and agency id, "
            "so a client can check whose token it holds and what that role may do."
        ),
    )
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(signed_in(request.user)).data)


obtain_auth_token = ObtainTokenView.as_view()
logout = LogoutView.as_view()
me = MeView.as_view()
