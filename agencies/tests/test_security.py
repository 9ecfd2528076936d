"""Who owes a second factor, and when a session has outlived its login."""

import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from agencies.roles import Role
from agencies.security import (
    LOGGED_IN_AT,
    is_administrator,
    second_factor_required,
    session_outlived,
)
from agencies.tests.factories import TOTPDeviceFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "flags", "expected"),
    [
        (Role.SYSTEM_ADMINISTRATOR, {}, True),
        (Role.TEAM_MANAGER, {"is_staff": True}, True),
        (Role.ANALYST, {"is_superuser": True}, True),
        (Role.LEAD_PRACTITIONER, {}, False),
        (Role.AUDITOR, {}, False),
    ],
)
def test_administrators_are_the_role_staff_and_superusers(make_user, role, flags, expected):
    assert is_administrator(make_user(role, **flags)) is expected


def test_an_administrator_owes_a_second_factor_even_without_an_authenticator(make_user):
    assert second_factor_required(make_user(Role.SYSTEM_ADMINISTRATOR))


def test_a_practitioner_without_an_authenticator_owes_none(make_user):
    assert not second_factor_required(make_user(Role.LEAD_PRACTITIONER))


def test_a_practitioner_owes_one_once_their_authenticator_is_confirmed(make_user):
    user = make_user(Role.LEAD_PRACTITIONER)
    device = TOTPDeviceFactory(user=user, confirmed=False)
    assert not second_factor_required(user)

    device.confirmed = True
    device.save()

    assert second_factor_required(user)


def _request_with_session(**values):
    request = RequestFactory().get("/")
    request.session = SessionStore()
    request.session.update(values)
    return request


def test_an_anonymous_session_never_outlives_anything():
    assert not session_outlived(_request_with_session())


def test_a_signed_in_session_outlives_its_absolute_age(settings):
    settings.SESSION_ABSOLUTE_AGE = 3600
    fresh = _request_with_session(**{SESSION_KEY: "1", LOGGED_IN_AT: time.time() - 3500})
    old = _request_with_session(**{SESSION_KEY: "1", LOGGED_IN_AT: time.time() - 3700})

    assert not session_outlived(fresh)
    assert session_outlived(old)


def test_a_signed_in_session_of_unknown_age_has_outlived_it():
    assert session_outlived(_request_with_session(**{SESSION_KEY: "1"}))
