"""Reads of assessments, starting from the cases the user may see."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from agencies.actors import Actor
from cases.models import Case
from cases.selectors import cases_visible_to, ids_as_text
from pathways.compiled import compiled_version
from pathways.models import Transition

from .models import OPEN_STATUSES, Assessment, AssessmentStatus

_RELATED = (
    "case__child",
    "case__current_stage",
    "case__lead_practitioner",
    "tool",
    "requested_by",
    "requested_for",
    "submitted_by",
    "authorised_by",
)


def case_has_authorised_assessment(*, case: Any, since: datetime) -> bool:
    """An assessment authorised since the case entered its current stage."""
    return Assessment.objects.filter(
        case_id=case.pk, status=AssessmentStatus.AUTHORISED, authorised_at__gte=since
    ).exists()


def authorised_at_this_stage(case: Any, data: dict[str, Any]) -> bool:
    """A stage's `authorised_assessment` requirement (registered with pathways in apps.py)."""
    return case_has_authorised_assessment(case=case, since=case.stage_entered_at)


def assessments_visible_to(user: Actor) -> QuerySet[Assessment]:
    """Assessments on cases the user may see; any other is a 404, never a 403."""
    return Assessment.objects.filter(
        case_id__in=cases_visible_to(user).values("pk")
    ).select_related(*_RELATED)


def case_assessments(case: Any) -> QuerySet[Assessment]:
    return (
        Assessment.objects.filter(case_id=case.pk)
        .select_related(*_RELATED)
        .order_by("-requested_at", "-pk")
    )


def assessment_reads_of(case: Case) -> Q:
    """The reads of the case's assessments in its access log (`cases.selectors.case_access_log`
    has this part registered from `AssessmentsConfig.ready()`)."""
    return Q(
        object_type="assessments.assessment",
        object_id__in=ids_as_text(Assessment.objects.filter(case=case)),
        action="assessment.read",
    )


def is_overdue(today: date | None = None) -> Q:
    """Open and past the due date taken from the case's stage (the same rule as
    `Assessment.is_overdue`)."""
    return Q(status__in=OPEN_STATUSES, due_on__lt=today or timezone.localdate())


def overdue_assessments(user: Actor, *, today: date | None = None) -> QuerySet[Assessment]:
    """Open assessments past their due date on cases the user may see, oldest due first."""
    return assessments_visible_to(user).filter(is_overdue(today)).order_by("due_on", "pk")


def route_options(case: Any) -> list[Transition]:
    """The transitions out of the case's current stage, from its pinned (cached) version."""
    return list(compiled_version(case.pathway_version_id).exits.get(case.current_stage_id, []))


@dataclass(frozen=True)
class Recommendation:
    """The route an assessment recommends, and whether the case can take it now."""

    assessment_id: int
    transition_key: str
    transition_name: str
    to_stage: str
    offered: bool


def recommendation_for(assessment: Assessment) -> Recommendation | None:
    """No queries once the case's version is compiled (the list endpoint relies on it).

    Offered while the assessment is authorised, the case is still at the stage the route
    leaves, and the authorisation came after the case entered that stage.
    """
    key = assessment.recommended_route
    if not key:
        return None
    case = assessment.case
    transition = compiled_version(case.pathway_version_id).transitions.get(key)
    if transition is None:
        return Recommendation(assessment.pk, key, key, "", False)
    offered = (
        assessment.status == AssessmentStatus.AUTHORISED
        and assessment.authorised_at is not None
        and assessment.authorised_at >= case.stage_entered_at
        and transition.from_stage_id == case.current_stage_id
        and case.closed_at is None
    )
    return Recommendation(
        assessment.pk, key, transition.name, transition.to_stage.name, bool(offered)
    )


def case_recommendation(case: Any) -> Recommendation | None:
    """The route recommended by the latest assessment authorised at the current stage."""
    latest = (
        Assessment.objects.filter(
            case_id=case.pk,
            status=AssessmentStatus.AUTHORISED,
            authorised_at__gte=case.stage_entered_at,
        )
        .exclude(recommended_route="")
        .order_by("-authorised_at", "-pk")
        .first()
    )
    if latest is None:
        return None
    latest.case = case
    recommendation = recommendation_for(latest)
    return recommendation if recommendation is not None and recommendation.offered else None
