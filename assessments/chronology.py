"""The assessments in the child's chronology: each step of each assessment of their cases.

Cases sits below assessments, so the chronology cannot read assessments itself:
`AssessmentsConfig.ready()` registers this source with it.
"""

from datetime import datetime

from django.db.models import Q

from cases.chronology.entries import (
    ChronologyEntry,
    EntryKind,
    Scope,
    choice_label,
    entry,
    lines,
    person,
)
from pathways.compiled import compiled_version
from pathways.continuum import ContinuumLevel

from .models import Assessment, AssessmentType


def _route_name(assessment: Assessment, version_id: int) -> str:
    # Published versions are compiled once per process, so naming the route costs no query.
    transition = compiled_version(version_id).transitions.get(assessment.recommended_route)
    return transition.name if transition is not None else assessment.recommended_route


def _assessment_steps(
    assessment: Assessment, version_id: int
) -> list[tuple[datetime, str, str, str]]:
    """(when, what, detail, by) for each step: requested, started, each submission and
    return, authorised."""
    steps = [
        (
            assessment.requested_at,
            "Assessment requested",
            lines(
                f"For: {assessment.requested_for}" if assessment.requested_for else "",
                f"Due: {assessment.due_on:%d %b %Y}" if assessment.due_on else "",
                f"Why this level: {assessment.type_justification}"
                if assessment.type_justification
                else "",
                assessment.request_notes,
            ),
            person(assessment.requested_by),
        )
    ]
    if assessment.started_at is not None:
        age = assessment.child_age_at_start
        steps.append(
            (
                assessment.started_at,
                "Assessment started",
                lines(
                    f"Tool: {assessment.tool}" if assessment.tool else "",
                    f"Age at assessment: {age}" if age is not None else "",
                    f"Why this tool: {assessment.tool_justification}"
                    if assessment.tool_justification
                    else "",
                ),
                person(assessment.started_by),
            )
        )
    for returned in assessment.returns or []:
        if returned.get("submitted_at"):
            steps.append(
                (
                    datetime.fromisoformat(returned["submitted_at"]),
                    "Assessment submitted",
                    "",
                    returned.get("submitted_by_name", ""),
                )
            )
        steps.append(
            (
                datetime.fromisoformat(returned["returned_at"]),
                "Assessment returned with comments",
                returned.get("comments", ""),
                returned.get("returned_by_name", ""),
            )
        )
    if assessment.submitted_at is not None:
        steps.append(
            (assessment.submitted_at, "Assessment submitted", "", person(assessment.submitted_by))
        )
    if assessment.authorised_at is not None:
        level = assessment.confirmed_continuum_level
        steps.append(
            (
                assessment.authorised_at,
                "Assessment authorised",
                lines(
                    f"Continuum level confirmed: {choice_label(ContinuumLevel, level)}"
                    if level
                    else "",
                    f"Risk level: {assessment.get_risk_level_display()}"
                    if assessment.risk_level
                    else "",
                    f"Recommended route: {_route_name(assessment, version_id)}"
                    if assessment.recommended_route
                    else "",
                    f"Authorised late: {assessment.late_reason}" if assessment.late_reason else "",
                ),
                person(assessment.authorised_by),
            )
        )
    return steps


def assessment_entries(scope: Scope) -> list[ChronologyEntry]:
    # Every step falls between the request and the authorisation, so one window on those two
    # finds each assessment with a step in range; the steps are then filtered one by one.
    window = Q()
    if scope.date_to is not None:
        window &= Q(requested_at__date__lte=scope.date_to)
    if scope.date_from is not None:
        window &= Q(authorised_at__isnull=True) | Q(authorised_at__date__gte=scope.date_from)
    assessments = (
        Assessment.objects.filter(case_id__in=scope.case_ids)
        .filter(window)
        .select_related(
            "requested_by", "requested_for", "started_by", "submitted_by", "authorised_by", "tool"
        )
    )
    versions = {case.pk: case.pathway_version_id for case in scope.cases}
    entries = []
    for assessment in assessments:
        kind = choice_label(AssessmentType, assessment.assessment_type)
        steps = _assessment_steps(assessment, versions[assessment.case_id])
        for part, (at, title, detail, actor) in enumerate(steps):
            entries.append(
                entry(
                    EntryKind.ASSESSMENT,
                    at,
                    f"{title}: {kind}",
                    detail,
                    actor,
                    assessment.case_id,
                    assessment.pk,
                    part,
                )
            )
    return entries
