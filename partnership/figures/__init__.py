"""The partnership's figures: domain 3 (and domain 1) from the live case records, and their
drill-downs.

Every figure has one home, in the module of its statement group (`referrals`, `decisions`,
`assessments`, `case_records`, `children`): a function taking a `Scope` (the user's
partnership area, a period of referrals received, the filters; `scope`, `filters`) and
returning a `Figure` with its numerator, denominator, the statement it informs and its label,
registered in `registry.FIGURES`; `figure_cases` gives the cases behind its numerator,
denominator or a breakdown cell. Everything is aggregate SQL (COUNT with FILTER, GROUP BY,
semi- and anti-joins): nothing loops over cases in Python, and medians come from a GROUP BY
histogram of the measured days.

Figures that count the same rows share one query: each registers its condition with a
`Population` (the period's cases, their assessments, …; `populations`) and the first to need
the counts gets all of them at once, kept on the scope; likewise one GROUP BY serves every
domain 1 figure and one the initial-decision and police-route figures. The whole dashboard
(`dashboard`, its reads tuned for PostgreSQL in `tuning`) is 15 SQL statements; on 100,000
cases and a million events it takes about 0.85 s (`benchmarks/dashboard.py`).

Units (each figure names its own):
- *cases*: a case is one child's episode; the period's cases are those of the area whose
  referral was received in the period (`Case.referral_received_at`).
- *referrals of children*: each child named in a referral, as the CIN census counts them: the
  referral that opened each of the period's cases, plus each later referral that joined a
  child's open case (`ReferralChild.joined_open_case`), received in the period.
- *assessments*: assessments of the period's cases.
- *served cases*: the period's cases that entered a stage above the universal tier (early
  help, specialist or statutory), counted in one batch of their own (`SERVED_CASES`): the
  cases that need a lead practitioner and a team around the child.
- *children*: children displaying HSB, each counted once, at their first case of the period.

The audit tool's rounds and scores are read in `partnership.selectors`.
"""

from .cache import DashboardQuery, cached_dashboard, dashboard_query
from .dashboard import DASHBOARD_ORDER, dashboard_figures, figure_cases
from .filters import AGE_BANDS, DashboardFilters
from .populations import median
from .referrals import EDUCATION_SOURCES
from .registry import FIGURES, PARTS, Cell, Figure, FigureSpec
from .scope import Scope, dashboard_scope, default_period
from .tuning import analytic_reads

__all__ = [
    "AGE_BANDS",
    "DASHBOARD_ORDER",
    "EDUCATION_SOURCES",
    "FIGURES",
    "PARTS",
    "Cell",
    "DashboardFilters",
    "DashboardQuery",
    "Figure",
    "FigureSpec",
    "Scope",
    "analytic_reads",
    "cached_dashboard",
    "dashboard_figures",
    "dashboard_query",
    "dashboard_scope",
    "default_period",
    "figure_cases",
    "median",
]
