"""`take_transition` holds the actor to the case itself, not only to the role (issue 12, item 5).

The pages and endpoints check first, but the engine is the one place every caller passes:
called directly by a user of a role the transition allows, on a case outside what that
role gives them, it refuses and writes nothing.
"""

import pytest
from viewflow.workflow.models import Task

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory, UserFactory
from audit.models import AuditEvent
from cases.access.services import grant_case_access
from cases.models import Case, StageMove
from cases.process.engine import take_transition
from cases.tests.factories import open_case
from pathways.exceptions import NotAllowedOnCase

pytestmark = pytest.mark.django_db

# A move that names no lead practitioner (the panel needs none).
ROUTE = {"transition": "refer_to_hsb_panel", "data": {"continuum_level": "abusive"}}


@pytest.fixture
def case(default_version, front_door):
    return open_case(version=default_version, actor=front_door)


def _snapshot(case):
    row = Case.objects.values("lock_version", "current_stage_id", "current_task_id").get(pk=case.pk)
    return (
        row,
        StageMove.objects.filter(case_id=case.pk).count(),
        Task.objects.filter(process_id=case.pk).count(),
        AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk)).count(),
    )


def _refused(case, actor, **values):
    before = _snapshot(case)
    with pytest.raises(NotAllowedOnCase) as refused:
        take_transition(case=case, actor=actor, **{**ROUTE, **values})
    assert _snapshot(case) == before, "a refused transition writes nothing"
    assert refused.value.status_code == 403
    return refused.value


def test_a_front_door_practitioner_of_another_area_is_refused(case):
    elsewhere = AgencyFactory(area=LocalAreaFactory(name="Southmere"))
    outsider = UserFactory(role=Role.FRONT_DOOR, agency=elsewhere)

    refused = _refused(case, outsider)

    # Nothing about the case's state is said to someone who may not work on it.
    assert refused.extra == {}


def test_a_lead_practitioner_who_does_not_lead_the_case_is_refused(
    case, front_door, make_user, lead_practitioner
):
    early_help = take_transition(
        case=case,
        actor=front_door,
        transition="route_to_early_help",
        data={"continuum_level": "problematic", "lead_practitioner": lead_practitioner.pk},
    )
    close = {"transition": "close_early_help", "data": {"closure_reason": "support_completed"}}

    _refused(early_help, make_user(Role.LEAD_PRACTITIONER), **close)

    assert take_transition(case=early_help, actor=lead_practitioner, **close).closed_at


def test_read_access_through_a_grant_is_not_enough(case, manager, lead_practitioner):
    # Led by the manager's team, so a manager of another agency has no role's rule to it.
    Case.objects.filter(pk=case.pk).update(lead_practitioner=lead_practitioner)
    consultant = UserFactory(role=Role.TEAM_MANAGER, agency=AgencyFactory())
    grant_case_access(
        case=case, user=consultant, kind="consultant", reason="Invented: advice.", actor=manager
    )

    _refused(case, consultant)


def test_a_role_that_may_work_on_the_case_still_moves_it(case, front_door):
    moved = take_transition(case=case, actor=front_door, **ROUTE)

    assert moved.current_stage.key == "hsb_panel"
