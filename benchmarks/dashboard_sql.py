"""The partnership dashboard's figures in hand-written SQL: the dashboard benchmark's baseline.

What an engineer fluent in PostgreSQL would write for the same 27 figures without the ORM: one
statement per group of figures reading the same rows (referrals of children, the period's
cases, the cases given a service beyond universal advice, first decisions, first routings,
first leads, assessment timeliness, assessments, open cases, children), with CTEs, FILTER
clauses, DISTINCT ON, GROUPING SETS and percentile_cont for the medians. Tuned once from
EXPLAIN ANALYZE: the re-referral test is a hash join rather than a correlated EXISTS per
referral, and the rows of the period are restricted by joining the case (a materialised CTE of
its ids was estimated at 200 rows and probed per row). The area's pathway versions, first
stages, step transitions and working-day calendar come in as parameters, as the dashboard's
scope holds them; the benchmark runs them with the dashboard's planner settings
(`analytic_reads`) and fails if any figure differs from the dashboard's (`differences`).

No filters: the benchmark times the unfiltered dashboard.
"""

# The statements are assembled from this module's constants only; every value is a parameter.
# ruff: noqa: S608

from __future__ import annotations

from typing import Any

# The period's cases: the area's (its pathway versions), referred in the period.
PERIOD = """
    c.pathway_version_id = ANY(%(versions)s)
    AND c.referral_received_at >= %(starts)s AND c.referral_received_at < %(ends)s
"""


# Cases that entered a stage above the universal tier (early help, specialist, statutory):
# each did so first from a universal-tier stage (a case starts at the initial decision).
SERVED = """
    SELECT m.case_id FROM cases_stagemove m
    WHERE m.transition_id IN (
        SELECT t.id FROM pathways_transition t
        JOIN pathways_stage f ON f.id = t.from_stage_id
        JOIN pathways_stage s ON s.id = t.to_stage_id
        WHERE t.version_id = ANY(%(versions)s) AND f.tier = 1 AND s.tier > 1)
"""

# Agencies that are schools.
SCHOOLS = "SELECT id FROM agencies_agency WHERE agency_type = 'school'"


# A timestamp's local date as a day number (days since 1970-01-01).
def _day(column: str) -> str:
    return f"(({column} AT TIME ZONE %(zone)s)::date - DATE '1970-01-01')"


# Working days from one day number to another: positions in the sorted working days.
def _working_days(start_day: str, end_day: str) -> str:
    return f"(width_bucket({end_day}, %(working)s) - width_bucket({start_day}, %(working)s))"


REFERRALS = f"""
WITH referrals AS (  -- each child named in a referral of the period: a case's, or one joining it
    SELECT c.process_ptr_id AS id, c.child_id, c.referral_received_at AS received_at,
           r.source
    FROM cases_case c JOIN cases_referral r ON r.id = c.referral_id
    WHERE {PERIOD}
    UNION ALL
    SELECT -l.id, l.child_id, r.received_at, r.source
    FROM cases_referralchild l
    JOIN cases_referral r ON r.id = l.referral_id
    JOIN cases_case c ON c.process_ptr_id = l.case_id
    WHERE l.joined_open_case AND c.pathway_version_id = ANY(%(versions)s)
      AND r.received_at >= %(starts)s AND r.received_at < %(ends)s
), moments AS (  -- every referral of a child, any area or time
    SELECT child_id, referral_received_at AS received_at FROM cases_case
    UNION ALL
    SELECT l.child_id, r.received_at
    FROM cases_referralchild l JOIN cases_referral r ON r.id = l.referral_id
    WHERE l.joined_open_case
), re_referred AS (  -- another referral of the child in the 365 days before
    SELECT DISTINCT x.id
    FROM referrals x JOIN moments m ON m.child_id = x.child_id
    WHERE m.received_at >= x.received_at - interval '365 days' AND m.received_at < x.received_at
)
SELECT x.source,
       count(*) AS referrals,
       count(*) FILTER (WHERE x.source IN ('2A', '2B')) AS from_education,
       count(re_referred.id) AS re_referrals
FROM referrals x LEFT JOIN re_referred ON re_referred.id = x.id
GROUP BY x.source
"""

