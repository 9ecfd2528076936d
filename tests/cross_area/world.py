"""Two fully populated areas for the cross-area matrix (tests/test_cross_area_matrix.py).

Each area ("Alder" for A, "Birch" for B) has an agency of every type, a user of every role
(plus a practitioner with no case at all), a published pathway and a draft, two referrals
(one naming a child displaying HSB and a child harmed), cases at several stages with leads
and team members, assessments (requested, started, submitted) with a contribution, sharing
decisions, notes, recorded views, grants, break-glass access with its review, and an audit
round with a score. Every free text carries the area's word ("Birch-only …"), so an answer
that shows area B's records can be found by searching for B's words. Invented children only.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db.models import Max
from django.utils import timezone

from agencies.models import AgencyType
from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory, UserFactory
from assessments.services import (
    add_contribution,
    request_assessment,
    save_assessment_sections,
    start_assessment,
    submit_assessment,
)
from assessments.tests.factories import OUTCOME, SECTIONS_DONE, catalogue
from cases.access.services import grant_case_access, request_break_glass_access, review_break_glass
from cases.models import AccessGrantKind, BreakGlassReview, RepeatReferralDecision
from cases.process import engine
from cases.referrals.services import record_referral
from cases.services import (
    add_case_note,
    add_team_member,
    designate_lead_practitioner,
    record_information_sharing_decision,
    record_view,
)
from partnership.figures import FIGURES
from partnership.models import Domain, Statement
from partnership.services import open_audit_round, record_agency_score
from partnership.statements import load_statements
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
NO_CASE = "no_case"  # an area A practitioner who works on no case at all
ROLES = [DSL, FD, LP, TM, MGR, CO, AN, ADM, AUD, NO_CASE]
SHARING = {
    "decision": "share",
    "purpose": "So the school can keep the children safe.",
    "lawful_basis": "public_task_safeguarding",
    "consent": "given",
}
YAML = (
    Path(__file__).resolve().parents[2] / "pathways" / "data" / "default_pathway.yaml"
).read_text()
# The apps whose rows a write may change; a refused write must change none of B's.
SNAPSHOT_APPS = ("agencies", "cases", "assessments", "pathways", "partnership", "audit")


@dataclass
class Area:
    tag: str  # "Alder" or "Birch": every name and text of the area carries it
    users: dict[str, Any]
    values: dict[str, Any]  # what a URL or a payload names: ids of this area's records
    markers: list[str] = field(default_factory=list)  # words only this area's records hold


def snapshot_models() -> list[Any]:
    return [model for label in SNAPSHOT_APPS for model in apps.get_app_config(label).get_models()]


def high_water() -> dict[Any, int]:
    """The highest primary key of every snapshot model: rows above it were made later."""
    marks = {}
    for model in snapshot_models():
        if model._meta.pk.get_internal_type() in ("AutoField", "BigAutoField"):
            marks[model] = model.objects.aggregate(top=Max("pk"))["top"] or 0
    return marks


def _refer(actor: Any, tag: str, children: list[tuple[str, str, str]], level: str) -> Any:
    return record_referral(
        actor=actor,
        received_at=timezone.now() - datetime.timedelta(hours=3),
        source="2A",
        description=f"{tag}-only referral description.",
        parents_informed=True,
        behaviours=[
            {"continuum_level": level, "traffic_light": BROOK_COLOUR[level], "setting": "school"}
        ],
        children=[
            {
                "involvement": involvement,
                "first_name": first,
                "last_name": last,
                "date_of_birth": datetime.date(2013, 2, 3),
                "gender": "girl",
                "confirm_new": True,
            }
            for involvement, first, last in children
        ],
    )


def build_area(tag: str) -> Area:
    area = LocalAreaFactory(name=f"{tag}shire")
    agencies = {
        kind: AgencyFactory(area=area, name=f"{tag} {label}", agency_type=kind)
        for kind, label in AgencyType.choices
    }
    school2 = AgencyFactory(area=area, name=f"{tag} Second Academy", agency_type=AgencyType.SCHOOL)

    def user(role: str, agency: Any, name: str, **kw: Any) -> Any:
        low = tag.lower()
        return UserFactory(
            role=role,
            agency=agency,
            username=f"{low}-{name}",
            first_name=f"{tag}{name.replace('-', '').title()}",
            last_name=f"{tag}folk",
            **kw,
        )

    users = {
        DSL: user(DSL, agencies[AgencyType.SCHOOL], "dsl"),
        FD: user(FD, agencies[AgencyType.CHILDRENS_SOCIAL_CARE], "frontdoor"),
        LP: user(LP, agencies[AgencyType.EARLY_HELP], "lead"),
        TM: user(TM, agencies[AgencyType.CAMHS], "member"),
        MGR: user(MGR, agencies[AgencyType.EARLY_HELP], "manager"),
        CO: user(CO, agencies[AgencyType.SPECIALIST_HSB], "coordinator"),
        # The partnership's analyst answers for the area of their agency.
        AN: user(AN, agencies[AgencyType.OTHER], "analyst"),
        AUD: user(AUD, agencies[AgencyType.OTHER], "auditor"),
        # The installation's set-up administrator belongs to no agency (every area's pathways).
        ADM: user(ADM, None, "admin", is_staff=True, is_superuser=True),
        NO_CASE: user(LP, agencies[AgencyType.HEALTH], "nocase"),
    }
    dsl2 = user(DSL, school2, "dsl2")
    other_lead = user(LP, agencies[AgencyType.YOUTH_JUSTICE], "otherlead")
    colleague = user(LP, agencies[AgencyType.EARLY_HELP], "colleague")
    consultant = user(TM, agencies[AgencyType.SPECIALIST_HSB], "consultant")
    candidate = user(TM, agencies[AgencyType.SPECIALIST_HSB], "candidate")
    fd, lead, specialist = users[FD], users[LP], agencies[AgencyType.SPECIALIST_HSB]

    version = published_default_version(area=area, actor=fd)
    draft = create_draft_version(area=area, definition=default_definition(), actor=users[ADM])

    # The first referral: a child displaying HSB and a child harmed, at the HSB panel.
    referral = _refer(
        users[DSL],
        tag,
        [("displaying_hsb", f"{tag}ina", f"{tag}wood"), ("harmed", f"{tag}ella", f"{tag}wood")],
        "abusive",
    )
    case = referral.cases.get(child__first_name=f"{tag}ina")
    harmed_case = referral.cases.get(child__first_name=f"{tag}ella")
    case = engine.take_transition(
        case=case, transition="refer_to_hsb_panel", actor=fd, data={"continuum_level": "abusive"}
    )
    case = designate_lead_practitioner(case=case, practitioner=lead, actor=fd)
    member = add_team_member(
        case=case,
        agency=agencies[AgencyType.CAMHS],
        practitioner=users[TM],
        role_on_case=f"{tag}-only clinician",
        actor=fd,
    )
    decisions = [
        record_information_sharing_decision(
            case=case,
            recipient_agency=users[role].agency,
            recipient_practitioner=users[role],
            actor=lead,
            information=f"{tag}-only safety plan.",
            **SHARING,
        )
        for role in (DSL, FD, LP, TM, MGR, CO)
    ]
    add_case_note(case=case, text=f"{tag}-only case note.", actor=lead)
    record_view(case=case, holder="child", view=f"{tag}-only view of the child.", actor=lead)

    # The second referral: another school's child, at early help, led by the youth service.
    referral2 = _refer(dsl2, tag, [("displaying_hsb", f"{tag}ette", f"{tag}ley")], "problematic")
    case2 = referral2.cases.get()
    # Its lead practitioner named with the routing (issue 16, item 10).
    case2 = engine.take_transition(
        case=case2,
        transition="route_to_early_help",
        actor=fd,
        data={"continuum_level": "problematic", "lead_practitioner": other_lead.pk},
    )
    add_team_member(
        case=case2,
        agency=agencies[AgencyType.YOUTH_JUSTICE],
        role_on_case=f"{tag}-only youth worker",
        actor=fd,
    )
    # A later referral about the second child joins their open case and awaits the front
    # door's decision (issue 16).
    repeat = record_referral(
        actor=dsl2,
        received_at=timezone.now() - datetime.timedelta(hours=2),
        source="2A",
        description=f"{tag}-only repeat referral description.",
        parents_informed=True,
        behaviours=[
            {
                "continuum_level": "problematic",
                "traffic_light": BROOK_COLOUR["problematic"],
                "setting": "school",
            }
        ],
        children=[{"involvement": "displaying_hsb", "child_id": case2.child_id}],
    )
    repeat_decision = RepeatReferralDecision.objects.get(referral=repeat)

    made = [
        request_assessment(
            case=case, assessment_type=kind, actor=lead, type_justification=f"{tag}-only."
        )
        for kind in ("comprehensive_assessment", "hsb_focused_risk_assessment", "csc_assessment")
    ]
    tool = catalogue()["brook_traffic_light"]
    for assessment in made[1:]:
        start_assessment(assessment=assessment, tool=tool, actor=lead, justification="Invented.")
        save_assessment_sections(assessment=assessment, sections=SECTIONS_DONE, actor=lead)
    add_contribution(
        assessment=made[1],
        agency=agencies[AgencyType.HEALTH],
        summary=f"{tag}-only contribution.",
        actor=lead,
    )
    submit_assessment(
        assessment=made[2],
        actor=lead,
        **{
            **OUTCOME,
            "confirmed_continuum_level": "abusive",
            "recommended_route": "agree_specialist_assessment",
        },
    )

    grant = grant_case_access(
        case=case,
        user=consultant,
        kind=AccessGrantKind.CONSULTANT,
        reason=f"{tag}-only consultation.",
        actor=lead,
    )
    glass = request_break_glass_access(
        case_id=case2.pk, actor=colleague, reason=f"{tag} only: the child is missing tonight."
    )
    review = BreakGlassReview.objects.get(grant=glass)
    reviewed = request_break_glass_access(
        case_id=case2.pk, actor=users[LP], reason=f"{tag} only: an emergency out of hours."
    )
    review_break_glass(
        review=BreakGlassReview.objects.get(grant=reviewed),
        actor=users[MGR],
        outcome="justified",
    )

    load_statements(Domain, Statement)
    statement = Statement.objects.filter(scored=True).order_by("position").first()
    audit_round = open_audit_round(
        label=f"{tag[:3]}-T1",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        actor=users[CO],
    )
    record_agency_score(
        audit_round=audit_round,
        statement=statement,
        agency=specialist,
        score=2,
        evidence=f"{tag}-only evidence.",
        actor=users[CO],
    )

    case.refresh_from_db()
    values = {
        "area": area.pk,
        "case": case.pk,
        "case_version": case.lock_version,
        "case2": case2.pk,
        "harmed_case": harmed_case.pk,
        "child": case.child_id,
        "referral": referral.pk,
        "repeat_decision": repeat_decision.pk,
        "member": member.pk,
        "agency": specialist.pk,
        "contributor": agencies[AgencyType.HEALTH].pk,
        "decision": decisions[0].pk,
        "grant": grant.pk,
        "review": review.pk,
        "assessment_requested": made[0].pk,
        "assessment_started": made[1].pk,
        "assessment_submitted": made[2].pk,
        "pathway": draft.pathway_id,
        "version": version.pk,
        "draft": draft.pk,
        "round": audit_round.pk,
        "statement": statement.ref,
        "user": candidate.pk,
        "practitioner": colleague.pk,
        "contributor_practitioner": users[NO_CASE].pk,
        "child_first_name": f"{tag}ina",
        "child_last_name": f"{tag}wood",
        # A figure of the partnership dashboard: the same key in every area.
        "figure": sorted(FIGURES)[0],
        "yaml": YAML,
    }
    children = [case.child, harmed_case.child, case2.child]
    markers = [f"{tag}-only", f"{tag}wood", f"{tag}ley", f"{tag}folk"] + [
        child.reference for child in children
    ]
    return Area(tag=tag, users=users, values=values, markers=markers)
