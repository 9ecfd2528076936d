"""Invented children, cases and assessments at each step, built through the services."""

import datetime
from typing import Any

from django.utils import timezone

from agencies.roles import Role
from assessments.catalogue import load_tools
from assessments.models import Assessment, AssessmentTool
from assessments.services import (
    request_assessment,
    save_assessment_sections,
    start_assessment,
    submit_assessment,
)
from cases.process import engine
from cases.services import designate_lead_practitioner
from cases.tests.factories import ChildFactory, open_case

SECTIONS_DONE = {
    "harmful_behaviours": "Two incidents of touching another pupil over clothing at break.",
    "development": "Language delay assessed at six; otherwise meeting milestones.",
    "family": "Lives with mother and two younger siblings; father has irregular contact.",
    "environment": "Unsupervised tablet use at home; supportive form tutor at school.",
    "strengths_and_protective_factors": "Close to grandmother; enjoys football club.",
    "child_views": "Says they want to be able to stay at the school.",
    "parents_carers_views": "Mother is worried and keen to work with early help.",
}
OUTCOME = {
    "confirmed_continuum_level": "problematic",
    "risk_level": "medium",
    "needs": "Support with boundaries and online safety; speech and language follow-up.",
    "strengths": "Engaged family, settled at school.",
    "intervention_focus": "Behaviour management; socio-educative work with the family.",
    "recommended_route": "step_up_to_hsb_panel",
}


def catalogue() -> dict[str, AssessmentTool]:
    """The shipped tool catalogue (a flush after a transactional test removes the rows the
    data migration loaded, so tests load it themselves; loading is idempotent)."""
    load_tools(AssessmentTool)
    return {tool.key: tool for tool in AssessmentTool.objects.all()}


def born_years_ago(years: int, *, days_later: int = 0) -> datetime.date:
    """A date of birth `years` years before today (plus `days_later` days)."""
    today = timezone.localdate()
    try:
        birthday = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        birthday = today.replace(year=today.year - years, day=28)
    return birthday + datetime.timedelta(days=days_later)


def child_aged(years: int, **kwargs: Any) -> Any:
    return ChildFactory(date_of_birth=born_years_ago(years), **kwargs)


def routed_case(
    *,
    version: Any,
    front_door: Any,
    lead: Any,
    manager: Any,
    child: Any = None,
    route: str = "route_to_early_help",
    continuum_level: str = "problematic",
    **facts: Any,
) -> Any:
    """A case the front door routed (to early help by default), with a designated lead: named
    with the routing where the stage needs one, else designated by the manager after."""
    case = open_case(version=version, actor=front_door, child=child)
    named_with_move = version.transitions.get(key=route).to_stage.needs_lead_practitioner
    data = {"continuum_level": continuum_level, **facts}
    if named_with_move:
        data["lead_practitioner"] = lead.pk
    case = engine.take_transition(case=case, transition=route, actor=front_door, data=data)
    if named_with_move:
        return case
    return designate_lead_practitioner(case=case, practitioner=lead, actor=manager)


def early_help_case(**kwargs: Any) -> Any:
    return routed_case(route="route_to_early_help", **kwargs)


def panel_case(**kwargs: Any) -> Any:
    """At the multi-agency HSB panel (abusive behaviour by default)."""
    kwargs.setdefault("continuum_level", "abusive")
    return routed_case(route="refer_to_hsb_panel", **kwargs)


def requested(
    case: Any, actor: Any, assessment_type: str = "nice_early_help_assessment", **kw: Any
) -> Assessment:
    return request_assessment(case=case, assessment_type=assessment_type, actor=actor, **kw)


def started(case: Any, assessor: Any, tool: AssessmentTool, **kw: Any) -> Assessment:
    assessment = requested(case, assessor, **kw)
    return start_assessment(assessment=assessment, tool=tool, actor=assessor)


def submitted(case: Any, assessor: Any, tool: AssessmentTool, **outcome: Any) -> Assessment:
    assessment = started(case, assessor, tool)
    save_assessment_sections(assessment=assessment, sections=SECTIONS_DONE, actor=assessor)
    return submit_assessment(assessment=assessment, actor=assessor, **{**OUTCOME, **outcome})


def make_lead(make_user: Any, **kwargs: Any) -> Any:
    return make_user(Role.LEAD_PRACTITIONER, **kwargs)
