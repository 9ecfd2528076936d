"""Login in two steps (password, then the authenticator's code) and the two-step set-up page."""

from __future__ import annotations

from base64 import b32encode
from typing import Any
from urllib.parse import urlencode

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import services
from .actors import signed_in
from .exceptions import WrongCode
from .forms import CodeForm
from .lockout import lift_lockout, locked_out_users_visible_to
from .login_events import record_login
from .roles import CAN_LIFT_LOCKOUTS
from .security import (
    SECOND_FACTOR_REQUIRED,
    confirmed_totp_device,
    is_administrator,
    is_verified,
    pending_totp_device,
    session_needs_second_factor,
    verify_code,
)


def _safe_next(request: HttpRequest) -> str:
    """The `next` the user came with if it stays on this site, else ""."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _next_url(request: HttpRequest) -> str:
    return _safe_next(request) or resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def _signed_in_with_second_factor(request: HttpRequest, device: TOTPDevice) -> None:
    # A higher level of assurance is a new session id (ASVS: new token on re-authentication).
    request.session.cycle_key()
    django_otp.login(request, device)
    request.session[SECOND_FACTOR_REQUIRED] = True


class LoginView(auth_views.LoginView):
    """Step one, the password. A user who owes a second factor goes on to step two."""

    template_name = "registration/login.html"

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        record_login(user=form.get_user())
        # Decided by security.stamp_login_session as login() ran.
        if self.request.session.get(SECOND_FACTOR_REQUIRED):
            return HttpResponseRedirect(_with_next("two_factor_verify", self.get_success_url()))
        return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify_second_factor(request: HttpRequest) -> HttpResponse:
    """Step two: the code from the authenticator app."""
    next_url = _next_url(request)
    if not session_needs_second_factor(request):
        return redirect(next_url)
    device = confirmed_totp_device(request.user)
    if device is None:
        # An administrator without an authenticator: setting one up is the second step.
        return redirect(_with_next("two_factor", next_url))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        refusal = _refusal(device)
        verified = verify_code(user=request.user, code=form.cleaned_data["otp_token"])
        if verified is not None:
            _signed_in_with_second_factor(request, verified)
            return redirect(next_url)
        form.add_error("otp_token", refusal)
    return render(
        request, "registration/verify_second_factor.html", {"form": form, "next": next_url}
    )


def _refusal(device: TOTPDevice) -> str:
    """What to say if the code about to be tried fails: wrong, or not even tried (throttled)."""
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        return "Too many wrong codes. Wait a minute, then enter the newest code from your app."
    return services.WRONG_CODE


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Set up, confirm or remove the authenticator app that gives the second factor."""
    user = signed_in(request.user)
    next_url = _safe_next(request)
    device = confirmed_totp_device(user)
    if device is not None and not is_verified(user):
        # Changing two-step verification takes the current second factor first.
        return redirect(_with_next("two_factor_verify", request.get_full_path()))
    form = CodeForm(request.POST or None)
    action = request.POST.get("action")
    if request.method == "POST":
        if action == "start" and device is None:
            services.start_totp_enrolment(actor=user)
            return redirect(_with_next("two_factor", next_url) if next_url else "two_factor")
        pending = pending_totp_device(user)
        if action == "confirm" and pending is not None and form.is_valid():
            refusal = _refusal(pending)
            try:
                confirmed = services.confirm_totp_enrolment(
                    device=pending, code=form.cleaned_data["otp_token"], actor=user
                )
            except WrongCode:
                form.add_error("otp_token", refusal)
            else:
                _signed_in_with_second_factor(request, confirmed)
                messages.success(request, "Two-step verification is on.")
                return redirect(next_url or "two_factor")
        if action == "remove" and device is not None and form.is_valid():
            refusal = _refusal(device)
            try:
                services.remove_totp_device(code=form.cleaned_data["otp_token"], actor=user)
            except WrongCode:
                form.add_error("otp_token", refusal)
            else:
                request.session[SECOND_FACTOR_REQUIRED] = is_administrator(user)
                messages.success(request, "Two-step verification is off.")
                return redirect("two_factor")
    pending = None if device is not None else pending_totp_device(user)
    return render(
        request,
        "agencies/two_factor.html",
        {
            "heading": "Two-step verification",
            "device": device,
            "pending": pending,
            "setup": _setup_details(pending) if pending is not None else None,
            "form": form,
            "next": next_url,
            "required": is_administrator(user),
            "can_lift_lockouts": getattr(user, "role", None) in CAN_LIFT_LOCKOUTS,
        },
    )


def _setup_details(device: TOTPDevice) -> dict[str, str]:
    uri = device.config_url
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return {
        "uri": uri,
        # The base32 secret, grouped in fours as apps ask for it when typed by hand.
        "secret": " ".join(_grouped(_base32_secret(device), 4)),
        # Generated here from the URI alone; no user text reaches the markup.
        "qr_svg": mark_safe(image.to_string(encoding="unicode")),  # noqa: S308
    }


def _base32_secret(device: TOTPDevice) -> str:
    return b32encode(device.bin_key).decode()


def _grouped(text: str, size: int) -> list[str]:
    return [text[index : index + size] for index in range(0, len(text), size)]


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def lockouts(request: HttpRequest) -> HttpResponse:
    """A team manager's list of their agency's locked-out users, each with a way to lift it."""
    if getattr(request.user, "role", None) not in CAN_LIFT_LOCKOUTS:
        raise PermissionDenied
    if request.method == "POST":
        try:
            user_id = int(request.POST.get("user", ""))
        except ValueError as exc:
            raise Http404 from exc
        user = lift_lockout(user_id=user_id, actor=request.user)
        messages.success(request, f"{user} can log in again.")
        return redirect("lockouts")
    return render(
        request,
        "agencies/lockouts.html",
        {"heading": "Login lockouts", "users": locked_out_users_visible_to(request.user)},
    )
