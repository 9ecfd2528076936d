"""Grants, break-glass access and its review (`cases.access`)."""

import datetime

import pytest
from django.db.models import F
from django.utils import timezone

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory
from assessments.tests.factories import early_help_case
from audit.models import AuditEvent
from cases.access.services import (
    BREAK_GLASS_DURATION,
    grant_case_access,
    request_break_glass_access,
    review_break_glass,
    revoke_case_access,
)
from cases.exceptions import (
    BreakGlassAlreadyReviewed,
    InvalidAccessGrant,
    InvalidBreakGlass,
    InvalidBreakGlassReview,
    NotAllowedToBreakGlass,
    NotAllowedToGrantAccess,
    NotAllowedToReviewBreakGlass,
)
from cases.models import (
    AccessGrant,
    AccessGrantKind,
    BreakGlassOutcome,
    Case,
    CaseUserObjectPermission,
)
from cases.selectors import cases_visible_to
from cases.services import can_work_on_case, designate_lead_practitioner
from cases.tests.factories import open_case

pytestmark = pytest.mark.django_db

REASON = "Invented: the child is missing and the police need the safety plan tonight."


@pytest.fixture
def case(default_version, front_door, lead_practitioner, manager):
    return early_help_case(
        version=default_version, front_door=front_door, lead=lead_practitioner, manager=manager
    )


def _sees(user, case):
    return cases_visible_to(user).filter(pk=case.pk).exists()


# --- grants -----------------------------------------------------------------------------------


def test_the_lead_grants_a_consultant_read_access_mirrored_to_guardian(
    case, lead_practitioner, make_user
):
    consultant = make_user(Role.TEAM_MEMBER)

    grant = grant_case_access(
        case=case,
        user=consultant,
        kind=AccessGrantKind.CONSULTANT,
        reason="Consultation on the plan.",
        actor=lead_practitioner,
    )

    assert consultant.has_perm("cases.view_case", case)
    event = AuditEvent.objects.get(action="case.access_granted")
    assert event.object_id == str(case.pk) and event.changes["user"] == consultant.pk
    assert event.reason == "Consultation on the plan."
    assert grant.granted_by == lead_practitioner


def test_revoking_ends_the_access_and_guardians_permission(case, manager, make_user):
    consultant = make_user(Role.TEAM_MEMBER)
    grant = grant_case_access(
        case=case,
        user=consultant,
        kind=AccessGrantKind.INFORMATION_SHARING,
        reason="Needs the file to plan the joint visit.",
        actor=manager,
    )

    revoke_case_access(grant=grant, actor=manager, reason="Visit done.")

    assert not _sees(consultant, case)
    consultant = type(consultant).objects.get(pk=consultant.pk)  # guardian caches per object
    assert not consultant.has_perm("cases.view_case", Case.objects.get(pk=case.pk))
    assert AuditEvent.objects.filter(action="case.access_revoked").count() == 1
    with pytest.raises(InvalidAccessGrant):
        revoke_case_access(grant=grant, actor=manager)


@pytest.mark.parametrize("role", [Role.FRONT_DOOR, Role.HSB_COORDINATOR, Role.TEAM_MEMBER])
def test_only_the_lead_or_the_teams_manager_grants_access(case, make_user, front_door, role):
    actor = front_door if role == Role.FRONT_DOOR else make_user(role)

    with pytest.raises(NotAllowedToGrantAccess):
        grant_case_access(
            case=case,
            user=make_user(Role.TEAM_MEMBER),
            kind=AccessGrantKind.CONSULTANT,
            reason="Invented.",
            actor=actor,
        )


def test_a_grant_needs_a_reason_a_practitioner_and_a_future_expiry(
    case, lead_practitioner, make_user
):
    with pytest.raises(InvalidAccessGrant) as refused:
        grant_case_access(
            case=case,
            user=make_user(Role.ANALYST),
            kind=AccessGrantKind.BREAK_GLASS,
            reason="",
            expires_at=timezone.now() - datetime.timedelta(hours=1),
            actor=lead_practitioner,
        )

    assert set(refused.value.fields) == {"user", "kind", "reason", "expires_at"}
    assert not AccessGrant.objects.exists()


def test_no_grant_to_someone_who_already_sees_the_case(case, lead_practitioner, manager):
    with pytest.raises(InvalidAccessGrant) as refused:
        grant_case_access(
            case=case,
            user=manager,
            kind=AccessGrantKind.CONSULTANT,
            reason="Invented.",
            actor=lead_practitioner,
        )

    assert refused.value.fields["user"] == ["They can already see this case."]


# --- break glass ------------------------------------------------------------------------------


def test_break_glass_gives_four_hours_of_read_access_audited_and_queued_for_review(case, make_user):
    practitioner = make_user(Role.LEAD_PRACTITIONER)
    assert not _sees(practitioner, case)

    grant = request_break_glass_access(case_id=case.pk, actor=practitioner, reason=REASON)

    assert grant.kind == AccessGrantKind.BREAK_GLASS
    assert grant.expires_at - grant.granted_at == BREAK_GLASS_DURATION
    assert _sees(practitioner, case)
    assert grant.review.reviewed_at is None
    event = AuditEvent.objects.get(action="case.break_glass")
    assert (event.actor, event.object_id, event.reason) == (practitioner, str(case.pk), REASON)
    assert event.actor_role == Role.LEAD_PRACTITIONER


