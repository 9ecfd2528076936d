"""Who may do what to an assessment: the role rules' one home, used by services and pages.

- Request: whoever may work on the case (`cases.services.can_work_on_case`): its lead
  practitioner, or the front door, a team manager or an HSB coordinator of its area.
- Complete (start, sections, contributions, submit): the assessor, that is the practitioner
  it was requested for, or else the case's lead practitioner.
- Authorise or return: a team manager whose role's rule shows them the case (their team's
  cases, or an overdue one escalated to them) and who is not the assessor; no one
  authorises their own.

Each check is a narrowing of `cases_visible_to`: the assessment's case must be visible too.

Areas are walls: a practitioner or agency named by id (an assessor, a contribution's agency
and practitioner) is looked up among those of the case's area (`person_of_case_area`,
`agency_of_case_area`); one of another area is answered like one that does not exist.
Read access from a grant (a consultant, break glass) never authorises anything: the
reviewer's check asks `cases_by_role`, which leaves grants out.
"""

from typing import Any, TypeGuard

from agencies.actors import Actor, active_user
from agencies.models import Agency, User
from agencies.roles import CAN_REVIEW_ASSESSMENT
from cases.models import Case
from cases.selectors import agency_of_area, cases_visible_to, is_in_role_scope, person_of_area
from cases.services import can_work_on_case

from .models import Assessment, AssessmentStatus


def can_see_case(user: Actor, case_id: int) -> TypeGuard[User]:
    return active_user(user) and cases_visible_to(user).filter(pk=case_id).exists()


def can_request_assessment(user: Actor, case: Case) -> bool:
    return case.closed_at is None and can_work_on_case(user, case)


def is_assessor(user: Actor, assessment: Assessment) -> TypeGuard[User]:
    return active_user(user) and assessment.assessor_id == user.pk


def is_reviewer(user: Actor, assessment: Assessment) -> TypeGuard[User]:
    """A team manager, and neither the assessor nor whoever submitted it."""
    return (
        active_user(user)
        and user.role in CAN_REVIEW_ASSESSMENT
        and not is_assessor(user, assessment)
        and assessment.submitted_by_id != user.pk
        and is_in_role_scope(user, assessment.case_id)
    )


def actions_for(user: Actor, assessment: Assessment) -> list[str]:
    """What the user may do to the assessment now (the caller has checked it is visible)."""
    if assessment.case.closed_at is not None:
        return []
    status = assessment.status
    actions = []
    if is_assessor(user, assessment):
        if status == AssessmentStatus.REQUESTED:
            actions.append("start")
        if status in (AssessmentStatus.REQUESTED, AssessmentStatus.STARTED):
            actions.append("contributions")
        if status == AssessmentStatus.STARTED:
            actions += ["sections", "submit"]
    if status == AssessmentStatus.SUBMITTED and is_reviewer(user, assessment):
        actions += ["authorise", "return"]
    return actions


def person_of_case_area(case: Case, person: Any) -> User | None:
    """The user named (object or id) if they work for an agency of the case's area, else None:
    a user of another area and one who does not exist look the same to the caller."""
    return person_of_area(case.area_id, person)


def agency_of_case_area(case: Case, agency: Any) -> Agency | None:
    """The agency named (object or id) if it is of the case's area, else None."""
    return agency_of_area(case.area_id, agency)
