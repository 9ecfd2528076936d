"""API tokens (issue 12, item 6): hashed at rest, expiring, ended at logout, password change and
second-factor enrolment, never shown to administrators."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from agencies.roles import Role
from agencies.services import confirm_totp_enrolment, start_totp_enrolment
from agencies.tests.factories import current_code
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
TOKEN = "/api/auth/token/"
API_LOGOUT = "/api/auth/logout/"
CASES = "/api/cases/"


def obtain(client: Client, user) -> str:
    response = client.post(
        TOKEN, {"username": user.username, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def works(token: str) -> bool:
    return Client().get(CASES, HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


def test_the_token_is_stored_only_as_a_digest(client, make_user):
    user = make_user()

    token = obtain(client, user)

    stored = AuthToken.objects.get(user=user)
    assert token not in stored.digest
    assert token not in {value for value in vars(stored).values() if isinstance(value, str)}
    assert works(token)


def test_each_token_expires_after_the_configured_hours(client, make_user):
    assert settings.API_TOKEN_TTL_HOURS == 10
    user = make_user()

    response = client.post(
        TOKEN, {"username": user.username, "password": PASSWORD}, content_type="application/json"
    )

    expiry = AuthToken.objects.get(user=user).expiry
    assert response.json()["expiry"]
    assert abs(expiry - (timezone.now() + timedelta(hours=10))) < timedelta(minutes=1)


def test_an_expired_token_is_refused(client, make_user):
    token = obtain(client, make_user())
    AuthToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))

    assert Client().get(CASES, HTTP_AUTHORIZATION=f"Token {token}").status_code == 401


def test_the_api_logout_ends_the_token(client, make_user):
    token = obtain(client, make_user())

    response = Client().post(API_LOGOUT, HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 204
    assert not works(token)
    assert AuditEvent.objects.filter(
        action="account.api_tokens_revoked", changes__why="api_logout"
    ).exists()


def test_logging_out_on_the_web_ends_the_users_tokens(client, make_user):
    user = make_user()
    token = obtain(client, user)
    browser = Client()
    browser.post("/accounts/login/", {"username": user.username, "password": PASSWORD})

    browser.post(reverse("logout"))

    assert not works(token)


def test_a_password_change_ends_the_users_tokens(client, make_user):
    user = make_user()
    token = obtain(client, user)

    user.set_password("another-horse-battery")
    user.save()

    assert not works(token)


def test_an_unrelated_save_keeps_the_token(client, make_user):
    user = make_user()
    token = obtain(client, user)

    user.job_title = "Invented title"
    user.save()

    assert works(token)


def test_setting_up_two_step_verification_ends_the_users_tokens(client, make_user):
    user = make_user()
    token = obtain(client, user)
    device = start_totp_enrolment(actor=user)

    confirm_totp_enrolment(device=device, code=current_code(device), actor=user)

    assert not works(token)


def test_issuing_a_token_is_audited_without_the_secret(client, make_user):
    user = make_user()

    token = obtain(client, user)

    event = AuditEvent.objects.get(action="account.api_token_issued")
    assert event.actor == user
    assert token not in str(event.changes)


def test_the_admin_has_no_token_pages(make_user):
    admin = Client()
    admin.force_login(make_user(Role.SYSTEM_ADMINISTRATOR, is_staff=True, is_superuser=True))

    assert admin.get("/admin/knox/authtoken/").status_code == 404
    assert admin.get("/admin/knox/authtoken/add/").status_code == 404
    assert "authtoken" not in admin.get("/admin/").content.decode().lower()


def test_a_new_token_clears_the_users_expired_ones(client, make_user):
    user = make_user()
    obtain(client, user)
    AuthToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))

    fresh = obtain(client, user)

    assert AuthToken.objects.filter(user=user).count() == 1
    assert works(fresh)


def test_a_token_request_looks_its_token_up_once(client, make_user):
    # The database area middleware resolves the token before the view; the view reuses it.
    token = obtain(client, make_user())

    with CaptureQueriesContext(connection) as queries:
        response = Client().get(CASES, HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 200
    lookups = [q["sql"] for q in queries if '"knox_authtoken"."token_key" =' in q["sql"]]
    assert len(lookups) == 1