PERIOD_CASES = f"""
SELECT count(*) AS cases,
       count(*) FILTER (WHERE r.police_involved) AS police_cases,
       count(*) FILTER (WHERE c.process_ptr_id IN (
           SELECT case_id FROM partnership_processfeedback WHERE given_by = 'child')
       ) AS child_feedback,
       count(*) FILTER (WHERE c.process_ptr_id IN (
           SELECT case_id FROM partnership_processfeedback
           WHERE given_by IN ('parent_carer', 'family'))
       ) AS family_feedback,
       count(*) FILTER (WHERE c.involvement = 'displaying_hsb' AND r.continuum_level <> ''
                          AND c.confirmed_continuum_level <> '') AS level_compared,
       count(*) FILTER (WHERE c.involvement = 'displaying_hsb' AND r.continuum_level <> ''
                          AND c.confirmed_continuum_level = r.continuum_level) AS level_agrees,
       count(*) FILTER (WHERE c.involvement = 'displaying_hsb' AND r.source = '2A'
                          AND c.current_stage_id <> ALL(%(initial)s)) AS school_decided,
       count(*) FILTER (WHERE c.involvement = 'displaying_hsb') AS displaying_hsb,
       count(*) FILTER (WHERE c.involvement = 'displaying_hsb' AND (
           (c.closed_at IS NOT NULL AND c.process_ptr_id IN (
               SELECT case_id FROM cases_stagemove WHERE from_stage_id = ANY(%(initial)s)
               GROUP BY case_id
               HAVING bool_or(kind = 'close') AND NOT bool_or(kind = 'route')))
           OR (c.closed_at IS NULL AND c.current_stage_id = ANY(%(initial)s)
               AND c.stage_due_on < %(today)s)
       )) AS not_receiving_service
FROM cases_case c LEFT JOIN cases_referral r ON r.id = c.referral_id
WHERE {PERIOD}
"""

SERVED_CASES = f"""
SELECT count(*) AS served,
       count(*) FILTER (WHERE c.involvement = 'displaying_hsb') AS served_hsb,
       count(*) FILTER (WHERE c.involvement = 'displaying_hsb' AND r.source = '2A'
                          AND c.current_stage_id <> ALL(%(initial)s)) AS school_taken_up,
       count(*) FILTER (WHERE c.process_ptr_id IN (
           SELECT case_id FROM cases_teammember WHERE agency_id IN ({SCHOOLS}))
       ) AS school_on_team
FROM cases_case c LEFT JOIN cases_referral r ON r.id = c.referral_id
WHERE {PERIOD} AND c.process_ptr_id IN ({SERVED})
"""

DECISIONS = f"""
WITH decision AS (  -- each case's first move out of the initial decision
    SELECT DISTINCT ON (m.case_id) m.transition_id, r.police_involved AS police,
           {_working_days(_day("c.referral_received_at"), _day("m.moved_at"))} AS days
    FROM cases_stagemove m
    JOIN cases_case c ON c.process_ptr_id = m.case_id
    LEFT JOIN cases_referral r ON r.id = c.referral_id
    WHERE m.from_stage_id = ANY(%(initial)s) AND {PERIOD}
    ORDER BY m.case_id, m.moved_at, m.id
)
SELECT GROUPING(police, t.key) AS breakdown, police, t.key AS decision_key,
       count(*) AS decided,
       count(*) FILTER (WHERE days <= 1) AS decided_in_time,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS decision_median
FROM decision LEFT JOIN pathways_transition t ON t.id = decision.transition_id
GROUP BY GROUPING SETS ((), (police, t.key))
"""

ROUTINGS = f"""
WITH routing AS (  -- each case's first route out of the initial decision
    SELECT DISTINCT ON (m.case_id) m.case_id, m.moved_at
    FROM cases_stagemove m JOIN cases_case c ON c.process_ptr_id = m.case_id
    WHERE m.from_stage_id = ANY(%(initial)s) AND m.kind = 'route' AND {PERIOD}
    ORDER BY m.case_id, m.moved_at, m.id
)
SELECT count(*) AS routed,
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM cases_stagemove s
           WHERE s.case_id = routing.case_id AND s.transition_id = ANY(%(steps)s)
             AND s.moved_at > routing.moved_at
             AND s.moved_at <= routing.moved_at + interval '90 days'
       )) AS stepped
FROM routing
"""

LEADS = f"""
SELECT count(*) AS with_lead, percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS lead_median
FROM (
    SELECT {_day("min(d.started_at)")} - {_day("min(p.created)")} AS days
    FROM cases_leaddesignation d
    JOIN cases_case c ON c.process_ptr_id = d.case_id
    JOIN viewflow_process p ON p.id = c.process_ptr_id
    WHERE {PERIOD} AND c.involvement = 'displaying_hsb' AND c.process_ptr_id IN ({SERVED})
    GROUP BY d.case_id
) first_leads
"""

# The statutory clock: from the referral to children's social care (a step-up's moment),
# else the case's referral.
CSC_CLOCK = "min(coalesce(c.csc_referred_at, c.referral_received_at))"

