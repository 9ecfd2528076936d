"""The case record beyond the pathway: team, views, sharing decisions and notes."""

import pytest

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory
from audit.models import AuditEvent
from cases.exceptions import (
    InvalidCaseNote,
    InvalidRecordedView,
    InvalidSharingDecision,
    InvalidTeamMember,
    NotAllowedToWorkOnCase,
)
from cases.models import CaseNote, InformationSharingDecision, RecordedView, TeamMember
from cases.process import engine
from cases.services import (
    add_case_note,
    add_team_member,
    can_work_on_case,
    designate_lead_practitioner,
    record_information_sharing_decision,
    record_view,
    remove_team_member,
)
from cases.tests.factories import open_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(default_version, front_door):
    return open_case(version=default_version, actor=front_door)


@pytest.fixture
def agency(area):
    return AgencyFactory(area=area, name="Northwold Academy")


def _close(case, actor):
    engine.take_transition(
        case=case,
        transition="no_further_action",
        actor=actor,
        reason="Advice given to the school.",
        data={"closure_reason": "no_further_action"},
    )
    case.refresh_from_db()
    return case


def _counts():
    return (
        TeamMember.objects.count(),
        RecordedView.objects.count(),
        InformationSharingDecision.objects.count(),
        CaseNote.objects.count(),
        AuditEvent.objects.count(),
    )


def _sharing(case, actor, agency, **overrides):
    values = {
        "case": case,
        "decision": "share",
        "information": "Summary of the incident at school and the safety plan.",
        "recipient_agency": agency,
        "purpose": "So the school can keep both children safe during lessons.",
        "lawful_basis": "public_task_safeguarding",
        "consent": "given",
        "actor": actor,
    }
    values.update(overrides)
    return record_information_sharing_decision(**values)


# --- who may work on a case ------------------------------------------------------------------


def test_the_lead_and_the_roles_whose_rule_shows_the_case_may_work_on_it(
    case, front_door, manager, coordinator, lead_practitioner
):
    designate_lead_practitioner(case=case, practitioner=lead_practitioner, actor=manager)
    case.refresh_from_db()

    assert can_work_on_case(lead_practitioner, case)
    assert can_work_on_case(front_door, case)
    assert can_work_on_case(manager, case)  # the lead is in the manager's team
    # An HSB coordinator's cases are those at (or through) the specialist tier.
    assert not can_work_on_case(coordinator, case)


@pytest.mark.parametrize(
    "role", [Role.LEAD_PRACTITIONER, Role.TEAM_MEMBER, Role.DSL, Role.ANALYST, Role.AUDITOR]
)
def test_people_who_do_not_lead_the_case_and_have_no_area_role_may_not(case, make_user, role):
    assert not can_work_on_case(make_user(role), case)


def test_the_front_door_of_another_area_may_not_work_on_the_case(case, make_user):
    elsewhere = AgencyFactory(area=LocalAreaFactory(name="Southmere"))

    assert not can_work_on_case(make_user(Role.FRONT_DOOR, agency=elsewhere), case)


# --- team around the child -------------------------------------------------------------------


def test_adding_a_practitioner_to_the_team_is_audited(case, front_door, agency, make_user):
    teacher = make_user(Role.DSL, agency=agency)

    member = add_team_member(
        case=case, agency=agency, practitioner=teacher, role_on_case="School DSL", actor=front_door
    )

    assert member.left_at is None
    assert member.added_by == front_door
    event = AuditEvent.objects.get(action="case.team_member_added")
    assert event.object_id == str(member.pk)
    assert event.changes["case"] == case.pk


def test_an_agency_can_join_without_a_named_practitioner(case, front_door, agency):
    member = add_team_member(case=case, agency=agency, role_on_case="School", actor=front_door)

    assert member.practitioner is None


def test_someone_who_may_not_work_on_the_case_adds_nobody(case, agency, make_user):
    before = _counts()

    with pytest.raises(NotAllowedToWorkOnCase):
        add_team_member(
            case=case,
            agency=agency,
            role_on_case="School DSL",
            actor=make_user(Role.LEAD_PRACTITIONER),
        )

    assert _counts() == before


def test_a_practitioner_must_work_for_the_agency_they_join_with(
    case, front_door, agency, make_user
):
    nurse = make_user(Role.TEAM_MEMBER)  # works for another agency
    before = _counts()

    with pytest.raises(InvalidTeamMember) as refused:
        add_team_member(
            case=case, agency=agency, practitioner=nurse, role_on_case="Nurse", actor=front_door
        )

    assert "practitioner" in refused.value.fields
    assert _counts() == before


def test_an_agency_outside_the_cases_area_cannot_join(case, front_door):
    elsewhere = AgencyFactory(area=LocalAreaFactory(name="Southmere"))

    with pytest.raises(InvalidTeamMember) as refused:
        add_team_member(case=case, agency=elsewhere, role_on_case="School", actor=front_door)

    assert refused.value.fields["agency"] == ["No such agency in this case's area."]
    assert refused.value.status_code == 404  # as for an agency that does not exist


