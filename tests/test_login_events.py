"""Logins, failed logins and logouts in the audit trail (issue 12, "Logins in the trail");
lockouts: tests/test_client_addresses_and_lockout.py; tokens: tests/test_tokens.py."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
LOGIN = "/accounts/login/"


def events(action: str):
    return list(AuditEvent.objects.filter(action=action))


def test_a_login_is_in_the_trail(client, make_user):
    user = make_user()

    client.post(LOGIN, {"username": user.username, "password": PASSWORD})

    [event] = events("account.logged_in")
    assert (event.actor, event.object_id) == (user, str(user.pk))


def test_a_failed_login_keeps_the_username_and_never_the_password(client, make_user):
    user = make_user()

    client.post(LOGIN, {"username": user.username, "password": "a-wrong-guess"})

    [event] = events("account.login_failed")
    assert event.actor is None
    assert event.object_id == str(user.pk)
    assert event.changes == {"username": user.username}
    assert "a-wrong-guess" not in str(event.changes) + event.reason
    assert events("account.logged_in") == []


def test_a_failed_login_for_an_unknown_username_is_recorded_too(client):
    client.post(LOGIN, {"username": "nobody-by-this-name", "password": "a-wrong-guess"})

    [event] = events("account.login_failed")
    assert event.changes == {"username": "nobody-by-this-name"}


def test_failures_on_the_token_endpoint_are_in_the_trail(client, make_user):
    user = make_user()

    client.post(
        "/api/auth/token/",
        {"username": user.username, "password": "a-wrong-guess"},
        content_type="application/json",
    )

    assert [event.object_id for event in events("account.login_failed")] == [str(user.pk)]


def test_a_logout_is_in_the_trail(make_user):
    user = make_user()
    browser = Client()
    browser.post(LOGIN, {"username": user.username, "password": PASSWORD})

    browser.post(reverse("logout"))

    [event] = events("account.logged_out")
    assert event.actor == user