TIMELINESS = f"""
WITH first AS (  -- each case's first CSC assessment started, and first authorised
    SELECT {_working_days(_day(CSC_CLOCK), _day("min(a.started_at)"))} AS started_days,
           {_working_days(_day(CSC_CLOCK), _day("min(a.authorised_at)"))} AS authorised_days
    FROM assessments_assessment a JOIN cases_case c ON c.process_ptr_id = a.case_id
    WHERE {PERIOD} AND a.assessment_type = 'csc_assessment'
    GROUP BY a.case_id
)
SELECT count(started_days) AS started,
       count(*) FILTER (WHERE started_days <= 45) AS started_in_time,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY started_days) AS started_median,
       count(authorised_days) AS authorised,
       count(*) FILTER (WHERE authorised_days <= 45) AS authorised_in_time,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY authorised_days) AS authorised_median
FROM first
"""

ASSESSMENTS = f"""
SELECT count(*) FILTER (WHERE a.started_at IS NOT NULL) AS started,
       count(*) FILTER (WHERE a.started_at IS NOT NULL AND a.tool_warnings = '[]') AS suitable,
       count(*) FILTER (WHERE a.tool_warnings <> '[]' OR a.type_warnings <> '[]') AS warned,
       count(*) FILTER (WHERE (a.tool_warnings <> '[]' OR a.type_warnings <> '[]')
                          AND (a.tool_warnings = '[]' OR a.tool_justification <> '')
                          AND (a.type_warnings = '[]' OR a.type_justification <> '')) AS justified,
       count(*) FILTER (WHERE a.started_at IS NOT NULL AND a.harmful_behaviours <> ''
                          AND a.development <> '' AND a.family <> ''
                          AND a.environment <> '') AS holistic,
       count(*) FILTER (WHERE a.started_at IS NOT NULL AND k.agencies >= 2) AS multi_agency,
       count(*) FILTER (WHERE a.started_at IS NOT NULL AND a.id IN (
           SELECT assessment_id FROM assessments_assessmentcontribution
           WHERE agency_id IN ({SCHOOLS}))) AS school_contribution
FROM assessments_assessment a
JOIN cases_case c ON c.process_ptr_id = a.case_id
LEFT JOIN (
    SELECT assessment_id, count(DISTINCT agency_id) AS agencies
    FROM assessments_assessmentcontribution GROUP BY assessment_id
) k ON k.assessment_id = a.id
WHERE {PERIOD}
"""

OPEN_CASES = """
SELECT count(*) AS open, count(*) FILTER (WHERE stage_due_on < %(today)s) AS overdue
FROM cases_case
WHERE closed_at IS NULL AND pathway_version_id = ANY(%(versions)s)
"""

CHILDREN = f"""
SELECT age, gender, ethnicity, sen, learning_disability, count(*) AS children
FROM (
    SELECT DISTINCT ON (c.child_id)
           date_part('year', age(
               (c.referral_received_at AT TIME ZONE %(zone)s)::date, ch.date_of_birth
           ))::int AS age,
           ch.gender, ch.ethnicity, ch.special_educational_needs AS sen, ch.learning_disability
    FROM cases_case c JOIN cases_child ch ON ch.id = c.child_id
    WHERE {PERIOD} AND c.involvement = 'displaying_hsb'
    ORDER BY c.child_id, c.referral_received_at, c.process_ptr_id
) first_cases
GROUP BY age, gender, ethnicity, sen, learning_disability
"""

STATEMENTS = {
    "referrals": REFERRALS,
    "period cases": PERIOD_CASES,
    "served cases": SERVED_CASES,
    "decisions": DECISIONS,
    "routings": ROUTINGS,
    "leads": LEADS,
    "timeliness": TIMELINESS,
    "assessments": ASSESSMENTS,
    "open cases": OPEN_CASES,
    "children": CHILDREN,
}


def parameters(scope: Any) -> dict[str, Any]:
    from django.conf import settings

    return {
        "versions": list(scope.version_ids),
        "initial": list(scope.initial_stage_ids),
        "steps": list(scope.step_transition_ids),
        "working": list(scope.working),
        "starts": scope.starts,
        "ends": scope.ends,
        "today": scope.today,
        "zone": settings.TIME_ZONE,
    }


