"""pytest plugin (pyproject `addopts = -p agencies.tests.force_login_plugin`).

`client.force_login(user)` skips the password by design; this makes it skip the second factor
too, so a forced login is a whole login for administrators as well (pytest-django's
`admin_client`, the admin tests). The session is marked verified by the user's confirmed TOTP
device, created for the test when they have none. Tests of the login itself post the forms.
"""

from collections.abc import Iterator
from typing import Any

import pytest


def _verify_forced_login(client: Any, user: Any) -> None:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from agencies.security import confirmed_totp_device, second_factor_required

    if not second_factor_required(user):
        return
    device = confirmed_totp_device(user) or TOTPDevice.objects.create(
        user=user, name="force_login", confirmed=True
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture(autouse=True, scope="session")
def _force_login_includes_the_second_factor() -> Iterator[None]:
    from django.test.client import ClientMixin

    original = ClientMixin.force_login

    def force_login(self: Any, user: Any, backend: str | None = None) -> None:
        original(self, user, backend)
        _verify_forced_login(self, user)

    ClientMixin.force_login = force_login  # type: ignore[method-assign]
    yield
    ClientMixin.force_login = original  # type: ignore[method-assign]
