"""The area walls of 0007, with the session's areas read once per statement (issue 15).

0007's predicates call `app_area_visible(area_id)`, which PostgreSQL inlines as
`coalesce(current_setting(...), '') = '' OR area_id = ANY (string_to_array(current_setting(...),
',')::bigint[])`: the setting is read and parsed again for every row, and the OR hides the
area from every index. Listing the 5,000 cases of one area of 100,000 as the serving role
read all 100,000 to find them (9 of 10 ms of a count), and a team table's wall hashed every
case of every area to check its 5,000 rows.

Here the same walls read the setting in sub-selects, `(SELECT app_system_context())` and
`(SELECT app_area_ids())`, which PostgreSQL evaluates once per statement (an InitPlan):
each row then compares its area with a constant array, and `area_id = ANY (...)` is an
index condition. Who sees which row is unchanged: an unset or empty setting is the system
context (every row), '-1' matches nothing, otherwise the listed areas.
"""

import importlib

from django.db import migrations

FUNCTIONS = """
CREATE OR REPLACE FUNCTION app_area_ids() RETURNS bigint[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT string_to_array(nullif(current_setting('app.area_ids', true), ''), ',')::bigint[]
$$;
"""
SYSTEM = "(SELECT app_system_context())"


def _in_areas(column: str) -> str:
    # The cast keeps `ANY` an array comparison (`ANY (SELECT ...)` would be a subquery's rows).
    return f"{column} = ANY ((SELECT app_area_ids())::bigint[])"


def _visible(column: str) -> str:
    return f"{SYSTEM} OR {_in_areas(column)}"


def _via_case(table: str, column: str) -> str:
    return (
        f"{SYSTEM} OR EXISTS (SELECT 1 FROM cases_case c "
        f"WHERE c.process_ptr_id = {table}.{column} AND {_in_areas('c.area_id')})"
    )


# table -> the predicate a row must meet (the same tables and rules as 0007).
POLICIES = {
    "cases_child": _visible("area_id"),
    "cases_referral": _visible("area_id"),
    "cases_case": _visible("area_id"),
    "cases_referralbehaviour": (
        f"{SYSTEM} OR EXISTS (SELECT 1 FROM cases_referral r "
        f"WHERE r.id = cases_referralbehaviour.referral_id AND {_in_areas('r.area_id')})"
    ),
    "cases_referralchild": _via_case("cases_referralchild", "case_id"),
    "cases_stagemove": _via_case("cases_stagemove", "case_id"),
    "cases_leaddesignation": _via_case("cases_leaddesignation", "case_id"),
    "cases_teammember": _via_case("cases_teammember", "case_id"),
    "cases_recordedview": _via_case("cases_recordedview", "case_id"),
    "cases_casenote": _via_case("cases_casenote", "case_id"),
    "cases_accessgrant": _via_case("cases_accessgrant", "case_id"),
    "cases_case_linked_cases": _via_case("cases_case_linked_cases", "from_case_id"),
    "cases_caseuserobjectpermission": _via_case(
        "cases_caseuserobjectpermission", "content_object_id"
    ),
    # A decision to share is also visible in the recipient agency's area.
    "cases_informationsharingdecision": (
        _via_case("cases_informationsharingdecision", "case_id")
        + " OR EXISTS (SELECT 1 FROM agencies_agency a WHERE a.id = "
        f"cases_informationsharingdecision.recipient_agency_id AND {_in_areas('a.area_id')})"
    ),
    "cases_breakglassreview": (
        f"{SYSTEM} OR EXISTS (SELECT 1 FROM cases_accessgrant g "
        "JOIN cases_case c ON c.process_ptr_id = g.case_id "
        f"WHERE g.id = cases_breakglassreview.grant_id AND {_in_areas('c.area_id')})"
    ),
    "assessments_assessment": _via_case("assessments_assessment", "case_id"),
    "assessments_assessmentcontribution": (
        f"{SYSTEM} OR EXISTS (SELECT 1 FROM assessments_assessment s "
        "JOIN cases_case c ON c.process_ptr_id = s.case_id "
        "WHERE s.id = assessments_assessmentcontribution.assessment_id "
        f"AND {_in_areas('c.area_id')})"
    ),
}
POLICY = "area_wall"


def _replace(schema_editor, policies: dict[str, str], functions: str = "") -> None:
    statements = [functions] if functions else []
    for table, predicate in policies.items():
        statements += [
            f"DROP POLICY IF EXISTS {POLICY} ON {table}",
            f"CREATE POLICY {POLICY} ON {table} USING ({predicate}) WITH CHECK ({predicate})",
        ]
    schema_editor.execute(";\n".join(statements))


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _replace(schema_editor, POLICIES, FUNCTIONS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        before = importlib.import_module("cases.migrations.0007_row_level_security")
        _replace(schema_editor, before.POLICIES)
        schema_editor.execute("DROP FUNCTION IF EXISTS app_area_ids()")


class Migration(migrations.Migration):
    dependencies = [("cases", "0009_flow_moved_beside_the_case")]

    operations = [migrations.RunPython(forwards, backwards)]
