"""Shared fixtures: a local area, its published default pathway, and practitioners by role."""

import pytest

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory, UserFactory
from pathways.compiled import clear_compiled_cache
from pathways.tests.factories import published_default_version


@pytest.fixture(autouse=True)
def _fresh_compiled_versions():
    # Row ids can be reused after a rolled-back test on SQLite; never serve a stale version.
    clear_compiled_cache()
    yield
    clear_compiled_cache()


@pytest.fixture
def area(db):
    return LocalAreaFactory()


@pytest.fixture
def make_user(db, area):
    def make(role: str = Role.LEAD_PRACTITIONER, **kwargs):
        kwargs.setdefault("agency", AgencyFactory(area=area))
        return UserFactory(role=role, **kwargs)

    return make


@pytest.fixture
def front_door(make_user):
    return make_user(Role.FRONT_DOOR)


@pytest.fixture
def lead_practitioner(make_user):
    return make_user(Role.LEAD_PRACTITIONER)


@pytest.fixture
def manager(make_user, lead_practitioner):
    # The lead practitioner's own manager: a manager's team is their agency.
    return make_user(Role.TEAM_MANAGER, agency=lead_practitioner.agency)


@pytest.fixture
def coordinator(make_user):
    return make_user(Role.HSB_COORDINATOR)


@pytest.fixture
def default_version(area, front_door):
    return published_default_version(area=area, actor=front_door)


@pytest.fixture
def read_audit_queries(db):
    """What auditing a read adds to a request: one INSERT of the signed event, on every
    database (`audit.services.record_event`; the sealer links events later)."""
    return 1
