"""Areas are walls for the people put on a case (issue 12, items 3 and 10).

A lead practitioner, a member of the team around the child and a grantee are looked up in
the case's area by the services: another area's user (or agency) named by id answers exactly
like an id that does not exist. Grants open the case through guardian's per-object row,
which carries the grant's expiry, so `has_perm` and `cases_visible_to` both stop saying yes
when the grant expires or is revoked.
"""

import datetime

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory
from assessments.tests.factories import early_help_case
from audit.models import AuditEvent
from cases.access.services import grant_case_access, request_break_glass_access, revoke_case_access
from cases.exceptions import (
    GranteeNotFound,
    InvalidBreakGlass,
    LeadPractitionerNotFound,
    TeamMemberNotFound,
)
from cases.models import (
    AccessGrant,
    AccessGrantKind,
    Case,
    CaseUserObjectPermission,
    LeadDesignation,
    TeamMember,
)
from cases.selectors import cases_visible_to
from cases.services import add_team_member, designate_lead_practitioner
from cases.tests.factories import open_case

pytestmark = pytest.mark.django_db

MISSING_ID = 987654321


@pytest.fixture
def case(default_version, front_door, lead_practitioner, manager):
    return early_help_case(
        version=default_version, front_door=front_door, lead=lead_practitioner, manager=manager
    )


@pytest.fixture
def elsewhere():
    """An agency of another partnership area."""
    return AgencyFactory(area=LocalAreaFactory(name="Southmere"))


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _url(name, case):
    return reverse(f"api:cases:{name}", args=[case.pk])


def _fresh(user):
    # Guardian's checker caches nothing across calls, but the user row may have changed.
    return type(user).objects.get(pk=user.pk)


def _sees(user, case):
    return cases_visible_to(user).filter(pk=case.pk).exists()


def _let_time_pass(grant, hours):
    """What the records look like `hours` later: the grant and its guardian row both moved
    back in time (a real clock, no mocks)."""
    delta = datetime.timedelta(hours=hours)
    AccessGrant.objects.filter(pk=grant.pk).update(
        granted_at=grant.granted_at - delta, expires_at=grant.expires_at - delta
    )
    CaseUserObjectPermission.objects.filter(user=grant.user, content_object=grant.case).update(
        expires_at=F("expires_at") - delta
    )


# --- lead practitioner ------------------------------------------------------------------------


def test_the_lead_cannot_be_handed_to_another_areas_practitioner(
    case, manager, make_user, elsewhere
):
    outsider = make_user(Role.LEAD_PRACTITIONER, agency=elsewhere)
    designations = LeadDesignation.objects.count()

    with pytest.raises(LeadPractitionerNotFound) as refused:
        designate_lead_practitioner(
            case=case, practitioner=outsider, actor=manager, reason="Invented handover."
        )

    assert refused.value.status_code == 404
    assert LeadDesignation.objects.count() == designations
    assert Case.objects.get(pk=case.pk).lead_practitioner_id != outsider.pk
    assert not _sees(outsider, case)


def test_through_the_api_another_areas_lead_answers_like_a_missing_user(
    case, manager, make_user, elsewhere
):
    outsider = make_user(Role.LEAD_PRACTITIONER, agency=elsewhere)
    client = _client(manager)
    events = AuditEvent.objects.filter(action="case.lead_handed_over").count()

    other_area = client.post(
        _url("case-lead-practitioner", case),
        {"practitioner": outsider.pk, "reason": "Invented handover."},
        format="json",
    )
    missing = client.post(
        _url("case-lead-practitioner", case),
        {"practitioner": MISSING_ID, "reason": "Invented handover."},
        format="json",
    )

    assert other_area.status_code == missing.status_code == 404
    assert other_area.json() == missing.json()
    assert other_area.json()["fields"] == {
        "practitioner": ["No such practitioner in this case's area."]
    }
    assert AuditEvent.objects.filter(action="case.lead_handed_over").count() == events
    assert _client(outsider).get(_url("case-detail", case)).status_code == 404


