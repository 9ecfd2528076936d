"""The session rules of agencies/security.py, applied to every request."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from .security import session_needs_second_factor, session_outlived

# What a signed-in user still waiting to give their second factor may open.
SECOND_FACTOR_EXEMPT_URLS = ("login", "logout", "two_factor", "two_factor_verify")


class SessionLifetimeMiddleware:
    """Ends a session SESSION_ABSOLUTE_AGE after its login, however busy it has been.

    The request then carries on as anonymous: pages send it to the login page, the API
    answers 401/403, as for any signed-out visitor.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if session_outlived(request):
            logout(request)
            messages.info(request, "Your session has ended. Please log in again.")
        return self.get_response(request)


class SecondFactorMiddleware:
    """Holds a signed-in user who owes a second factor at the code (or set-up) page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if session_needs_second_factor(request) and not self._exempt(request):
            if request.path_info.startswith(reverse("api:root")):
                return JsonResponse(
                    {
                        "code": "second_factor_required",
                        "detail": "Enter the code from your authenticator app on the web first.",
                    },
                    status=403,
                )
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('two_factor_verify')}?{query}")
        return self.get_response(request)

    @staticmethod
    def _exempt(request: HttpRequest) -> bool:
        return request.path_info in {reverse(name) for name in SECOND_FACTOR_EXEMPT_URLS}
