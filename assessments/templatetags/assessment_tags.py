"""Assessments on the case page: the list with its overdue flags, the link to request one,
and the route recommended by the authorised assessment.

Inclusion and simple tags, so the case page's own context (`cases.views._case_context`)
stays as it is. A fixed number of queries: the case's assessments, the permission check,
the recommendation.
"""

from typing import Any

from django import template
from django.utils import timezone

from agencies.actors import Actor
from cases.models import Case

from ..permissions import can_request_assessment
from ..selectors import case_assessments, case_recommendation, recommendation_for

register = template.Library()


@register.inclusion_tag("assessments/includes/case_assessments.html")
def case_assessments_card(case: Case, user: Actor) -> dict[str, Any]:
    today = timezone.localdate()
    rows = []
    for assessment in case_assessments(case):
        assessment.case = case  # already loaded: no query per row
        rows.append(
            {
                "assessment": assessment,
                "overdue": assessment.is_overdue(today),
                "recommendation": recommendation_for(assessment),
            }
        )
    return {
        "case": case,
        "rows": rows,
        "overdue_count": sum(1 for row in rows if row["overdue"]),
        "can_request": can_request_assessment(user, case),
    }


@register.simple_tag
def recommended_route(case: Case) -> str:
    """The key of the transition the latest authorised assessment recommends, if the case
    can take it now; empty otherwise."""
    recommendation = case_recommendation(case)
    return recommendation.transition_key if recommendation is not None else ""