def test_through_the_api_the_lead_goes_to_a_practitioner_of_the_area(case, manager, make_user):
    colleague = make_user(Role.LEAD_PRACTITIONER)

    response = _client(manager).post(
        _url("case-lead-practitioner", case),
        {"practitioner": colleague.pk, "reason": "Invented handover."},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert Case.objects.get(pk=case.pk).lead_practitioner_id == colleague.pk


def test_an_inactive_practitioner_of_the_area_is_a_400(case, manager, make_user):
    retired = make_user(Role.LEAD_PRACTITIONER, is_active=False)

    response = _client(manager).post(
        _url("case-lead-practitioner", case),
        {"practitioner": retired.pk, "reason": "Invented handover."},
        format="json",
    )

    assert response.status_code == 400
    assert "practitioner" in response.json()["fields"]


# --- team around the child --------------------------------------------------------------------


def test_another_areas_agency_or_practitioner_joins_no_team(case, front_door, make_user, elsewhere):
    own_agency = front_door.agency
    outsider = make_user(Role.TEAM_MEMBER, agency=elsewhere)

    with pytest.raises(TeamMemberNotFound) as by_agency:
        add_team_member(case=case, agency=elsewhere, role_on_case="School", actor=front_door)
    with pytest.raises(TeamMemberNotFound) as by_practitioner:
        add_team_member(
            case=case,
            agency=own_agency,
            practitioner=outsider,
            role_on_case="School",
            actor=front_door,
        )

    assert set(by_agency.value.fields) == {"agency"}
    assert set(by_practitioner.value.fields) == {"practitioner"}
    assert not TeamMember.objects.filter(case=case, agency=elsewhere).exists()
    assert not TeamMember.objects.filter(case=case, practitioner=outsider).exists()


def test_through_the_api_another_areas_team_member_answers_like_a_missing_id(
    case, front_door, make_user, elsewhere
):
    outsider = make_user(Role.TEAM_MEMBER, agency=elsewhere)
    client = _client(front_door)
    members = TeamMember.objects.count()

    def add(**payload):
        return client.post(
            _url("case-team", case), {"role_on_case": "School", **payload}, format="json"
        )

    agency_elsewhere, agency_missing = add(agency=elsewhere.pk), add(agency=MISSING_ID)
    person_elsewhere = add(agency=front_door.agency_id, practitioner=outsider.pk)
    person_missing = add(agency=front_door.agency_id, practitioner=MISSING_ID)

    assert agency_elsewhere.status_code == agency_missing.status_code == 404
    assert agency_elsewhere.json() == agency_missing.json()
    assert person_elsewhere.status_code == person_missing.status_code == 404
    assert person_elsewhere.json() == person_missing.json()
    assert TeamMember.objects.count() == members
    own = add(agency=front_door.agency_id, practitioner=front_door.pk)
    assert own.status_code == 201, own.json()


# --- access grants ----------------------------------------------------------------------------


def test_no_grant_to_a_practitioner_of_another_area(case, lead_practitioner, make_user, elsewhere):
    outsider = make_user(Role.TEAM_MEMBER, agency=elsewhere)

    with pytest.raises(GranteeNotFound) as refused:
        grant_case_access(
            case=case,
            user=outsider,
            kind=AccessGrantKind.CONSULTANT,
            reason="Invented consultation.",
            actor=lead_practitioner,
        )

    assert refused.value.status_code == 404
    assert not AccessGrant.objects.exists()
    assert not CaseUserObjectPermission.objects.exists()
    assert not _fresh(outsider).has_perm("cases.view_case", case)


def test_through_the_api_another_areas_grantee_answers_like_a_missing_user(
    case, lead_practitioner, make_user, elsewhere
):
    outsider = make_user(Role.TEAM_MEMBER, agency=elsewhere)
    client = _client(lead_practitioner)
    payload = {"kind": "consultant", "reason": "Invented consultation."}

    other_area = client.post(
        _url("case-access-grants", case), {**payload, "user": outsider.pk}, format="json"
    )
    missing = client.post(
        _url("case-access-grants", case), {**payload, "user": MISSING_ID}, format="json"
    )

    assert other_area.status_code == missing.status_code == 404
    assert other_area.json() == missing.json()
    assert not AccessGrant.objects.exists()


def test_break_glass_stays_within_the_workers_own_area(case, make_user, elsewhere):
    outsider = make_user(Role.TEAM_MANAGER, agency=elsewhere)

    with pytest.raises(InvalidBreakGlass) as refused:
        request_break_glass_access(
            case_id=case.pk, actor=outsider, reason="Invented: the child is missing tonight."
        )

    assert "case" in refused.value.fields
    assert not AccessGrant.objects.exists()
    assert not _sees(outsider, case)


# --- guardian: the per-object check, with expiry ----------------------------------------------


def _consultant_grant(case, actor, consultant, hours=None):
    expires_at = None if hours is None else timezone.now() + datetime.timedelta(hours=hours)
    return grant_case_access(
        case=case,
        user=consultant,
        kind=AccessGrantKind.CONSULTANT,
        reason="Invented consultation.",
        actor=actor,
        expires_at=expires_at,
    )


def test_a_grant_opens_the_case_until_it_expires(case, lead_practitioner, make_user):
    consultant = make_user(Role.TEAM_MEMBER)
    grant = _consultant_grant(case, lead_practitioner, consultant, hours=2)
    # Someone else's open-ended grant to the same case must not keep the expired one alive.
    colleague = make_user(Role.TEAM_MEMBER)
    _consultant_grant(case, lead_practitioner, colleague)
    client = _client(consultant)

    assert _fresh(consultant).has_perm("cases.view_case", case)
    assert _sees(consultant, case)
    assert client.get(_url("case-detail", case)).status_code == 200

    _let_time_pass(grant, hours=3)

    assert not _fresh(consultant).has_perm("cases.view_case", case)
    assert not _sees(consultant, case)
    assert client.get(_url("case-detail", case)).status_code == 404
    assert _fresh(colleague).has_perm("cases.view_case", case)


def test_a_revoked_grant_closes_the_case_at_once(case, lead_practitioner, make_user):
    consultant = make_user(Role.TEAM_MEMBER)
    grant = _consultant_grant(case, lead_practitioner, consultant)
    client = _client(consultant)
    assert client.get(_url("case-detail", case)).status_code == 200

    revoke_case_access(grant=grant, actor=lead_practitioner, reason="Consultation done.")

    assert not _fresh(consultant).has_perm("cases.view_case", case)
    assert not _sees(consultant, case)
    assert client.get(_url("case-detail", case)).status_code == 404
    assert AccessGrant.objects.get(pk=grant.pk).revoked_at is not None  # the record stays


def test_the_guardian_row_is_what_opens_the_case(case, lead_practitioner, make_user):
    consultant = make_user(Role.TEAM_MEMBER)
    _consultant_grant(case, lead_practitioner, consultant)

    CaseUserObjectPermission.objects.filter(user=consultant).delete()

    assert not _sees(consultant, case)
    assert not _fresh(consultant).has_perm("cases.view_case", case)


def test_the_guardian_row_follows_the_grant_in_force(case, lead_practitioner, manager, make_user):
    consultant = make_user(Role.TEAM_MEMBER)
    short = _consultant_grant(case, lead_practitioner, consultant, hours=2)
    row = CaseUserObjectPermission.objects.get(user=consultant, content_object=case)
    assert row.expires_at == short.expires_at

    # A break-glass access on top of a consultant's grant is refused: they already see it.
    with pytest.raises(InvalidBreakGlass, match="already have access"):
        request_break_glass_access(
            case_id=case.pk, actor=consultant, reason="Invented: the child is missing tonight."
        )

    revoke_case_access(grant=short, actor=manager, reason="Ended early.")
    assert not CaseUserObjectPermission.objects.filter(user=consultant).exists()

    longer = _consultant_grant(case, lead_practitioner, consultant, hours=8)
    row = CaseUserObjectPermission.objects.get(user=consultant, content_object=case)
    assert row.expires_at == longer.expires_at


def test_a_new_grant_after_one_expired_opens_the_case_again(case, lead_practitioner, make_user):
    consultant = make_user(Role.TEAM_MEMBER)
    first = _consultant_grant(case, lead_practitioner, consultant, hours=1)
    _let_time_pass(first, hours=2)
    assert not _sees(consultant, case)

    _consultant_grant(case, lead_practitioner, consultant)

    assert _sees(consultant, case)
    assert _fresh(consultant).has_perm("cases.view_case", case)
    row = CaseUserObjectPermission.objects.get(user=consultant, content_object=case)
    assert row.expires_at is None


def test_a_case_seen_by_role_needs_no_guardian_row(default_version, front_door):
    case = open_case(version=default_version, actor=front_door)

    assert _sees(front_door, case)
    assert not CaseUserObjectPermission.objects.exists()


# --- the pages: the same walls ----------------------------------------------------------------


def test_the_lead_page_refuses_another_areas_practitioner(
    client, case, manager, make_user, elsewhere
):
    outsider = make_user(Role.LEAD_PRACTITIONER, agency=elsewhere)
    client.force_login(manager)

    response = client.post(
        reverse("cases:case_designate_lead", args=[case.pk]),
        {"practitioner": outsider.pk, "reason": "Invented handover."},
    )

    assert response.status_code == 400
    assert Case.objects.get(pk=case.pk).lead_practitioner_id != outsider.pk
    assert not LeadDesignation.objects.filter(practitioner=outsider).exists()


def test_the_grant_page_refuses_another_areas_practitioner(
    client, case, lead_practitioner, make_user, elsewhere
):
    outsider = make_user(Role.TEAM_MEMBER, agency=elsewhere)
    client.force_login(lead_practitioner)

    response = client.post(
        reverse("cases:case_access_grant_add", args=[case.pk]),
        {"grant-user": outsider.pk, "grant-kind": "consultant", "grant-reason": "Invented."},
    )

    assert response.status_code == 400
    assert not AccessGrant.objects.exists()
