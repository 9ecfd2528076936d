"""Row-level security on the case-bearing tables, keyed by area (PostgreSQL only).

Policies admit a row when its area is in the session's `app.area_ids` setting (a
comma-separated list of local area ids, set per request by
agencies.db_context.DatabaseAreaMiddleware). An unset or empty setting is the system
context (the worker, management commands): every row. A signed-in user with no area gets
'-1', which matches nothing. Tables that hang off a case (or a referral) follow their parent
through EXISTS on its primary key. RLS is ENABLEd, not FORCEd: the owner role that runs
migrations bypasses it, the serving role (which owns nothing) is bound by it.
"""

from django.db import migrations

FUNCTIONS = """
CREATE OR REPLACE FUNCTION app_system_context() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('app.area_ids', true), '') = ''
$$;
CREATE OR REPLACE FUNCTION app_area_visible(area bigint) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('app.area_ids', true), '') = ''
        OR area = ANY (string_to_array(current_setting('app.area_ids', true), ',')::bigint[])
$$;
"""


def _via_case(table: str, column: str) -> str:
    return (
        f"app_system_context() OR EXISTS (SELECT 1 FROM cases_case c "
        f"WHERE c.process_ptr_id = {table}.{column} AND app_area_visible(c.area_id))"
    )


# table -> the predicate a row must meet outside the system context.
POLICIES = {
    "cases_child": "app_area_visible(area_id)",
    "cases_referral": "app_area_visible(area_id)",
    "cases_case": "app_area_visible(area_id)",
    "cases_referralbehaviour": (
        "app_system_context() OR EXISTS (SELECT 1 FROM cases_referral r "
        "WHERE r.id = cases_referralbehaviour.referral_id AND app_area_visible(r.area_id))"
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
    # A decision to share is also visible in the recipient agency's area: the recipient
    # sees what was shared (the decision), never the case it came from.
    "cases_informationsharingdecision": (
        _via_case("cases_informationsharingdecision", "case_id")
        + " OR EXISTS (SELECT 1 FROM agencies_agency a WHERE a.id = "
        "cases_informationsharingdecision.recipient_agency_id AND app_area_visible(a.area_id))"
    ),
    "cases_breakglassreview": (
        "app_system_context() OR EXISTS (SELECT 1 FROM cases_accessgrant g "
        "JOIN cases_case c ON c.process_ptr_id = g.case_id "
        "WHERE g.id = cases_breakglassreview.grant_id AND app_area_visible(c.area_id))"
    ),
    "assessments_assessment": _via_case("assessments_assessment", "case_id"),
    "assessments_assessmentcontribution": (
        "app_system_context() OR EXISTS (SELECT 1 FROM assessments_assessment s "
        "JOIN cases_case c ON c.process_ptr_id = s.case_id "
        "WHERE s.id = assessments_assessmentcontribution.assessment_id "
        "AND app_area_visible(c.area_id))"
    ),
}
POLICY = "area_wall"


def enable(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    statements = [FUNCTIONS]
    for table, predicate in POLICIES.items():
        statements += [
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"DROP POLICY IF EXISTS {POLICY} ON {table}",
            f"CREATE POLICY {POLICY} ON {table} USING ({predicate}) WITH CHECK ({predicate})",
        ]
    schema_editor.execute(";\n".join(statements))


def disable(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    statements = []
    for table in POLICIES:
        statements += [
            f"DROP POLICY IF EXISTS {POLICY} ON {table}",
            f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
        ]
    statements += [
        "DROP FUNCTION IF EXISTS app_area_visible(bigint)",
        "DROP FUNCTION IF EXISTS app_system_context()",
    ]
    schema_editor.execute(";\n".join(statements))


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_area_columns"),
        # The assessment tables hang off a case and carry the same wall.
        ("assessments", "0004_load_assessment_tools"),
    ]

    operations = [migrations.RunPython(enable, disable)]