def test_a_role_on_the_case_is_required(case, front_door, agency):
    with pytest.raises(InvalidTeamMember) as refused:
        add_team_member(case=case, agency=agency, role_on_case="  ", actor=front_door)

    assert "role_on_case" in refused.value.fields


def test_a_practitioner_already_on_the_team_is_not_added_twice(case, front_door, agency, make_user):
    teacher = make_user(Role.DSL, agency=agency)
    add_team_member(
        case=case, agency=agency, practitioner=teacher, role_on_case="DSL", actor=front_door
    )

    with pytest.raises(InvalidTeamMember) as refused:
        add_team_member(
            case=case, agency=agency, practitioner=teacher, role_on_case="Tutor", actor=front_door
        )

    assert refused.value.fields["practitioner"] == ["Already on the team around the child."]


def test_nobody_joins_the_team_of_a_closed_case(case, front_door, agency):
    _close(case, front_door)

    with pytest.raises(InvalidTeamMember):
        add_team_member(case=case, agency=agency, role_on_case="School", actor=front_door)

    assert not TeamMember.objects.exists()


def test_removing_a_member_sets_when_they_left_and_audits_why(case, front_door, manager, agency):
    member = add_team_member(case=case, agency=agency, role_on_case="School", actor=front_door)

    removed = remove_team_member(member=member, actor=manager, reason="Child moved school.")

    assert removed.left_at is not None
    stored = TeamMember.objects.get(pk=member.pk)
    assert (stored.removed_by, stored.left_reason) == (manager, "Child moved school.")
    event = AuditEvent.objects.get(action="case.team_member_removed")
    assert (event.object_id, event.reason, event.actor) == (
        str(member.pk),
        "Child moved school.",
        manager,
    )


def test_removing_a_member_needs_a_reason_and_writes_nothing_without_one(case, front_door, agency):
    member = add_team_member(case=case, agency=agency, role_on_case="School", actor=front_door)
    before = _counts()

    with pytest.raises(InvalidTeamMember) as refused:
        remove_team_member(member=member, actor=front_door, reason=" ")

    assert refused.value.fields == {"reason": ["A reason is required."]}
    assert _counts() == before
    member.refresh_from_db()
    assert member.left_at is None


def test_a_member_who_left_cannot_leave_again(case, front_door, agency):
    member = add_team_member(case=case, agency=agency, role_on_case="School", actor=front_door)
    remove_team_member(member=member, actor=front_door, reason="Moved school.")

    with pytest.raises(InvalidTeamMember, match="Already left"):
        remove_team_member(member=member, actor=front_door, reason="Again.")


def test_someone_who_may_not_work_on_the_case_removes_nobody(case, front_door, agency, make_user):
    member = add_team_member(case=case, agency=agency, role_on_case="School", actor=front_door)

    with pytest.raises(NotAllowedToWorkOnCase):
        remove_team_member(member=member, actor=make_user(Role.DSL), reason="No longer needed.")

    member.refresh_from_db()
    assert member.left_at is None


# --- views of the child and family -----------------------------------------------------------


def test_the_childs_view_is_recorded_with_who_recorded_it(case, front_door):
    view = record_view(
        case=case, holder="child", view="I want to stay at my school.", actor=front_door
    )

    assert (view.recorded_by, view.view) == (front_door, "I want to stay at my school.")
    assert AuditEvent.objects.filter(action="case.view_recorded", object_id=str(view.pk)).exists()


def test_views_can_be_recorded_on_a_closed_case(case, front_door):
    _close(case, front_door)

    view = record_view(
        case=case,
        holder="family",
        holder_description="Grandmother",
        view="We were listened to.",
        actor=front_door,
    )

    assert view.pk is not None


def test_a_view_needs_a_holder_and_words(case, front_door):
    before = _counts()

    with pytest.raises(InvalidRecordedView) as refused:
        record_view(case=case, holder="neighbour", view="", actor=front_door)

    assert set(refused.value.fields) == {"holder", "view"}
    assert _counts() == before


def test_someone_who_may_not_work_on_the_case_records_no_view(case, make_user):
    with pytest.raises(NotAllowedToWorkOnCase):
        record_view(case=case, holder="child", view="Fine.", actor=make_user(Role.ANALYST))

    assert not RecordedView.objects.exists()


# --- information-sharing decisions -----------------------------------------------------------


def test_a_decision_to_share_is_recorded_with_who_decided(case, front_door, agency):
    decision = _sharing(case, front_door, agency)

    assert (decision.decision, decision.decided_by) == ("share", front_door)
    event = AuditEvent.objects.get(action="case.information_sharing_decided")
    assert event.changes["decision"] == "share"


def test_a_decision_not_to_share_is_recorded_too(case, front_door, agency):
    decision = _sharing(
        case,
        front_door,
        agency,
        decision="not_share",
        purpose="The youth club has no safeguarding role; sharing would not be proportionate.",
    )

    assert InformationSharingDecision.objects.get(pk=decision.pk).decision == "not_share"