def test_break_glass_access_ends_after_four_hours(case, make_user):
    practitioner = make_user(Role.TEAM_MEMBER)
    grant = request_break_glass_access(case_id=case.pk, actor=practitioner, reason=REASON)

    AccessGrant.objects.filter(pk=grant.pk).update(
        granted_at=grant.granted_at - BREAK_GLASS_DURATION,
        expires_at=grant.expires_at - BREAK_GLASS_DURATION,
    )
    # The guardian row carries the expiry that opens the case: four hours pass for it too.
    CaseUserObjectPermission.objects.filter(user=practitioner).update(
        expires_at=F("expires_at") - BREAK_GLASS_DURATION
    )

    assert not _sees(practitioner, case)


def test_break_glass_needs_a_reason(case, make_user):
    with pytest.raises(InvalidBreakGlass) as refused:
        request_break_glass_access(
            case_id=case.pk, actor=make_user(Role.LEAD_PRACTITIONER), reason="   "
        )

    assert "reason" in refused.value.fields
    assert not AccessGrant.objects.exists()


def test_an_unknown_case_and_another_areas_case_are_refused_alike(case, make_user):
    elsewhere = AgencyFactory(area=LocalAreaFactory(name="Southmere"))
    outsider = make_user(Role.LEAD_PRACTITIONER, agency=elsewhere)

    with pytest.raises(InvalidBreakGlass) as other_area:
        request_break_glass_access(case_id=case.pk, actor=outsider, reason=REASON)
    with pytest.raises(InvalidBreakGlass) as unknown:
        request_break_glass_access(case_id=999999, actor=outsider, reason=REASON)

    assert other_area.value.fields == unknown.value.fields


def test_no_break_glass_into_a_case_you_already_see_or_already_opened(
    case, lead_practitioner, make_user
):
    with pytest.raises(InvalidBreakGlass, match="already see"):
        request_break_glass_access(case_id=case.pk, actor=lead_practitioner, reason=REASON)
    practitioner = make_user(Role.LEAD_PRACTITIONER)
    request_break_glass_access(case_id=case.pk, actor=practitioner, reason=REASON)

    with pytest.raises(InvalidBreakGlass, match="already have access"):
        request_break_glass_access(case_id=case.pk, actor=practitioner, reason=REASON)


@pytest.mark.parametrize("role", [Role.DSL, Role.ANALYST, Role.SYSTEM_ADMINISTRATOR, Role.AUDITOR])
def test_roles_without_case_files_cannot_break_glass(case, make_user, role):
    with pytest.raises(NotAllowedToBreakGlass):
        request_break_glass_access(case_id=case.pk, actor=make_user(role), reason=REASON)


def test_break_glass_never_lets_anyone_change_the_case(case, make_user):
    manager_elsewhere = make_user(Role.TEAM_MANAGER)

    request_break_glass_access(case_id=case.pk, actor=manager_elsewhere, reason=REASON)

    assert _sees(manager_elsewhere, case)
    assert not can_work_on_case(manager_elsewhere, case)


# --- review -----------------------------------------------------------------------------------


@pytest.fixture
def emergency(default_version, front_door, make_user, manager):
    """A practitioner of the manager's agency opened another team's case."""
    other_teams = open_case(version=default_version, actor=front_door)
    designate_lead_practitioner(
        case=other_teams, practitioner=make_user(Role.LEAD_PRACTITIONER), actor=front_door
    )
    practitioner = make_user(Role.LEAD_PRACTITIONER, agency=manager.agency)
    return request_break_glass_access(case_id=other_teams.pk, actor=practitioner, reason=REASON)


def test_the_practitioners_manager_records_a_justified_review(emergency, manager):
    review = review_break_glass(
        review=emergency.review, actor=manager, outcome=BreakGlassOutcome.JUSTIFIED
    )

    assert review.reviewed_by == manager and review.outcome == "justified"
    assert AccessGrant.objects.get(pk=emergency.pk).is_active()
    event = AuditEvent.objects.get(action="case.break_glass_reviewed")
    assert event.changes["outcome"] == "justified"
    with pytest.raises(BreakGlassAlreadyReviewed):
        review_break_glass(
            review=emergency.review, actor=manager, outcome=BreakGlassOutcome.JUSTIFIED
        )


def test_not_justified_needs_notes_and_ends_the_remaining_access(emergency, manager):
    with pytest.raises(InvalidBreakGlassReview):
        review_break_glass(
            review=emergency.review, actor=manager, outcome=BreakGlassOutcome.NOT_JUSTIFIED
        )

    review_break_glass(
        review=emergency.review,
        actor=manager,
        outcome=BreakGlassOutcome.NOT_JUSTIFIED,
        notes="Not an emergency: to be discussed in supervision.",
    )

    grant = AccessGrant.objects.get(pk=emergency.pk)
    assert grant.revoked_at is not None and grant.revoked_by == manager
    assert not _sees(grant.user, grant.case)


def test_only_a_manager_of_the_practitioners_agency_reviews(emergency, make_user):
    for stranger in (make_user(Role.TEAM_MANAGER), make_user(Role.HSB_COORDINATOR)):
        with pytest.raises(NotAllowedToReviewBreakGlass):
            review_break_glass(
                review=emergency.review, actor=stranger, outcome=BreakGlassOutcome.JUSTIFIED
            )
