"""force_login stays a whole login for administrators (agencies/tests/force_login_plugin.py)."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.roles import Role
from agencies.tests.factories import TOTPDeviceFactory

pytestmark = pytest.mark.django_db


def test_a_forced_login_gives_an_administrator_a_verified_session(client, make_user):
    admin = make_user(Role.SYSTEM_ADMINISTRATOR, is_staff=True)

    client.force_login(admin)

    assert client.get("/admin/").status_code == 200
    assert TOTPDevice.objects.filter(user=admin, confirmed=True).count() == 1


def test_a_forced_login_uses_the_users_own_authenticator(client, make_user):
    device = TOTPDeviceFactory(user=make_user(Role.LEAD_PRACTITIONER))

    client.force_login(device.user)

    assert client.get("/work/").status_code == 200
    assert list(TOTPDevice.objects.filter(user=device.user)) == [device]


def test_a_forced_login_adds_nothing_for_a_practitioner(client, make_user):
    user = make_user(Role.LEAD_PRACTITIONER)

    client.force_login(user)

    assert client.get("/work/").status_code == 200
    assert not TOTPDevice.objects.filter(user=user).exists()