def test_consent_not_sought_needs_the_reason_why(case, front_door, agency):
    before = _counts()

    with pytest.raises(InvalidSharingDecision) as refused:
        _sharing(case, front_door, agency, consent="not_sought")

    assert refused.value.fields == {"consent_reason": ["Say why consent was not sought."]}
    assert _counts() == before

    decision = _sharing(
        case,
        front_door,
        agency,
        consent="not_sought",
        consent_reason="Seeking consent would place the child harmed at risk.",
    )
    assert decision.consent_reason.startswith("Seeking consent")


def test_an_override_needs_why_and_who_overrode_it(case, front_door, manager, agency):
    with pytest.raises(InvalidSharingDecision) as refused:
        _sharing(case, front_door, agency, consent="overridden")

    assert set(refused.value.fields) == {"consent_reason", "overridden_by"}


def test_the_recorder_is_never_assumed_to_be_who_overrode_consent(case, front_door, agency):
    with pytest.raises(InvalidSharingDecision) as refused:
        _sharing(
            case,
            front_door,
            agency,
            consent="overridden",
            consent_reason="Risk of significant harm to a younger sibling.",
        )

    assert refused.value.fields == {"overridden_by": ["Name who overrode the refusal of consent."]}
    assert not InformationSharingDecision.objects.exists()


def test_a_named_override_is_recorded(case, front_door, manager, agency):
    decision = _sharing(
        case,
        front_door,
        agency,
        consent="overridden",
        consent_reason="Risk of significant harm to a younger sibling.",
        overridden_by=manager,
    )

    assert decision.overridden_by == manager
    assert decision.decided_by == front_door


def test_who_overrode_is_only_said_when_consent_was_overridden(case, front_door, manager, agency):
    with pytest.raises(InvalidSharingDecision) as refused:
        _sharing(case, front_door, agency, overridden_by=manager)

    assert "overridden_by" in refused.value.fields


def test_the_recipient_practitioner_must_work_for_the_recipient_agency(
    case, front_door, agency, make_user
):
    officer = make_user(Role.TEAM_MEMBER)  # another agency

    with pytest.raises(InvalidSharingDecision) as refused:
        _sharing(case, front_door, agency, recipient_practitioner=officer)

    assert "recipient_practitioner" in refused.value.fields


def test_consent_as_the_lawful_basis_needs_consent_given(case, front_door, agency):
    with pytest.raises(InvalidSharingDecision) as refused:
        _sharing(
            case,
            front_door,
            agency,
            lawful_basis="consent",
            consent="not_sought",
            consent_reason="Urgent.",
        )

    assert "lawful_basis" in refused.value.fields


def test_what_why_and_the_lawful_basis_are_required(case, front_door, agency):
    with pytest.raises(InvalidSharingDecision) as refused:
        _sharing(case, front_door, agency, information="", purpose="", lawful_basis="")

    assert {"information", "purpose", "lawful_basis"} <= set(refused.value.fields)


def test_someone_who_may_not_work_on_the_case_records_no_decision(case, agency, make_user):
    before = _counts()

    with pytest.raises(NotAllowedToWorkOnCase):
        _sharing(case, make_user(Role.DSL), agency)

    assert _counts() == before


# --- notes -----------------------------------------------------------------------------------


def test_a_note_is_added_and_audited(case, front_door):
    note = add_case_note(case=case, text="Spoke with the school DSL.", actor=front_door)

    assert (note.author, note.text) == (front_door, "Spoke with the school DSL.")
    assert AuditEvent.objects.filter(action="case.note_added", object_id=str(note.pk)).exists()


def test_an_empty_note_is_refused(case, front_door):
    with pytest.raises(InvalidCaseNote) as refused:
        add_case_note(case=case, text="   ", actor=front_door)

    assert refused.value.fields == {"text": ["Write the note."]}
    assert not CaseNote.objects.exists()


def test_someone_who_may_not_work_on_the_case_adds_no_note(case, make_user):
    before = _counts()

    with pytest.raises(NotAllowedToWorkOnCase):
        add_case_note(case=case, text="Hello", actor=make_user(Role.LEAD_PRACTITIONER))

    assert _counts() == before


def test_record_writes_leave_the_cases_lock_version_alone(case, front_door, agency):
    version = case.lock_version

    add_case_note(case=case, text="A note.", actor=front_door)
    add_team_member(case=case, agency=agency, role_on_case="School", actor=front_door)

    case.refresh_from_db()
    assert case.lock_version == version


def test_a_refusal_of_consent_can_stand_behind_a_decision_not_to_share(case, front_door, agency):
    decision = _sharing(
        case,
        front_door,
        agency,
        decision="not_share",
        consent="refused",
        lawful_basis="public_task_safeguarding",
        purpose="Parents refused; no risk of significant harm that would justify sharing.",
    )

    assert decision.consent == "refused"


def test_sharing_despite_a_refusal_must_be_recorded_as_an_override(case, front_door, agency):
    before = _counts()

    with pytest.raises(InvalidSharingDecision) as refused:
        _sharing(case, front_door, agency, decision="share", consent="refused")

    assert "override" in refused.value.fields["consent"][0]
    assert _counts() == before
