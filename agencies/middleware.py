"""The session rules of agencies/security.py, applied to every request."""

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from .security import LOGGED_IN_AT, session_needs_second_factor, session_outlived

# What a signed-in user still waiting to give their second factor may open.
SECOND_FACTOR_EXEMPT_URLS = ("login", "logout", "two_factor", "two_factor_verify")


# Unix time at which the session's idle expiry was last pushed forward (absent: at login,
# whose save set it).
REFRESHED_AT = "agencies.session_refreshed_at"
# At most this often (seconds) a busy session is saved just to push its idle expiry forward.
REFRESH_SECONDS = 5 * 60


def refresh_interval() -> int:
    """Five minutes, or a tenth of SESSION_COOKIE_AGE if shorter.

    The idle expiry is the session row's expire_date, SESSION_COOKIE_AGE after its last save.
    Saving on every request (SESSION_SAVE_EVERY_REQUEST) made every page GET an UPDATE; saving
    at most once per interval keeps reads free of it, and an idle session then ends between
    SESSION_COOKIE_AGE minus the interval and SESSION_COOKIE_AGE after its last request:
    slightly earlier, never later.
    """
    return min(REFRESH_SECONDS, settings.SESSION_COOKIE_AGE // 10)


def keep_session_alive(session: SessionBase) -> None:
    """Marks a signed-in session to be saved (expiry pushed forward) once its last refresh is
    older than refresh_interval(); otherwise leaves it unmodified, so nothing is written."""
    last = session.get(REFRESHED_AT, session.get(LOGGED_IN_AT))
    now = time.time()
    if not isinstance(last, int | float) or now - last >= refresh_interval():
        session[REFRESHED_AT] = int(now)


class SessionLifetimeMiddleware:
    """Ends a session SESSION_ABSOLUTE_AGE after its login, however busy it has been, and
    keeps the idle expiry (SESSION_COOKIE_AGE) sliding without a write on every request.

    An ended session's request carries on as anonymous: pages send it to the login page, the
    API answers 401/403, as for any signed-out visitor. An idle one is not found at all
    (Django's session store ignores rows past their expire_date).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if session_outlived(request):
            logout(request)
            messages.info(request, "Your session has ended. Please log in again.")
        elif SESSION_KEY in request.session:
            keep_session_alive(request.session)
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
