"""API token authentication: django-rest-knox's, resolved once per request.

The database area middleware (agencies.db_context) must know a token request's user before
the view runs, so it authenticates the token first; the view's authenticator reuses that
result instead of hashing and looking the token up a second time.
"""

from typing import Any

from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.signals import token_expired
from rest_framework.request import Request

# Set on the Django request by agencies.db_context for a token it has authenticated.
RESOLVED_AUTH_ATTRIBUTE = "_resolved_api_auth"


class TokenAuthentication(KnoxTokenAuthentication):
    def authenticate(self, request: Request) -> Any:
        resolved = getattr(request._request, RESOLVED_AUTH_ATTRIBUTE, None)
        if resolved is not None:
            return resolved
        return super().authenticate(request)

    def _cleanup_token(self, auth_token: Any) -> bool:
        """Refuses (and deletes) the presented token once expired, as knox does, without
        knox's scan of the user's other tokens on every request (a query per API call):
        each token is checked when it is itself presented, and issue_api_token deletes a
        user's expired ones."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False


class TokenScheme(KnoxTokenScheme):
    """The same OpenAPI security scheme as knox's own."""

    target_class = "agencies.authentication.TokenAuthentication"
