import pytest

from agencies.roles import Role
from partnership.models import Domain, Statement
from partnership.statements import load_statements

from .dataset import build_dataset


@pytest.fixture
def statements(db):
    """The framework's statements (a flush after a transactional test removes the rows the
    data migration loaded, so tests load them themselves; loading is idempotent)."""
    load_statements(Domain, Statement)
    return {statement.ref: statement for statement in Statement.objects.all()}


@pytest.fixture
def dataset(area, make_user):
    return build_dataset(actor=make_user(Role.FRONT_DOOR), area=area)


@pytest.fixture
def analyst(make_user):
    return make_user(Role.ANALYST)


@pytest.fixture
def coordinator_user(make_user):
    """The partnership's HSB coordinator: opens rounds and agrees scores."""
    return make_user(Role.HSB_COORDINATOR)


@pytest.fixture
def audit_round(statements, coordinator_user):
    from datetime import date

    from partnership.services import open_audit_round

    return open_audit_round(
        label="T1",
        period_start=date(2025, 4, 1),
        period_end=date(2025, 6, 30),
        actor=coordinator_user,
    )
