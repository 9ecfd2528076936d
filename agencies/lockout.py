"""Lockout on two levels, and a team manager's way to lift it.

1. Per username and client address (django-axes, AXES_FAILURE_LIMIT in AXES_COOLOFF_TIME): one
   address guessing a password stops after a few tries, and only that address is paused.
2. Per username, slower (USERNAME_FAILURE_LIMIT in USERNAME_FAILURE_WINDOW): guessing spread
   over many addresses. Each address counts at most AXES_FAILURE_LIMIT failures in the window,
   so one address alone can never reach it: a stranger cannot lock a named user out beyond the
   cool-off from a single address. Addresses the user logged in from within
   USERNAME_LOCK_KNOWN_ADDRESS_AGE are spared, so strangers on many addresses cannot shut the
   user out of their usual place either.

The client address is core.client_address.client_address (the real one behind the proxy).
A team manager lifts either lock for a user of their own agency from the web
(`views.lockouts`, `lift_lockout`), audited; a lift also clears the username's counted
failures (every failure stays in the audit trail as `account.login_failed`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from audit.services import record_event

from .actors import Actor
from .models import User
from .roles import Role


def _window_start() -> datetime:
    return timezone.now() - settings.USERNAME_FAILURE_WINDOW


def failures_by_username(usernames: Any) -> dict[str, int]:
    """Failures per username in the window, each address counted up to AXES_FAILURE_LIMIT:
    one grouped query for any number of usernames (a list or a values queryset)."""
    per_address = (
        AccessFailureLog.objects.filter(username__in=usernames, attempt_time__gte=_window_start())
        .values("username", "ip_address")
        .annotate(failures=Count("id"))
    )
    cap = settings.AXES_FAILURE_LIMIT
    totals: dict[str, int] = {}
    for row in per_address:
        totals[row["username"]] = totals.get(row["username"], 0) + min(row["failures"], cap)
    return totals


def username_failures(username: str) -> int:
    """Failures for the username in the window, each address counted up to AXES_FAILURE_LIMIT."""
    return failures_by_username([username]).get(username, 0)


def known_address(username: str, address: str | None) -> bool:
    """Whether the user logged in successfully from this address lately (django-axes' log)."""
    if not address:
        return False
    since = timezone.now() - settings.USERNAME_LOCK_KNOWN_ADDRESS_AGE
    logged_in: bool = AccessLog.objects.filter(
        username=username, ip_address=address, attempt_time__gte=since
    ).exists()
    return logged_in


def username_locked_out(username: str | None, address: str | None = None) -> bool:
    """The per-username lock, which spares the addresses the user lately logged in from:
    strangers guessing from many addresses cannot shut the user out of their usual place
    (the per-address limit still holds there)."""
    if not username:
        return False
    if username_failures(str(username)) < settings.USERNAME_FAILURE_LIMIT:
        return False
    return not known_address(str(username), address)


def _address_locks() -> QuerySet[AccessAttempt]:
    """django-axes' per-address locks still in their cool-off."""
    locks: QuerySet[AccessAttempt] = AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    )
    cool_off = get_cool_off()
    if cool_off is not None:
        locks = locks.filter(attempt_time__gte=timezone.now() - cool_off)
    return locks


class LockoutHandler(AxesDatabaseHandler):  # type: ignore[misc]  # django-axes has no types
    """django-axes' database handler plus the per-username limit (AXES_HANDLER)."""

    def is_locked(self, request: Any, credentials: dict[str, Any] | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        username = get_client_username(request, credentials)
        if username_locked_out(username, getattr(request, "axes_ip_address", None)):
            request.hsb_username_locked_out = True
            return True
        return False

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
    ) -> None:
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False):
            return
        username = get_client_username(request, credentials)
        if username_locked_out(username, request.axes_ip_address):
            # Answered as a lockout (429) from this failure on, like django-axes' own lock.
            request.hsb_username_locked_out = True
            request.axes_locked_out = True
            user_locked_out.send(
                "axes", request=request, username=username, ip_address=request.axes_ip_address
            )


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The lockout page (AXES_LOCKOUT_CALLABLE), saying which of the two locks applies."""
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "username": get_client_username(request, credentials) or "",
        "cooloff_timedelta": get_cool_off(request),
        "username_locked": getattr(request, "hsb_username_locked_out", False),
    }
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=429)


def locked_out_users_visible_to(actor: Actor) -> QuerySet[User]:
    """Users of the team manager's own agency who are locked out now, by either lock."""
    user_model = get_user_model()
    if not isinstance(actor, User) or actor.role != Role.TEAM_MANAGER or actor.agency_id is None:
        return user_model.objects.none()
    colleagues = user_model.objects.filter(agency_id=actor.agency_id, is_active=True).exclude(
        pk=actor.pk
    )
    usernames = colleagues.values("username")
    by_address = set(
        _address_locks().filter(username__in=usernames).values_list("username", flat=True)
    )
    # The per-username lock as username_locked_out() decides it with no address (no address
    # is a known one), for every colleague in one query.
    by_username = {
        name
        for name, failures in failures_by_username(usernames).items()
        if failures >= settings.USERNAME_FAILURE_LIMIT
    }
    locked = by_address | by_username
    return colleagues.filter(username__in=locked).order_by("last_name", "first_name")


@transaction.atomic
def lift_lockout(*, user_id: int, actor: Actor) -> User:
    """A team manager lifts every lockout of a user of their own agency; audited.

    Anyone else, or a user outside the manager's agency, is a 404 (unseen, as everywhere).
    """
    # A manager with no agency manages nobody: `agency_id=None` would match every agency-less
    # account, the installation's set-up administrators included.
    if not isinstance(actor, User) or actor.role != Role.TEAM_MANAGER or actor.agency_id is None:
        raise PermissionDenied
    user_model = get_user_model()
    try:
        user = user_model.objects.get(pk=user_id, agency_id=actor.agency_id, is_active=True)
    except user_model.DoesNotExist as exc:
        raise Http404 from exc
    if user.pk == actor.pk:
        raise PermissionDenied
    attempts, _ = AccessAttempt.objects.filter(username=user.username).delete()
    failures, _ = AccessFailureLog.objects.filter(
        username=user.username, attempt_time__gte=_window_start()
    ).delete()
    record_event(
        actor=actor,
        action="account.lockout_lifted",
        target=user,
        changes={"address_locks": attempts, "counted_failures": failures},
    )
    return user
