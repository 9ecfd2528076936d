"""Who sees which case file, role by role (`cases.selectors`), and grants on top."""

import datetime

import pytest
from django.utils import timezone

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory
from assessments.tests.factories import early_help_case, panel_case
from cases.access.services import grant_case_access
from cases.models import AccessGrant, AccessGrantKind, CaseUserObjectPermission
from cases.process import engine
from cases.selectors import cases_by_role, cases_visible_to, my_cases, stage_tasks_for
from cases.services import (
    add_team_member,
    can_work_on_case,
    designate_lead_practitioner,
    remove_team_member,
)
from cases.tests.factories import open_case

pytestmark = pytest.mark.django_db


def _sees(user, case):
    return cases_visible_to(user).filter(pk=case.pk).exists()


@pytest.fixture
def led_case(default_version, front_door, lead_practitioner, manager):
    """At early help, led by `lead_practitioner` (the `manager`'s team)."""
    return early_help_case(
        version=default_version, front_door=front_door, lead=lead_practitioner, manager=manager
    )


@pytest.fixture
def elsewhere():
    return AgencyFactory(area=LocalAreaFactory(name="Southmere"))


# --- the front door --------------------------------------------------------------------------


def test_the_front_door_sees_every_case_of_their_area_and_none_of_another(
    led_case, front_door, make_user, elsewhere
):
    assert _sees(front_door, led_case)
    assert not _sees(make_user(Role.FRONT_DOOR, agency=elsewhere), led_case)


# --- lead practitioners and team members ----------------------------------------------------


def test_a_lead_practitioner_sees_the_cases_they_lead_and_those_they_are_on(
    led_case, default_version, front_door, lead_practitioner, make_user
):
    colleague = make_user(Role.LEAD_PRACTITIONER)
    assert not _sees(colleague, led_case)

    add_team_member(
        case=led_case,
        agency=colleague.agency,
        practitioner=colleague,
        role_on_case="Second worker",
        actor=lead_practitioner,
    )

    assert _sees(lead_practitioner, led_case)
    assert _sees(colleague, led_case)


def test_a_team_member_sees_the_case_until_they_leave_the_team(
    led_case, lead_practitioner, make_user
):
    member = make_user(Role.TEAM_MEMBER)
    row = add_team_member(
        case=led_case,
        agency=member.agency,
        practitioner=member,
        role_on_case="CAMHS clinician",
        actor=lead_practitioner,
    )
    assert _sees(member, led_case)
    assert list(my_cases(member)) == [led_case]

    remove_team_member(member=row, actor=lead_practitioner, reason="Discharged from CAMHS.")

    assert not _sees(member, led_case)
    assert not can_work_on_case(member, led_case)


# --- team managers ------------------------------------------------------------------------


def test_a_manager_sees_cases_whose_lead_belongs_to_their_agency(led_case, manager, make_user):
    other_manager = make_user(Role.TEAM_MANAGER)

    assert _sees(manager, led_case)
    assert not _sees(other_manager, led_case)
    assert can_work_on_case(manager, led_case)
    assert not can_work_on_case(other_manager, led_case)


def test_a_manager_sees_cases_with_a_team_member_from_their_agency(
    led_case, lead_practitioner, make_user
):
    other_manager = make_user(Role.TEAM_MANAGER)
    add_team_member(
        case=led_case,
        agency=other_manager.agency,
        role_on_case="Youth service",
        actor=lead_practitioner,
    )

    assert _sees(other_manager, led_case)


def test_an_overdue_stage_escalates_to_every_manager_of_the_area(led_case, make_user, elsewhere):
    other_manager = make_user(Role.TEAM_MANAGER)
    assert not _sees(other_manager, led_case)

    type(led_case).objects.filter(pk=led_case.pk).update(
        stage_overdue_since=timezone.now() - datetime.timedelta(days=1)
    )

    assert _sees(other_manager, led_case)
    assert led_case in stage_tasks_for(other_manager)
    assert not _sees(make_user(Role.TEAM_MANAGER, agency=elsewhere), led_case)


def test_an_unallocated_case_is_in_every_area_managers_queue_until_allocated(
    default_version, front_door, make_user
):
    case = open_case(version=default_version, actor=front_door)
    manager = make_user(Role.TEAM_MANAGER)
    lead_elsewhere = make_user(Role.LEAD_PRACTITIONER)
    assert _sees(manager, case)

    designate_lead_practitioner(case=case, practitioner=lead_elsewhere, actor=manager)

    assert not _sees(manager, case)


# --- HSB coordinators -----------------------------------------------------------------------


def test_a_coordinator_sees_cases_at_or_through_the_specialist_tier(
    led_case, default_version, front_door, lead_practitioner, manager, coordinator
):
    at_panel = panel_case(
        version=default_version, front_door=front_door, lead=lead_practitioner, manager=manager
    )
    assert _sees(coordinator, at_panel)
    assert not _sees(coordinator, led_case)

    stepped_down = engine.take_transition(
        case=at_panel,
        transition="panel_steps_down_to_early_help",
        actor=coordinator,
        reason="Early help can meet the need.",
    )

    # Back at early help, but it went through the panel: the panel keeps its history.
    assert stepped_down.current_stage.key == "early_help"
    assert _sees(coordinator, stepped_down)


# --- roles without case files ---------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.DSL, Role.ANALYST, Role.SYSTEM_ADMINISTRATOR, Role.AUDITOR])
def test_referrers_analysts_administrators_and_auditors_see_no_case_file(led_case, make_user, role):
    user = make_user(role)

    assert not cases_visible_to(user).exists()
    assert not cases_by_role(user).exists()


# --- grants -----------------------------------------------------------------------------------


def _grant(case, user, actor, **kwargs):
    return grant_case_access(
        case=case,
        user=user,
        kind=AccessGrantKind.CONSULTANT,
        reason="Invented: consultation on the safety plan.",
        actor=actor,
        **kwargs,
    )


def test_a_grant_lets_its_holder_read_the_case_but_not_work_on_it(
    led_case, lead_practitioner, make_user
):
    consultant = make_user(Role.TEAM_MEMBER)

    _grant(led_case, consultant, lead_practitioner)

    assert _sees(consultant, led_case)
    assert not cases_by_role(consultant).filter(pk=led_case.pk).exists()
    assert not can_work_on_case(consultant, led_case)
    assert led_case not in my_cases(consultant)


def test_an_expired_grant_stops_working_without_any_job(led_case, lead_practitioner, make_user):
    consultant = make_user(Role.TEAM_MEMBER)
    grant = _grant(
        led_case, consultant, lead_practitioner, expires_at=timezone.now() + datetime.timedelta(1)
    )
    assert _sees(consultant, led_case)

    AccessGrant.objects.filter(pk=grant.pk).update(
        granted_at=timezone.now() - datetime.timedelta(days=3),
        expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    # What opens the case is guardian's row, which carries the grant's expiry.
    CaseUserObjectPermission.objects.filter(user=consultant).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    assert not _sees(consultant, led_case)


def test_a_grant_to_someone_whose_role_changed_to_analyst_shows_nothing(
    led_case, lead_practitioner, make_user
):
    consultant = make_user(Role.TEAM_MEMBER)
    _grant(led_case, consultant, lead_practitioner)

    consultant.role = Role.ANALYST
    consultant.save(update_fields=["role"])

    assert not _sees(consultant, led_case)