def run(cursor: Any, params: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    for name, sql in STATEMENTS.items():
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        rows[name] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return rows


# --- the same figures, side by side ---------------------------------------------------------

Values = dict[str, tuple[Any, Any, Any, dict[str, int]]]


def _ratio(rows: dict[str, Any], hits: str, total: str, value: str = "") -> tuple[Any, ...]:
    return (rows[hits], rows[total], rows[value] if value else None, {})


def handwritten_values(rows: dict[str, list[dict[str, Any]]], age_bands: Any) -> Values:
    """{figure key: (numerator, denominator, median, non-zero cells)} from the statements."""
    referrals = rows["referrals"]
    total = sum(row["referrals"] for row in referrals)

    def referral_sum(column: str) -> int:
        return sum(row[column] for row in referrals)

    cases = rows["period cases"][0]
    decisions = next(row for row in rows["decisions"] if row["breakdown"] == 3)
    cases.update(decisions)
    cases.update(rows["served cases"][0])
    cases.update(rows["routings"][0])
    cases.update(rows["leads"][0])
    cases.update(rows["timeliness"][0])
    police_cells: dict[str, int] = {}
    for row in rows["decisions"]:
        if row["breakdown"] == 0 and row["police"] and row["decision_key"] is not None:
            police_cells[row["decision_key"]] = row["decided"]
    awaiting = cases["police_cases"] - sum(police_cells.values())
    if awaiting:
        police_cells["awaiting_decision"] = awaiting
    assessments = rows["assessments"][0]
    open_cases = rows["open cases"][0]
    children = rows["children"]

    def children_by(column: str, key: Any = None) -> dict[Any, int]:
        cells: dict[Any, int] = {}
        for row in children:
            value = key(row[column]) if key else row[column]
            cells[value] = cells.get(value, 0) + row["children"]
        return {k: v for k, v in cells.items() if v}

    def band(age: int) -> str:
        return next(b.key for b in age_bands if b.highest is None or age <= b.highest)

    hsb = sum(row["children"] for row in children)
    values: Values = {
        "referral_sources": (
            None,
            total,
            None,
            {row["source"]: row["referrals"] for row in referrals if row["referrals"]},
        ),
        "education_share": (referral_sum("from_education"), total, None, {}),
        "re_referrals": (referral_sum("re_referrals"), total, None, {}),
        "initial_decision_within_one_working_day": _ratio(
            cases, "decided_in_time", "decided", "decision_median"
        ),
        "assessment_started_within_45_days": _ratio(
            cases, "started_in_time", "started", "started_median"
        ),
        "assessment_authorised_within_45_days": _ratio(
            cases, "authorised_in_time", "authorised", "authorised_median"
        ),
        "stepped_within_90_days": _ratio(cases, "stepped", "routed"),
        "police_involved_routes": (cases["police_cases"], cases["cases"], None, police_cells),
        "lead_practitioner_designated": _ratio(cases, "with_lead", "served_hsb", "lead_median"),
        "child_process_feedback": _ratio(cases, "child_feedback", "cases"),
        "family_process_feedback": _ratio(cases, "family_feedback", "cases"),
        "continuum_level_agreement": _ratio(cases, "level_agrees", "level_compared"),
        "school_referrals_taken_up": _ratio(cases, "school_taken_up", "school_decided"),
        "school_on_team": _ratio(cases, "school_on_team", "served"),
        "school_assessment_contributions": _ratio(assessments, "school_contribution", "started"),
        "not_receiving_service": _ratio(cases, "not_receiving_service", "displaying_hsb"),
        "stages_overdue_now": _ratio(open_cases, "overdue", "open"),
        "suitable_tool": _ratio(assessments, "suitable", "started"),
        "warnings_justified": _ratio(assessments, "justified", "warned"),
        "holistic_sections_complete": _ratio(assessments, "holistic", "started"),
        "multi_agency_contributions": _ratio(assessments, "multi_agency", "started"),
        "children_displaying_hsb": (hsb, None, None, {}),
        "children_by_age_band": (None, hsb, None, children_by("age", band)),
        "children_by_gender": (None, hsb, None, children_by("gender")),
        "children_by_ethnicity": (None, hsb, None, children_by("ethnicity")),
        "children_with_sen": (children_by("sen").get(True, 0), hsb, None, {}),
        "children_with_learning_disability": (
            children_by("learning_disability").get(True, 0),
            hsb,
            None,
            {},
        ),
    }
    return values


def dashboard_values(figures: Any) -> Values:
    return {
        figure.key: (
            figure.numerator,
            figure.denominator,
            figure.value,
            {cell.key: cell.count for cell in figure.cells if cell.count},
        )
        for figure in figures
    }


def differences(dashboard: Values, handwritten: Values) -> list[str]:
    """Where the two disagree (medians to a millionth): empty when they agree."""
    problems = []
    for key in sorted(set(dashboard) | set(handwritten)):
        ours, theirs = dashboard.get(key), handwritten.get(key)
        if ours is None or theirs is None:
            problems.append(f"{key}: only in {'the SQL' if ours is None else 'the dashboard'}")
            continue
        same_value = (ours[2] is None and theirs[2] is None) or (
            ours[2] is not None and theirs[2] is not None and abs(ours[2] - theirs[2]) < 1e-6
        )
        if ours[:2] != theirs[:2] or not same_value or ours[3] != theirs[3]:
            problems.append(f"{key}: dashboard {ours} != hand-written SQL {theirs}")
    return problems
