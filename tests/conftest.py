"""Fixtures for the cross-app suites: the invented world the permission matrix and the
analyst's identifier scan run against.

Two areas. In "Matrixshire", one user per role, and two children's cases:

- Ava Ownfield's case ("own"): referred by the DSL's school, at the multi-agency HSB panel,
  led by the lead practitioner (early help team, the team manager's team), with the team
  member on the team around the child, a decision to share with each practitioner, three
  assessments (requested, started, submitted), a consultant's grant, and a break-glass
  access by a youth-service practitioner;
- Ben Otherfield's case ("other"): referred by another school, at early help, led by a
  youth-service practitioner, with the same kinds of records, and a break-glass access by an
  early-help colleague (reviewed by the team manager).

"Elsewhere" holds only a pathway (published and draft), for the pathway endpoints.
Invented children only.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from agencies.models import AgencyType
from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory, UserFactory
from assessments.models import Assessment
from assessments.services import (
    request_assessment,
    save_assessment_sections,
    start_assessment,
    submit_assessment,
)
from assessments.tests.factories import OUTCOME, SECTIONS_DONE, catalogue
from cases.access.services import grant_case_access, request_break_glass_access
from cases.models import AccessGrantKind, BreakGlassReview
from cases.process import engine
from cases.referrals.services import record_referral
from cases.services import (
    add_team_member,
    designate_lead_practitioner,
    record_information_sharing_decision,
)
from pathways.continuum import BROOK_COLOUR
from pathways.services import create_draft_version
from pathways.tests.factories import default_definition, published_default_version

DSL, FD, LP, TM = Role.DSL, Role.FRONT_DOOR, Role.LEAD_PRACTITIONER, Role.TEAM_MEMBER
MGR, CO, AN, ADM, AUD = (
    Role.TEAM_MANAGER,
    Role.HSB_COORDINATOR,
    Role.ANALYST,
    Role.SYSTEM_ADMINISTRATOR,
    Role.AUDITOR,
)
ROLES = [DSL, FD, LP, TM, MGR, CO, AN, ADM, AUD]
SHARING = {
    "decision": "share",
    "information": "Invented: the safety plan for school.",
    "purpose": "So the school can keep the children safe.",
    "lawful_basis": "public_task_safeguarding",
    "consent": "given",
}
CHILD_BORN = datetime.date(2013, 2, 3)


@dataclass
class World:
    users: dict[str, Any]
    own: dict[str, dict[str, Any]] = field(default_factory=dict)
    other: dict[str, dict[str, Any]] = field(default_factory=dict)
    children: list[Any] = field(default_factory=list)


def _refer(actor: Any, first_name: str, level: str) -> Any:
    return record_referral(
        actor=actor,
        received_at=timezone.now() - datetime.timedelta(hours=3),
        source="2A",
        description="Invented referral.",
        parents_informed=True,
        behaviours=[
            {"continuum_level": level, "traffic_light": BROOK_COLOUR[level], "setting": "school"}
        ],
        children=[
            {
                "involvement": "displaying_hsb",
                "first_name": first_name,
                "last_name": "Ownfield" if first_name == "Ava" else "Otherfield",
                "date_of_birth": CHILD_BORN,
                "gender": "girl",
                "confirm_new": True,
            }
        ],
    )


def _assessments(case: Any, lead: Any, types: list[str], route: str) -> dict[str, Any]:
    made = [
        request_assessment(
            case=case, assessment_type=kind, actor=lead, type_justification="Invented."
        )
        for kind in types
    ]
    tool = catalogue()["brook_traffic_light"]
    for assessment in made[1:]:
        start_assessment(assessment=assessment, tool=tool, actor=lead, justification="Invented.")
        save_assessment_sections(assessment=assessment, sections=SECTIONS_DONE, actor=lead)
    submit_assessment(
        assessment=made[2],
        actor=lead,
        **{**OUTCOME, "confirmed_continuum_level": "abusive", "recommended_route": route},
    )
    return {
        "assessment_requested": made[0].pk,
        "assessment_started": made[1].pk,
        "assessment_submitted": made[2].pk,
    }


def build_world() -> World:
    area = LocalAreaFactory(name="Matrixshire")
    elsewhere = LocalAreaFactory(name="Elsewhere")

    def agency(name: str, kind: str, where: Any = area) -> Any:
        return AgencyFactory(area=where, name=name, agency_type=kind)

    school = agency("Matrix Primary", AgencyType.SCHOOL)
    school2 = agency("Other Academy", AgencyType.SCHOOL)
    front = agency("Front Door", AgencyType.CHILDRENS_SOCIAL_CARE)
    early_help = agency("Early Help Team", AgencyType.EARLY_HELP)
    youth = agency("Youth Service", AgencyType.YOUTH_JUSTICE)
    camhs = agency("CAMHS", AgencyType.CAMHS)
    specialist = agency("Specialist HSB Service", AgencyType.SPECIALIST_HSB)

    def user(role: str, where: Any, name: str, **kw: Any) -> Any:
        return UserFactory(role=role, agency=where, username=name, **kw)

    users = {
        DSL: user(DSL, school, "m-dsl"),
        FD: user(FD, front, "m-frontdoor"),
        LP: user(LP, early_help, "m-lead"),
        TM: user(TM, camhs, "m-member"),
        MGR: user(MGR, early_help, "m-manager"),
        CO: user(CO, specialist, "m-coordinator"),
        AN: user(AN, None, "m-analyst"),
        ADM: user(ADM, None, "m-admin", is_staff=True, is_superuser=True),
        AUD: user(AUD, None, "m-auditor"),
    }
    dsl2 = user(DSL, school2, "m-dsl2")
    other_lead = user(LP, youth, "m-otherlead")
    eh_colleague = user(LP, early_help, "m-ehcolleague")
    youth_colleague = user(LP, youth, "m-youthcolleague")
    consultant = user(TM, specialist, "m-consultant")
    consultant2 = user(TM, specialist, "m-consultant2")

    fd = users[FD]
    version = published_default_version(area=area, actor=fd)
    other_version = published_default_version(area=elsewhere, actor=fd)
    # Drafts in both areas: the installation's set-up administrator may load either.
    setup = users[ADM]
    draft = create_draft_version(area=area, definition=default_definition(), actor=setup)
    other_draft = create_draft_version(area=elsewhere, definition=default_definition(), actor=setup)
    del version  # pinned by the cases below

    # Ava: referred by the DSL's school, at the HSB panel, led by the lead, with a team.
    own_referral = _refer(users[DSL], "Ava", "abusive")
    own_case = own_referral.cases.get()
    own_case = engine.take_transition(
        case=own_case,
        transition="refer_to_hsb_panel",
        actor=fd,
        data={"continuum_level": "abusive"},
    )
    own_case = designate_lead_practitioner(case=own_case, practitioner=users[LP], actor=fd)
    own_member = add_team_member(
        case=own_case, agency=camhs, practitioner=users[TM], role_on_case="Clinician", actor=fd
    )
    shared = {}
    for role in (DSL, FD, LP, TM, MGR, CO):
        recipient = users[role]
        shared[role] = record_information_sharing_decision(
            case=own_case,
            recipient_agency=recipient.agency,
            recipient_practitioner=recipient,
            actor=users[LP],
            **SHARING,
        ).pk

    # Ben: referred by another school, at early help, led by the youth service.
    other_referral = _refer(dsl2, "Ben", "problematic")
    other_case = other_referral.cases.get()
    # Its lead practitioner named with the routing (issue 16, item 10).
    other_case = engine.take_transition(
        case=other_case,
        transition="route_to_early_help",
        actor=fd,
        data={"continuum_level": "problematic", "lead_practitioner": other_lead.pk},
    )
    other_member = add_team_member(
        case=other_case, agency=youth, role_on_case="Youth worker", actor=fd
    )
    other_shared = record_information_sharing_decision(
        case=other_case,
        recipient_agency=school2,
        recipient_practitioner=dsl2,
        actor=other_lead,
        **SHARING,
    )

    own_assessments = _assessments(
        own_case,
        users[LP],
        ["comprehensive_assessment", "hsb_focused_risk_assessment", "csc_assessment"],
        "agree_specialist_assessment",
    )
    other_assessments = _assessments(
        other_case,
        other_lead,
        ["brief_assessment", "nice_early_help_assessment", "comprehensive_assessment"],
        "step_up_to_hsb_panel",
    )

    # Emergency access by an early-help colleague (the manager reviews it) and by a
    # youth-service practitioner (another manager's review); consultants' grants.
    eh_grant = request_break_glass_access(
        case_id=other_case.pk, actor=eh_colleague, reason="Invented emergency."
    )
    youth_grant = request_break_glass_access(
        case_id=own_case.pk, actor=youth_colleague, reason="Invented emergency."
    )
    own_grant = grant_case_access(
        case=own_case,
        user=consultant,
        kind=AccessGrantKind.CONSULTANT,
        reason="Invented consultation.",
        actor=users[LP],
    )
    other_grant = grant_case_access(
        case=other_case,
        user=consultant,
        kind=AccessGrantKind.CONSULTANT,
        reason="Invented consultation.",
        actor=other_lead,
    )

    yaml_text = (
        Path(__file__).resolve().parent.parent / "pathways" / "data" / "default_pathway.yaml"
    ).read_text()
    own_case.refresh_from_db()
    other_case.refresh_from_db()
    common = {
        "lead_candidate": eh_colleague.pk,
        "grant_candidate": consultant2.pk,
        "yaml": yaml_text,
    }
    own = {
        "case": own_case.pk,
        "case_version": own_case.lock_version,
        "transition": "agree_specialist_assessment",
        "route": "agree_specialist_assessment",
        "referral": own_referral.pk,
        "member": own_member.pk,
        "agency": specialist.pk,
        "review": BreakGlassReview.objects.get(grant=eh_grant).pk,
        "grant": own_grant.pk,
        "pathway": draft.pathway_id,
        "version": draft.pathway.versions.exclude(pk=draft.pk).get().pk,
        "draft": draft.pk,
        "area": area.pk,
        **own_assessments,
        **common,
    }
    other = {
        "case": other_case.pk,
        "case_version": other_case.lock_version,
        "transition": "step_up_to_hsb_panel",
        "route": "step_up_to_hsb_panel",
        "referral": other_referral.pk,
        "member": other_member.pk,
        "agency": specialist.pk,
        "review": BreakGlassReview.objects.get(grant=youth_grant).pk,
        "grant": other_grant.pk,
        "decision": other_shared.pk,
        "pathway": other_draft.pathway_id,
        "version": other_version.pk,
        "draft": other_draft.pk,
        "area": elsewhere.pk,
        **other_assessments,
        **common,
    }
    world = World(users=users, children=[own_case.child, other_case.child])
    for role in ROLES:
        world.own[role] = {**own, "decision": shared.get(role, shared[DSL])}
        world.other[role] = dict(other)
    assert Assessment.objects.count() == 6
    return world


@pytest.fixture
def invented_world(db: Any) -> World:
    return build_world()
