"""Setting up and removing an authenticator; issuing API tokens after the second factor."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.exceptions import SecondFactorNotSetUp, WrongCode
from agencies.roles import Role
from agencies.services import (
    confirm_totp_enrolment,
    issue_api_token,
    remove_totp_device,
    start_totp_enrolment,
)
from agencies.tests.factories import TOTPDeviceFactory, current_code, wrong_code
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_enrolment_starts_with_an_unconfirmed_device_replacing_an_unfinished_one(make_user):
    user = make_user()
    first = start_totp_enrolment(actor=user)

    second = start_totp_enrolment(actor=user)

    assert not second.confirmed
    assert list(TOTPDevice.objects.filter(user=user)) == [second]
    assert first.pk != second.pk


def test_enrolment_cannot_start_while_an_authenticator_is_confirmed(make_user):
    user = make_user()
    TOTPDeviceFactory(user=user)

    with pytest.raises(WrongCode):
        start_totp_enrolment(actor=user)


def test_the_first_code_confirms_the_device_and_is_audited(make_user):
    user = make_user()
    device = start_totp_enrolment(actor=user)

    confirm_totp_enrolment(device=device, code=current_code(device), actor=user)

    device.refresh_from_db()
    assert device.confirmed
    event = AuditEvent.objects.get(action="account.second_factor_enrolled")
    assert event.actor == user


def test_a_wrong_code_confirms_nothing_and_still_counts_towards_throttling(make_user):
    user = make_user()
    device = start_totp_enrolment(actor=user)

    with pytest.raises(WrongCode):
        confirm_totp_enrolment(device=device, code=wrong_code(device), actor=user)

    device.refresh_from_db()
    assert not device.confirmed
    # The refusal is raised after the transaction commits, so the failure is remembered.
    assert device.throttling_failure_count == 1
    assert not AuditEvent.objects.filter(action="account.second_factor_enrolled").exists()


def test_removing_takes_a_current_code(make_user):
    user = make_user()
    device = TOTPDeviceFactory(user=user)

    with pytest.raises(WrongCode):
        remove_totp_device(code=wrong_code(device), actor=user)
    assert TOTPDevice.objects.filter(user=user).exists()

    device.throttle_reset()
    remove_totp_device(code=current_code(device), actor=user)

    assert not TOTPDevice.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(action="account.second_factor_removed").exists()


def test_a_practitioner_without_an_authenticator_gets_a_token_with_the_password_alone(make_user):
    assert issue_api_token(user=make_user(), code="").key


def test_an_administrator_without_an_authenticator_gets_no_token(make_user):
    with pytest.raises(SecondFactorNotSetUp):
        issue_api_token(user=make_user(Role.SYSTEM_ADMINISTRATOR), code="")


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMINISTRATOR, Role.LEAD_PRACTITIONER])
def test_anyone_with_an_authenticator_needs_its_current_code_for_a_token(make_user, role):
    device = TOTPDeviceFactory(user=make_user(role))

    with pytest.raises(WrongCode):
        issue_api_token(user=device.user, code="")
    with pytest.raises(WrongCode):
        issue_api_token(user=device.user, code=wrong_code(device))
    device.throttle_reset()

    assert issue_api_token(user=device.user, code=current_code(device)).key
