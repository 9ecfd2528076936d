"""Real client addresses behind the proxy, the per-username limit and the manager's unlock
(issue 12, item 9). The login form is posted for real, as in tests/test_login_security.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
LOGIN = "/accounts/login/"
TOKEN = "/api/auth/token/"
LOCKOUTS = "/accounts/lockouts/"
PROXY = "10.0.0.1"


def via_proxy(address: str) -> Client:
    """A browser at `address`, reaching the app through the TLS proxy."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=address)


def log_in(client: Client, username: str, password: str = PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


def fail(client: Client, username: str, times: int | None = None) -> list[int]:
    count = settings.AXES_FAILURE_LIMIT if times is None else times
    return [log_in(client, username, "not-the-password").status_code for _ in range(count)]


def let_the_cool_off_pass() -> None:
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    return settings


# --- the client's address ----------------------------------------------------------------


def test_by_default_no_proxy_is_trusted():
    assert settings.TRUSTED_PROXY_COUNT == 0


def test_behind_the_proxy_two_strangers_do_not_lock_the_user_out_elsewhere(
    behind_one_proxy, make_user
):
    user = make_user(Role.DSL)

    first = fail(via_proxy("198.51.100.1"), user.username)
    second = fail(via_proxy("198.51.100.2"), user.username)

    assert first[-1] == second[-1] == 429
    assert log_in(via_proxy("203.0.113.7"), user.username).status_code == 302


def test_the_audit_event_records_the_forwarded_client_address(behind_one_proxy, make_user):
    user = make_user()

    log_in(via_proxy("203.0.113.7"), user.username)
    fail(via_proxy("198.51.100.1"), user.username, times=1)

    assert AuditEvent.objects.get(action="account.logged_in").client_address == "203.0.113.7"
    assert AuditEvent.objects.get(action="account.login_failed").client_address == ("198.51.100.1")


def test_a_client_cannot_choose_its_address_by_sending_the_header_itself(
    behind_one_proxy, make_user
):
    user = make_user()
    # The proxy appends the real address after whatever the client sent.
    spoofing = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7, 198.51.100.1")

    fail(spoofing, user.username)

    assert AccessAttempt.objects.get().ip_address == "198.51.100.1"
    assert log_in(via_proxy("203.0.113.7"), user.username).status_code == 302


def test_without_a_trusted_proxy_the_header_is_ignored(make_user):
    user = make_user()
    fail(Client(REMOTE_ADDR="192.0.2.5", HTTP_X_FORWARDED_FOR="198.51.100.1"), user.username)

    # A spoofed header does not move the locked-out client to a fresh address.
    response = log_in(
        Client(REMOTE_ADDR="192.0.2.5", HTTP_X_FORWARDED_FOR="203.0.113.7"), user.username
    )

    assert response.status_code == 429
    assert AuditEvent.objects.filter(action="account.login_failed").first().client_address == (
        "192.0.2.5"
    )


# --- the per-username limit ----------------------------------------------------------------


@pytest.fixture
def low_username_limit(behind_one_proxy):
    behind_one_proxy.USERNAME_FAILURE_LIMIT = 2 * behind_one_proxy.AXES_FAILURE_LIMIT
    return behind_one_proxy


def test_the_per_username_limit_is_fifty_in_a_day_by_default():
    assert settings.USERNAME_FAILURE_LIMIT == 50
    assert settings.USERNAME_FAILURE_WINDOW.total_seconds() == 24 * 60 * 60


def test_guessing_from_many_addresses_locks_the_username_everywhere(low_username_limit, make_user):
    user = make_user()
    fail(via_proxy("198.51.100.1"), user.username)
    fail(via_proxy("198.51.100.2"), user.username)

    page = log_in(via_proxy("203.0.113.7"), user.username)
    token = via_proxy("203.0.113.8").post(
        TOKEN, {"username": user.username, "password": PASSWORD}, content_type="application/json"
    )

    assert page.status_code == 429
    assert "from many addresses" in page.content.decode()
    assert token.status_code == 429
    assert "team manager" in token.json()["detail"]


def test_one_address_alone_never_locks_the_user_out_beyond_the_cool_off(
    low_username_limit, make_user
):
    user = make_user()
    stranger = via_proxy("198.51.100.1")
    for _ in range(3):
        fail(stranger, user.username)
        let_the_cool_off_pass()

    assert log_in(via_proxy("203.0.113.7"), user.username).status_code == 302
    assert log_in(stranger, user.username).status_code == 302


def test_strangers_cannot_shut_the_user_out_of_their_usual_address(low_username_limit, make_user):
    user = make_user()
    usual = via_proxy("203.0.113.7")
    assert log_in(usual, user.username).status_code == 302
    fail(via_proxy("198.51.100.1"), user.username)
    fail(via_proxy("198.51.100.2"), user.username)

    assert log_in(via_proxy("203.0.113.8"), user.username).status_code == 429
    assert log_in(via_proxy("203.0.113.7"), user.username).status_code == 302


def test_a_lockout_is_in_the_audit_trail(make_user):
    user = make_user()

    fail(Client(), user.username)

    event = AuditEvent.objects.get(action="account.locked_out")
    assert event.object_id == str(user.pk)
    assert event.changes["username"] == user.username


# --- the team manager's unlock -------------------------------------------------------------


@pytest.fixture
def locked_colleague(low_username_limit, make_user):
    user = make_user(Role.DSL)
    fail(via_proxy("198.51.100.1"), user.username)
    fail(via_proxy("198.51.100.2"), user.username)
    assert log_in(via_proxy("203.0.113.7"), user.username).status_code == 429
    return user


def test_a_team_manager_sees_and_lifts_a_colleagues_lockout(locked_colleague, make_user):
    manager = make_user(Role.TEAM_MANAGER, agency=locked_colleague.agency)
    browser = Client()
    browser.force_login(manager)

    assert LOCKOUTS in browser.get("/accounts/two-factor/").content.decode()
    listed = browser.get(LOCKOUTS)
    lifted = browser.post(LOCKOUTS, {"user": locked_colleague.pk})

    assert locked_colleague.username in listed.content.decode()
    assert lifted.status_code == 302
    assert log_in(via_proxy("203.0.113.7"), locked_colleague.username).status_code == 302
    event = AuditEvent.objects.get(action="account.lockout_lifted")
    assert (event.actor, event.object_id) == (manager, str(locked_colleague.pk))
    assert locked_colleague.username not in browser.get(LOCKOUTS).content.decode()


def test_a_manager_of_another_agency_cannot_lift_it(locked_colleague, make_user):
    manager = make_user(Role.TEAM_MANAGER, agency=AgencyFactory())
    browser = Client()
    browser.force_login(manager)

    assert locked_colleague.username not in browser.get(LOCKOUTS).content.decode()
    assert browser.post(LOCKOUTS, {"user": locked_colleague.pk}).status_code == 404
    assert log_in(via_proxy("203.0.113.7"), locked_colleague.username).status_code == 429


def test_a_manager_with_no_agency_cannot_lift_an_agency_less_accounts_lockout(
    low_username_limit, make_user
):
    administrator = make_user(Role.SYSTEM_ADMINISTRATOR, agency=None)
    _lock_out_by_username(administrator)
    browser = Client()
    browser.force_login(make_user(Role.TEAM_MANAGER, agency=None))

    assert administrator.username not in browser.get(LOCKOUTS).content.decode()
    assert browser.post(LOCKOUTS, {"user": administrator.pk}).status_code == 403
    assert not AuditEvent.objects.filter(action="account.lockout_lifted").exists()


@pytest.mark.parametrize("role", [Role.DSL, Role.LEAD_PRACTITIONER, Role.SYSTEM_ADMINISTRATOR])
def test_only_team_managers_lift_lockouts(locked_colleague, make_user, role):
    browser = Client()
    browser.force_login(make_user(role, agency=locked_colleague.agency))

    assert browser.get(LOCKOUTS).status_code == 403
    assert browser.post(LOCKOUTS, {"user": locked_colleague.pk}).status_code == 403
    assert not AuditEvent.objects.filter(action="account.lockout_lifted").exists()


def _lock_out_by_username(user) -> None:
    fail(via_proxy("198.51.100.1"), user.username)
    fail(via_proxy("198.51.100.2"), user.username)


def test_the_lockouts_list_costs_the_same_queries_for_one_or_three_people(
    low_username_limit, make_user
):
    first = make_user(Role.DSL)
    manager = make_user(Role.TEAM_MANAGER, agency=first.agency)
    browser = Client()
    browser.force_login(manager)
    _lock_out_by_username(first)
    with CaptureQueriesContext(connection) as one:
        assert first.username in browser.get(LOCKOUTS).content.decode()

    others = [make_user(Role.DSL, agency=first.agency) for _ in range(2)]
    for other in others:
        _lock_out_by_username(other)
    with CaptureQueriesContext(connection) as three:
        listed = browser.get(LOCKOUTS).content.decode()

    assert all(person.username in listed for person in others)
    assert len(three) == len(one)
