"""API token authentication: django-rest-knox's, resolved once per request.

The database area middleware (agencies.db_context) must know a token request's user before
the view runs, so it authenticates the token first; the view's authenticator reuses that
result instead of hashing and looking the token up a second time.
"""

from typing import Any

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework.request import Request

# Set on the Django request by agencies.db_context for a token it has authenticated.
RESOLVED_AUTH_ATTRIBUTE = "_resolved_api_auth"


class TokenAuthentication(KnoxTokenAuthentication):
    def authenticate(self, request: Request) -> Any:
        resolved = getattr(request._request, RESOLVED_AUTH_ATTRIBUTE, None)
        if resolved is not None:
            return resolved
        return super().authenticate(request)


class TokenScheme(KnoxTokenScheme):
    """The same OpenAPI security scheme as knox's own."""

    target_class = "agencies.authentication.TokenAuthentication"
