"""Who must give a second factor, and how old a login session may grow.

The login rules (OWASP ASVS 5.0, V6 authentication and V7 session management), in one place:

- Administrators (role `system_administrator`, `is_staff` or `is_superuser`) must verify a TOTP
  code after their password before any page but enrolment, the code page and logout opens
  (`agencies.middleware.SecondFactorMiddleware`), before the Django admin opens
  (`agencies.admin_site.AdminSite`) and before an API token is issued
  (`agencies.services.issue_api_token`). One who has no authenticator yet is sent to set one up.
- Anyone else who has set up an authenticator is asked for its code at every login too.
- A session ends `SESSION_ABSOLUTE_AGE` seconds after its login however busy it is, on top of
  the idle `SESSION_COOKIE_AGE` (`agencies.middleware.SessionLifetimeMiddleware`).
- Wrong passwords lock a username and client address out (django-axes, settings `AXES_*`);
  wrong codes slow down exponentially per device (django-otp's throttling).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from .actors import Actor
from .models import User
from .roles import ADMINISTRATORS

# Unix time of the password login that started the session.
LOGGED_IN_AT = "agencies.logged_in_at"
# Whether this session's user must give a second factor, decided at login: a user who sets up
# an authenticator later is verified by that enrolment, so no per-request device query is needed.
SECOND_FACTOR_REQUIRED = "agencies.second_factor_required"


def is_administrator(user: Actor) -> bool:
    return isinstance(user, User) and (
        user.is_superuser or user.is_staff or user.role in ADMINISTRATORS
    )


def confirmed_totp_device(user: Actor) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_totp_device(user: Actor) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def second_factor_required(user: Actor) -> bool:
    """Administrators always; anyone else once they have confirmed an authenticator."""
    if not user.is_authenticated:
        return False
    return is_administrator(user) or TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_verified(user: Actor) -> bool:
    # OTPMiddleware sets otp_device on request.user; a user object without it is unverified.
    return getattr(user, "otp_device", None) is not None


def verify_code(*, user: Actor, code: str) -> TOTPDevice | None:
    """The user's confirmed device if `code` is its current code, else None.

    django-otp refuses a code already used (replay), and after each wrong code refuses every
    code for 1, 2, 4, 8 … seconds (throttling), so the six digits cannot be walked through.
    """
    device = confirmed_totp_device(user)
    if device is None or not code:
        return None
    verified = verify_token(user, device.persistent_id, code)
    return verified if isinstance(verified, TOTPDevice) else None


def session_needs_second_factor(request: HttpRequest) -> bool:
    """True while a signed-in user who must give a second factor has not given it."""
    user = request.user
    if not user.is_authenticated or is_verified(user):
        return False
    if is_administrator(user):
        return True
    required = request.session.get(SECOND_FACTOR_REQUIRED)
    if required is None:
        # A session from before this rule: decide once, then remember.
        required = second_factor_required(user)
        request.session[SECOND_FACTOR_REQUIRED] = required
    return bool(required)


def session_outlived(request: HttpRequest) -> bool:
    """True for a signed-in session older than SESSION_ABSOLUTE_AGE (or of unknown age)."""
    if SESSION_KEY not in request.session:
        return False
    logged_in_at = request.session.get(LOGGED_IN_AT)
    if not isinstance(logged_in_at, int | float):
        return True
    return time.time() - logged_in_at > settings.SESSION_ABSOLUTE_AGE


@receiver(user_logged_in, dispatch_uid="agencies.security.stamp_login_session")
def stamp_login_session(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    # Every login() passes through here, whatever the view: the page, the admin, tests'
    # force_login. Refreshing the idle expiry (agencies.middleware) never touches this stamp.
    request.session[LOGGED_IN_AT] = int(time.time())
    request.session[SECOND_FACTOR_REQUIRED] = second_factor_required(user)
