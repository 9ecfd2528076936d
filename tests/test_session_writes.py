"""A page GET writes no session row; the idle and absolute lifetimes still end sessions.

The idle expiry is pushed forward at most every agencies.middleware.refresh_interval() (not
on every request, SESSION_SAVE_EVERY_REQUEST being off); time is moved by shifting the clocks
the session store (django.utils.timezone.now) and the session rules (time.time in
agencies.security and agencies.middleware) read.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

import agencies.middleware
import agencies.security
from agencies.middleware import REFRESHED_AT, refresh_interval
from agencies.roles import Role

pytestmark = pytest.mark.django_db

TASKS = "/work/tasks/"
LOGIN = "/accounts/login/"
HOUR = 60 * 60


@pytest.fixture
def clock(monkeypatch):
    """clock(seconds): every clock the session machinery reads, that far ahead of now."""
    real_time, real_now = time.time, timezone.now

    def shift(seconds: float) -> None:
        fake = SimpleNamespace(time=lambda: real_time() + seconds)
        monkeypatch.setattr(agencies.security, "time", fake)
        monkeypatch.setattr(agencies.middleware, "time", fake)
        monkeypatch.setattr(timezone, "now", lambda: real_now() + timezone.timedelta(0, seconds))

    return shift


@pytest.fixture
def lead_client(make_user) -> Client:
    client = Client()
    client.force_login(make_user(Role.LEAD_PRACTITIONER))
    return client


def _session_writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith(('UPDATE "django_session"', 'INSERT INTO "django_session"'))
    ]


def _signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def test_a_page_get_within_the_refresh_window_writes_no_session_row(lead_client):
    lead_client.get(TASKS)

    with CaptureQueriesContext(connection) as queries:
        response = lead_client.get(TASKS)

    assert response.status_code == 200
    assert any('FROM "django_session"' in q["sql"] for q in queries.captured_queries)
    assert _session_writes(queries) == []


@override_settings(SESSION_SAVE_EVERY_REQUEST=True)
def test_the_query_check_above_sees_a_session_save_when_there_is_one(lead_client):
    with CaptureQueriesContext(connection) as queries:
        lead_client.get(TASKS)

    assert _session_writes(queries)


def test_the_refresh_interval_is_five_minutes_at_the_default_idle_age():
    assert settings.SESSION_COOKIE_AGE == 8 * HOUR
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    assert refresh_interval() == 5 * 60


def test_a_busy_session_pushes_its_idle_expiry_forward_once_the_interval_has_passed(
    lead_client, clock
):
    key = lead_client.session.session_key
    expiry_at_login = Session.objects.get(pk=key).expire_date

    clock(refresh_interval() + 1)
    with CaptureQueriesContext(connection) as queries:
        assert lead_client.get(TASKS).status_code == 200
    with CaptureQueriesContext(connection) as again:
        assert lead_client.get(TASKS).status_code == 200

    assert len(_session_writes(queries)) == 1
    assert _session_writes(again) == []
    assert Session.objects.get(pk=key).expire_date > expiry_at_login
    assert REFRESHED_AT in lead_client.session


def test_an_idle_session_ends_after_the_idle_age(lead_client, clock):
    clock(8 * HOUR + 60)  # idle since login, well within the 12 h absolute age

    response = lead_client.get(TASKS)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert not _signed_in(lead_client)


def test_activity_keeps_a_session_past_the_idle_age_and_idleness_then_ends_it(lead_client, clock):
    clock(3 * HOUR)
    assert lead_client.get(TASKS).status_code == 200
    clock(3 * HOUR + 8 * HOUR - 60)  # 10 h 59 after login: alive, the 3 h request refreshed it
    assert lead_client.get(TASKS).status_code == 200

    clock(3 * HOUR + 8 * HOUR - 60 + 8 * HOUR + 60)  # idle 8 h 01 (and past the absolute age)
    response = lead_client.get(TASKS)

    assert response.status_code == 302
    assert not _signed_in(lead_client)


def test_an_idle_gap_just_past_the_idle_age_ends_the_session_before_the_absolute_age(
    lead_client, clock
):
    clock(2 * HOUR)
    assert lead_client.get(TASKS).status_code == 200

    clock(2 * HOUR + 8 * HOUR + 60)  # 10 h 01 after login: only idleness can end it
    response = lead_client.get(TASKS)

    assert response.status_code == 302
    assert not _signed_in(lead_client)


def test_the_absolute_age_still_ends_a_busy_session(lead_client, clock):
    for hours in (3, 6, 9, 11.9):
        clock(hours * HOUR)
        assert lead_client.get(TASKS).status_code == 200, hours

    clock(12 * HOUR + 60)
    response = lead_client.get(TASKS)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert not _signed_in(lead_client)
