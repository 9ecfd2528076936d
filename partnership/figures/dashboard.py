"""The dashboard: every figure in the order it is shown, and the cases behind a part of one."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from cases.models import Case

from ..exceptions import InvalidDashboardFilter
from .registry import FIGURES, PARTS, Figure
from .scope import Scope
from .tuning import computed_in_lanes

# The statement groups register their figures (and their populations' conditions) when
# imported, in this order: the order of `FIGURES`, hence of the API schema's figure keys.
from . import referrals, decisions, assessments, case_records, children  # noqa: F401  # isort: skip

# The order figures are shown in: domain 3, then domain 1.
DASHBOARD_ORDER = (
    "school_referrals_taken_up",
    "referral_sources",
    "education_share",
    "school_assessment_contributions",
    "school_on_team",
    "initial_decision_within_one_working_day",
    "assessment_started_within_45_days",
    "assessment_authorised_within_45_days",
    "stepped_within_90_days",
    "re_referrals",
    "police_involved_routes",
    "lead_practitioner_designated",
    "stages_overdue_now",
    "suitable_tool",
    "warnings_justified",
    "holistic_sections_complete",
    "multi_agency_contributions",
    "continuum_level_agreement",
    "child_process_feedback",
    "family_process_feedback",
    "children_displaying_hsb",
    "not_receiving_service",
    "children_by_age_band",
    "children_by_gender",
    "children_by_ethnicity",
    "children_with_sen",
    "children_with_learning_disability",
)


def dashboard_figures(scope: Scope, keys: Iterable[str] | None = None) -> list[Figure]:
    """Every figure (or the given ones) for the scope, in dashboard order."""
    wanted = set(keys) if keys is not None else None
    shown = [key for key in DASHBOARD_ORDER if wanted is None or key in wanted]
    return computed_in_lanes(scope.memo, shown, lambda key: FIGURES[key].compute(scope))


def figure_cases(scope: Scope, key: str, part: str, cell: str = "") -> QuerySet[Case]:
    """The cases behind a figure's numerator, denominator or breakdown cell."""
    spec = FIGURES.get(key)
    if spec is None:
        raise InvalidDashboardFilter(
            "Unknown figure.", fields={"figure": [f"'{key}' is not a dashboard figure."]}
        )
    if part not in PARTS:
        raise InvalidDashboardFilter(
            "Unknown part.", fields={"part": [f"Choose one of {', '.join(PARTS)}."]}
        )
    return spec.cases(scope, part, cell)
