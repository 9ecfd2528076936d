"""Logins in the audit trail: failed logins, lockouts and logouts (logins: views.LoginView).

Failures and lockouts come from Django's and django-axes' signals, so every path that calls
authenticate() (the login page, /api/auth/token/) is covered. Successful logins are recorded
by the login page itself, not on user_logged_in: force_login in tests and the admin's session
plumbing also send that signal without anyone typing a password.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest

from audit.services import record_event

from .models import User
from .services import revoke_api_tokens

USERNAME_MAX = 150


def _attempted(username: Any) -> tuple[Any, str]:
    """The account a username names, or an unsaved stand-in when none does (no enumeration
    through the trail's object ids), and the username as typed, trimmed."""
    text = str(username or "")[:USERNAME_MAX]
    user_model = get_user_model()
    user = user_model.objects.filter(username=text).first() if text else None
    return user or user_model(username=text), text


def record_login(*, user: User) -> None:
    record_event(actor=user, action="account.logged_in", target=user)


@receiver(user_login_failed, dispatch_uid="agencies.login_events.failed")
def record_failed_login(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    # Django has already masked the password; only the username is kept.
    target, username = _attempted(credentials.get("username"))
    record_event(
        actor=None, action="account.login_failed", target=target, changes={"username": username}
    )


@receiver(user_locked_out, dispatch_uid="agencies.login_events.locked_out")
def record_lockout(
    sender: Any, username: Any = None, ip_address: Any = None, **kwargs: Any
) -> None:
    target, text = _attempted(username)
    record_event(
        actor=None,
        action="account.locked_out",
        target=target,
        changes={"username": text, "address": ip_address or ""},
    )


@receiver(user_logged_out, dispatch_uid="agencies.login_events.logged_out")
def record_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None or not getattr(user, "pk", None):
        return
    record_event(actor=user, action="account.logged_out", target=user)
    # Logging out ends the API tokens too: a token must not outlive the login that earned it.
    revoke_api_tokens(user=user, actor=user, why="logout")


@receiver(post_save, sender=get_user_model(), dispatch_uid="agencies.login_events.password")
def end_tokens_on_password_change(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    # set_password() keeps the raw password in _password until the save that stores it
    # (AbstractBaseUser clears it after post_save), so every way of changing a password —
    # the password form, the admin, changepassword — ends the user's API tokens here.
    if not created and getattr(instance, "_password", None) is not None:
        revoke_api_tokens(user=instance, actor=instance, why="password_changed")
