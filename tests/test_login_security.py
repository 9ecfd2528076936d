"""Login security end to end: lockout, two-step login, administrators' second factor, lifetime.

These drive the real forms and endpoints (never force_login, which the force_login plugin
treats as a whole login, second factor included).
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.roles import Role
from agencies.security import LOGGED_IN_AT
from agencies.tests.factories import TOTPDeviceFactory, current_code, wrong_code

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
LOGIN = "/accounts/login/"
VERIFY = "/accounts/two-factor/verify/"
TWO_FACTOR = "/accounts/two-factor/"
TOKEN = "/api/auth/token/"
LANDING = "/work/"


def log_in(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get(SESSION_KEY)


def fail_until_locked(client: Client, username: str, **extra) -> list[int]:
    return [
        log_in(client, username, "not-the-password", **extra).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]


# --- lockout ------------------------------------------------------------------------------


def test_the_limit_is_five_failures_for_thirty_minutes_by_default():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 30 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_failures_up_to_the_limit_lock_the_username_out(client, make_user):
    user = make_user()

    statuses = fail_until_locked(client, user.username)

    # Wrong passwords re-show the form until the last one, which is answered by the lockout.
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]


def test_a_locked_out_user_is_refused_even_with_the_right_password(client, make_user):
    user = make_user()
    fail_until_locked(client, user.username)

    response = log_in(client, user.username)

    assert response.status_code == 429
    assert signed_in_user_id(client) is None
    page = response.content.decode()
    assert "Too many failed login attempts" in page
    assert "30 minutes" in page
    assert client.get(LANDING).status_code == 302


def test_the_lockout_is_for_that_username_from_that_address_only(client, make_user):
    locked, other = make_user(), make_user()
    fail_until_locked(client, locked.username)

    assert log_in(Client(), other.username).status_code == 302
    assert log_in(Client(REMOTE_ADDR="192.0.2.10"), locked.username).status_code == 302
    assert log_in(client, locked.username).status_code == 429


def test_a_successful_login_clears_the_count(client, make_user):
    user = make_user()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, user.username, "not-the-password")
    assert log_in(client, user.username).status_code == 302

    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, user.username, "not-the-password")

    assert log_in(client, user.username).status_code == 302


def test_the_lockout_lifts_after_the_cool_off(client, make_user):
    user = make_user()
    fail_until_locked(client, user.username)
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )

    assert log_in(client, user.username).status_code == 302


def test_the_token_endpoint_locks_out_too(client, make_user):
    user = make_user()
    wrong = {"username": user.username, "password": "not-the-password"}
    statuses = [
        client.post(TOKEN, wrong, content_type="application/json").status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]

    response = client.post(
        TOKEN, {"username": user.username, "password": PASSWORD}, content_type="application/json"
    )

    assert statuses == [400] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
    assert "token" not in response.json()


def test_failures_on_the_token_endpoint_lock_the_login_page(client, make_user):
    user = make_user()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            TOKEN,
            {"username": user.username, "password": "not-the-password"},
            content_type="application/json",
        )

    assert log_in(client, user.username).status_code == 429


def test_the_admin_login_is_the_login_page(client):
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/admin/"
    # Posting passwords to it authenticates nothing, so it cannot be used to get round a lockout.
    response = client.post("/admin/login/", {"username": "admin", "password": "guess"})
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


# --- two-step login -----------------------------------------------------------------------


def test_a_practitioner_without_an_authenticator_logs_in_with_the_password_alone(client, make_user):
    user = make_user(Role.DSL)

    response = log_in(client, user.username)

    assert response.status_code == 302
    assert response["Location"] == LANDING
    assert client.get(LANDING).status_code == 200


def test_a_user_with_an_authenticator_is_asked_for_its_code_after_the_password(client, make_user):
    device = TOTPDeviceFactory(user=make_user(Role.DSL))

    response = log_in(client, device.user.username)

    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fwork%2F"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'name="otp_token"' in page.content.decode()


def test_pages_wait_for_the_code(client, make_user):
    device = TOTPDeviceFactory(user=make_user(Role.DSL))
    log_in(client, device.user.username)

    response = client.get(LANDING)

    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fwork%2F"


def test_a_valid_code_completes_the_login(client, make_user):
    device = TOTPDeviceFactory(user=make_user(Role.DSL))
    log_in(client, device.user.username)
    session_before = client.cookies[settings.SESSION_COOKIE_NAME].value

    response = client.post(VERIFY, {"otp_token": current_code(device), "next": LANDING})

    assert response.status_code == 302
    assert response["Location"] == LANDING
    assert client.get(LANDING).status_code == 200
    # A new session id once the second factor is given.
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != session_before


def test_an_invalid_code_keeps_the_user_at_the_code_page(client, make_user):
    device = TOTPDeviceFactory(user=make_user(Role.DSL))
    log_in(client, device.user.username)

    response = client.post(VERIFY, {"otp_token": wrong_code(device)})

    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert client.get(LANDING).status_code == 302


def test_wrong_codes_slow_down_the_next_tries(client, make_user):
    device = TOTPDeviceFactory(user=make_user(Role.DSL))
    log_in(client, device.user.username)
    client.post(VERIFY, {"otp_token": wrong_code(device)})

    # Even the right code is refused straight after a wrong one (django-otp's throttling).
    response = client.post(VERIFY, {"otp_token": current_code(device)})

    assert response.status_code == 200
    assert "Too many wrong codes" in response.content.decode()
    assert client.get(LANDING).status_code == 302


def test_a_code_cannot_be_used_twice(make_user):
    device = TOTPDeviceFactory(user=make_user(Role.DSL))
    code = current_code(device)
    first, second = Client(), Client()
    log_in(first, device.user.username)
    log_in(second, device.user.username)

    assert first.post(VERIFY, {"otp_token": code}).status_code == 302
    assert second.post(VERIFY, {"otp_token": code}).status_code == 200


def test_the_code_page_never_sends_the_user_off_the_site(client, make_user):
    device = TOTPDeviceFactory(user=make_user(Role.DSL))
    log_in(client, device.user.username)

    response = client.post(
        VERIFY, {"otp_token": current_code(device), "next": "https://elsewhere.example/"}
    )

    assert response["Location"] == LANDING


def test_the_code_page_needs_the_password_first(client):
    response = client.get(VERIFY)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


# --- administrators -----------------------------------------------------------------------


@pytest.fixture(params=["role", "staff", "superuser"])
def administrator(request, make_user):
    return {
        "role": lambda: make_user(Role.SYSTEM_ADMINISTRATOR),
        "staff": lambda: make_user(Role.TEAM_MANAGER, is_staff=True),
        "superuser": lambda: make_user(Role.ANALYST, is_staff=True, is_superuser=True),
    }[request.param]()


@pytest.mark.parametrize("path", [LANDING, "/work/tasks/", "/pathways/", "/admin/"])
def test_an_administrator_without_an_authenticator_reaches_only_its_set_up(
    client, administrator, path
):
    log_in(client, administrator.username)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert client.get(response["Location"])["Location"].startswith(TWO_FACTOR)


def test_an_administrators_session_cannot_use_the_api_before_the_code(client, make_user):
    device = TOTPDeviceFactory(user=make_user(Role.SYSTEM_ADMINISTRATOR))
    log_in(client, device.user.username)

    response = client.get("/api/cases/")

    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_required"


def test_an_administrator_sets_up_an_authenticator_and_reaches_the_admin(client, make_user):
    admin = make_user(Role.SYSTEM_ADMINISTRATOR, is_staff=True, is_superuser=True)
    log_in(client, admin.username)

    response = client.post(TWO_FACTOR, {"action": "start", "next": "/admin/"})
    page = client.get(response["Location"]).content.decode()

    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    uri = re.search(r'id="totp-uri"[^>]*>([^<]+)<', page).group(1)
    secret = re.search(r'id="totp-secret"[^>]*>([^<]+)<', page).group(1)
    assert uri.startswith("otpauth://totp/HSB%20Pathways%3A")
    assert secret.replace(" ", "") in uri
    assert "<svg" in page
    assert client.get("/admin/").status_code == 302

    response = client.post(
        TWO_FACTOR, {"action": "confirm", "otp_token": current_code(device), "next": "/admin/"}
    )

    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get(LANDING).status_code == 200


def test_an_administrator_with_an_authenticator_gives_its_code_at_every_login(client, make_user):
    device = TOTPDeviceFactory(user=make_user(Role.SYSTEM_ADMINISTRATOR, is_staff=True))

    response = log_in(client, device.user.username)
    assert response["Location"].startswith(VERIFY)
    assert client.get("/admin/").status_code == 302

    client.post(VERIFY, {"otp_token": current_code(device)})

    assert client.get("/admin/").status_code == 200


def test_a_password_alone_cannot_add_or_remove_an_authenticator(client, make_user):
    device = TOTPDeviceFactory(user=make_user(Role.SYSTEM_ADMINISTRATOR))
    log_in(client, device.user.username)

    for data in ({"action": "start"}, {"action": "remove", "otp_token": current_code(device)}):
        response = client.post(TWO_FACTOR, data)
        assert response.status_code == 302
        assert response["Location"].startswith(VERIFY)

    assert list(TOTPDevice.objects.filter(user=device.user)) == [device]


def test_removing_an_administrators_authenticator_sends_them_back_to_set_up(client, make_user):
    device = TOTPDeviceFactory(user=make_user(Role.SYSTEM_ADMINISTRATOR))
    log_in(client, device.user.username)
    client.post(VERIFY, {"otp_token": current_code(device)})
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)

    client.post(TWO_FACTOR, {"action": "remove", "otp_token": current_code(device)})

    assert not TOTPDevice.objects.filter(user=device.user).exists()
    assert client.get(LANDING)["Location"].startswith(VERIFY)


def test_a_practitioner_can_turn_two_step_verification_on(client, make_user):
    user = make_user(Role.LEAD_PRACTITIONER)
    log_in(client, user.username)
    assert client.get(TWO_FACTOR).status_code == 200
    client.post(TWO_FACTOR, {"action": "start"})
    device = TOTPDevice.objects.get(user=user)
    client.post(TWO_FACTOR, {"action": "confirm", "otp_token": current_code(device)})
    client.post(reverse("logout"))

    response = log_in(client, user.username)

    assert response["Location"].startswith(VERIFY)


def test_the_api_issues_an_administrator_a_token_only_with_a_code(client, make_user):
    device = TOTPDeviceFactory(user=make_user(Role.SYSTEM_ADMINISTRATOR))
    credentials = {"username": device.user.username, "password": PASSWORD}

    refused = client.post(TOKEN, credentials, content_type="application/json")
    issued = client.post(
        TOKEN, {**credentials, "otp_token": current_code(device)}, content_type="application/json"
    )

    assert refused.status_code == 400
    assert refused.json()["code"] == "wrong_code"
    assert issued.status_code == 200
    assert issued.json()["token"]


def test_the_api_issues_no_token_to_an_administrator_without_an_authenticator(client, make_user):
    admin = make_user(Role.SYSTEM_ADMINISTRATOR)

    response = client.post(
        TOKEN, {"username": admin.username, "password": PASSWORD}, content_type="application/json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_not_set_up"


# --- session lifetime ---------------------------------------------------------------------


def _age_login(client: Client, seconds: float) -> None:
    session = client.session
    session[LOGGED_IN_AT] = time.time() - seconds
    session.save()


def test_the_absolute_lifetime_is_twelve_hours_by_default():
    assert settings.SESSION_ABSOLUTE_AGE == 12 * 60 * 60


def test_a_session_ends_twelve_hours_after_login_however_busy(client, make_user):
    log_in(client, make_user().username)
    _age_login(client, 11 * 60 * 60)
    assert client.get(LANDING).status_code == 200

    _age_login(client, 12 * 60 * 60 + 60)
    response = client.get(LANDING)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert signed_in_user_id(client) is None


def test_activity_does_not_extend_the_absolute_lifetime(client, make_user):
    log_in(client, make_user().username)
    stamped = client.session[LOGGED_IN_AT]

    client.get(LANDING)

    assert client.session[LOGGED_IN_AT] == stamped


def test_the_api_refuses_a_session_past_its_lifetime(client, make_user):
    log_in(client, make_user().username)
    _age_login(client, 12 * 60 * 60 + 60)

    assert client.get("/api/cases/").status_code in (401, 403)


def test_the_shells_profile_link_opens_two_step_verification(client, make_user):
    log_in(client, make_user().username)

    response = client.get("/accounts/profile/")

    assert response.status_code == 302
    assert response["Location"] == TWO_FACTOR


def test_the_admin_never_shows_a_users_authenticator_secret(client, make_user):
    device = TOTPDeviceFactory(user=make_user(Role.DSL))
    client.force_login(make_user(Role.SYSTEM_ADMINISTRATOR, is_staff=True, is_superuser=True))

    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    qrcode = client.get(reverse("admin:otp_totp_totpdevice_qrcode", args=[device.pk]))

    assert page.status_code == 200
    assert device.key not in page.content.decode()
    assert qrcode.status_code == 403
