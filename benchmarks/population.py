"""An invented partnership of many areas for the list benchmark, written with set-based SQL.

`populate(cases)` publishes the default pathway in each of `AREAS` areas and writes `cases`
cases spread evenly over them (case g is in area `(g - 1) mod AREAS`, so every area's cases
are spread over the whole table, as cases opened over time are), each with its child, its
viewflow process row, a lead practitioner from the area's pool (none for half the cases
waiting at the initial decision), a stage (a third closed; the open ones due from 12 days
ago to 48 days ahead, those past due flagged overdue), a team (one practitioner, one agency
with no named practitioner, a tenth of them left) and stage moves (the start, and the move
into the current stage; a third of the closed cases went through the HSB panel). One case in
33 has a consultant's grant in force, one in 50 an expired one, with their guardian rows.

Each access path the list benchmark times has a user who sees one whole area (the serving
role's row-level security holds a user to their own area, so 5,000 cases of an area of
5,000 is the most one user can see there):

- `lead`: a lead practitioner who leads every case of area 0;
- `team`: a lead practitioner on the team (active) of every case of area 1, leading none;
- `grants`: a lead practitioner with a grant in force on every case of area 2, no other role;
- `area`: the front door of area 3;
- `manager`: the team manager of area 4, whose agency employs every practitioner there;
- `coordinator`: the HSB coordinator of area 5 (the cases at or once at a specialist stage).

INSERT … SELECT through `benchmarks.dashboard`'s `_insert` (every other column its model
default). SQL uses mod() rather than %, which the driver reserves.
"""

from __future__ import annotations

from typing import Any

from benchmarks.dashboard import _insert, _reset_sequence

AREAS = 20
POOL = 40  # practitioners per area
PATHS = ("lead", "team", "grants", "area", "manager", "coordinator")

# The current stage of an open or closed case, by slot (k * 7 mod 20, k its place in its area).
STAGE_SLOTS = (
    ["closed"] * 7
    + ["initial_decision"] * 2
    + ["universal_support"]
    + ["early_help"] * 4
    + ["hsb_panel", "specialist_assessment", "csc_assessment"]
    + ["plan_and_intervention"] * 2
    + ["review"]
)


def _people(areas: list[Any]) -> dict[str, Any]:
    """Each area's agencies, pool of practitioners and area-wide roles, and the path users."""
    from django.contrib.auth.hashers import make_password

    from agencies.models import Agency, AgencyType, User
    from agencies.roles import Role

    kinds = list(AgencyType)[:3]
    unusable = make_password(None)  # invented people: no one signs in as them
    users: list[User] = []
    pools: list[list[User]] = []
    agencies: list[list[Agency]] = []
    for index, area in enumerate(areas):
        mine = [
            Agency.objects.create(
                area=area, name=f"List bench {index} {kind.label}", agency_type=kind
            )
            for kind in kinds
        ]
        agencies.append(mine)
        # The manager's area: every practitioner works for the manager's agency.
        employers = [mine[0]] if index == 4 else mine
        pool = [
            User(
                username=f"list_{index}_lead_{n}",
                role=Role.LEAD_PRACTITIONER,
                agency=employers[n % len(employers)],
                password=unusable,
            )
            for n in range(POOL)
        ]
        pools.append(pool)
        users += pool
        users += [
            User(username=f"list_{index}_{role}", role=role, agency=mine[0], password=unusable)
            for role in (Role.FRONT_DOOR, Role.TEAM_MANAGER, Role.HSB_COORDINATOR)
        ]
    path_users = {
        "lead": User(username="path_lead", role=Role.LEAD_PRACTITIONER, agency=agencies[0][1]),
        "team": User(username="path_team", role=Role.LEAD_PRACTITIONER, agency=agencies[1][1]),
        "grants": User(username="path_grants", role=Role.LEAD_PRACTITIONER, agency=agencies[2][1]),
    }
    for user in path_users.values():
        user.password = unusable
    User.objects.bulk_create([*users, *path_users.values()])
    by_name = {user.username: user for user in User.objects.filter(username__startswith="list_")}
    path_users["area"] = by_name["list_3_front_door"]
    path_users["manager"] = by_name["list_4_team_manager"]
    path_users["coordinator"] = by_name["list_5_hsb_coordinator"]
    for key in ("lead", "team", "grants"):
        path_users[key] = User.objects.get(username=f"path_{key}")
    return {
        "pools": [[by_name[user.username] for user in pool] for pool in pools],
        "agencies": agencies,
        "paths": path_users,
    }


def populate(cases: int) -> dict[str, Any]:
    """Write the areas, people and `cases` cases; returns the path users and rows per table."""
    from django.contrib.auth.models import Permission
    from django.db import connection, transaction
    from viewflow.workflow.fields import get_flow_ref
    from viewflow.workflow.models import Process
    from viewflow.workflow.status import PROCESS

    from agencies.models import LocalArea
    from cases.models import (
        AccessGrant,
        Case,
        CaseUserObjectPermission,
        Child,
        StageMove,
        TeamMember,
    )
    from cases.process.flow import PathwayFlow
    from pathways.models import ServiceTier
    from pathways.services import create_draft_version, publish_version
    from pathways.tests.factories import DEFAULT_PATHWAY_YAML
    from pathways.yaml_io import parse_yaml

    definition = parse_yaml(DEFAULT_PATHWAY_YAML.read_text())
    areas = [LocalArea.objects.create(name=f"List bench area {n} (invented)") for n in range(AREAS)]
    versions = [
        publish_version(
            version=create_draft_version(area=area, definition=definition, actor=None), actor=None
        )
        for area in areas
    ]
    people = _people(areas)
    paths = people["paths"]
    view_case = Permission.objects.get(content_type__app_label="cases", codename="view_case")
    counts: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(max(id), 0) FROM viewflow_process")
        base = int(cursor.fetchone()[0])
        # Per area: its id, version, stage per slot, pool; looked up by `a` below.
        cursor.execute(
            "CREATE TEMP TABLE bench_area (a int PRIMARY KEY, area_id bigint, version_id bigint,"
            " pool bigint[], agencies bigint[]) ON COMMIT DROP"
        )
        cursor.executemany(
            "INSERT INTO bench_area VALUES (%s, %s, %s, %s, %s)",
            [
                (
                    n,
                    area.pk,
                    versions[n].pk,
                    [user.pk for user in people["pools"][n]],
                    [agency.pk for agency in people["agencies"][n]],
                )
                for n, area in enumerate(areas)
            ],
        )
        cursor.execute(
            "CREATE TEMP TABLE bench_stage (a int, slot int, stage_id bigint, closed bool,"
            " specialist bool, PRIMARY KEY (a, slot)) ON COMMIT DROP"
        )
        rows = []
        for n, version in enumerate(versions):
            stages = {stage.key: stage for stage in version.stages.all()}
            for slot, key in enumerate(STAGE_SLOTS):
                stage = stages[key]
                specialist = stage.tier == ServiceTier.SPECIALIST
                rows.append((n, slot, stage.pk, stage.is_terminal, specialist))
        cursor.executemany("INSERT INTO bench_stage VALUES (%s, %s, %s, %s, %s)", rows)

        # g: 1..cases; a: its area; k: its place in its area; slot: its stage.
        series = (
            f"FROM (SELECT g, mod(g - 1, {AREAS}) AS a, (g - 1) / {AREAS} AS k "  # noqa: S608
            "FROM generate_series(1, %s) AS g) n "
            "JOIN bench_area ba ON ba.a = n.a "
            "JOIN bench_stage bs ON bs.a = n.a AND bs.slot = mod(n.k * 7, 20)"
        )
        counts["children"] = _insert(
            cursor,
            Child,
            {
                "id": f"{base} + g",
                "reference": f"'LIST-' || ({base} + g)",
                "first_name": "'Invented'",
                "last_name": "'Child ' || g",
                "date_of_birth": "(now() - ((5 * 365 + mod(g * 37, 12 * 365)) * interval '1 day'))"
                "::date",
                "gender": "(ARRAY['girl', 'boy', 'boy', 'non_binary'])[1 + mod(g, 4)]",
                "area_id": "ba.area_id",
            },
            series,
            cases,
        )
        flow = get_flow_ref(PathwayFlow).replace("'", "''")
        opened = "now() - ((30 + mod(g * 7919, 700)) * interval '1 day')"
        counts["processes"] = _insert(
            cursor,
            Process,
            {
                "id": f"{base} + g",
                "flow_class": f"'{flow}'",
                "status": f"CASE WHEN bs.closed THEN '{PROCESS.DONE}' ELSE '{PROCESS.NEW}' END",
                "created": opened,
                "finished": f"CASE WHEN bs.closed THEN {opened} + interval '20 days' END",
            },
            series,
            cases,
        )
        due = "(current_date + (mod(n.k * 11, 60) - 12))"
        lead_expression = (
            f"CASE WHEN n.a = 0 THEN {paths['lead'].pk} "
            "WHEN bs.slot IN (7, 8) AND mod(n.k, 2) = 0 THEN NULL "
            f"ELSE ba.pool[1 + mod(n.k * 13, {POOL})] END"
        )
        counts["cases"] = _insert(
            cursor,
            Case,
            {
                "process_ptr_id": f"{base} + g",
                "child_id": f"{base} + g",
                "involvement": "CASE WHEN mod(g, 8) = 0 THEN 'harmed' ELSE 'displaying_hsb' END",
                "pathway_version_id": "ba.version_id",
                "area_id": "ba.area_id",
                "current_stage_id": "bs.stage_id",
                "referral_received_at": opened,
                "stage_entered_at": f"{opened} + interval '10 days'",
                "stage_due_on": f"CASE WHEN bs.closed THEN NULL ELSE {due} END",
                "stage_overdue_since": f"CASE WHEN NOT bs.closed AND {due} < current_date "
                f"THEN {due}::timestamptz END",
                "lead_practitioner_id": lead_expression,
                "closed_at": f"CASE WHEN bs.closed THEN {opened} + interval '20 days' END",
                "closure_reason": "CASE WHEN bs.closed THEN 'RC8' ELSE '' END",
            },
            series,
            cases,
        )
        joined = f"{opened} + interval '2 days'"
        counts["team members"] = _insert(
            cursor,
            TeamMember,
            {
                "case_id": f"{base} + g",
                "practitioner_id": f"ba.pool[1 + mod(n.k * 17 + 5, {POOL})]",
                "agency_id": "(SELECT agency_id FROM agencies_user u "  # noqa: S608
                f"WHERE u.id = ba.pool[1 + mod(n.k * 17 + 5, {POOL})])",
                "role_on_case": "'Practitioner (invented)'",
                "joined_at": joined,
                "left_at": f"CASE WHEN mod(n.k, 10) = 0 THEN {joined} + interval '5 days' END",
            },
            series,
            cases,
        )
        counts["team members"] += _insert(
            cursor,
            TeamMember,
            {
                "case_id": f"{base} + g",
                "agency_id": "ba.agencies[1 + mod(n.k, 3)]",
                "role_on_case": "'Agency (invented)'",
                "joined_at": joined,
            },
            series,
            cases,
        )
        counts["team members"] += _insert(
            cursor,
            TeamMember,
            {
                "case_id": f"{base} + g",
                "practitioner_id": str(paths["team"].pk),
                "agency_id": str(paths["team"].agency_id),
                "role_on_case": "'Practitioner (invented)'",
                "joined_at": joined,
            },
            f"{series} WHERE n.a = 1",
            cases,
        )
        granted = "now() - interval '10 days'"
        grant_rows = (
            # (who, which cases, expiry)
            (str(paths["grants"].pk), "n.a = 2", "NULL"),
            (f"ba.pool[1 + mod(n.k * 3, {POOL})]", "n.a <> 2 AND mod(n.k, 33) = 0", "NULL"),
            (
                f"ba.pool[1 + mod(n.k * 3 + 1, {POOL})]",
                "n.a <> 2 AND mod(n.k, 50) = 0",
                "now() - interval '1 day'",
            ),
        )
        counts["grants"] = 0
        counts["guardian rows"] = 0
        for who, which, expires in grant_rows:
            counts["grants"] += _insert(
                cursor,
                AccessGrant,
                {
                    "case_id": f"{base} + g",
                    "user_id": who,
                    "kind": "'consultant'",
                    "reason": "'Invented consultation.'",
                    "granted_by_id": "ba.pool[1]",
                    "granted_at": granted,
                    "expires_at": expires,
                },
                f"{series} WHERE {which}",
                cases,
            )
            counts["guardian rows"] += _insert(
                cursor,
                CaseUserObjectPermission,
                {
                    "permission_id": str(view_case.pk),
                    "user_id": who,
                    "content_object_id": f"{base} + g",
                    "expires_at": expires,
                },
                f"{series} WHERE {which} "
                "ON CONFLICT (user_id, permission_id, content_object_id) DO NOTHING",
                cases,
            )
        initial = "(SELECT id FROM pathways_stage st WHERE st.version_id = ba.version_id "
        initial_stage = initial + "AND st.key = 'initial_decision')"
        panel_stage = initial + "AND st.key = 'hsb_panel')"
        counts["stage moves"] = _insert(
            cursor,
            StageMove,
            {
                "case_id": f"{base} + g",
                "kind": "'start'",
                "to_stage_id": initial_stage,
                "moved_at": opened,
            },
            series,
            cases,
        )
        counts["stage moves"] += _insert(
            cursor,
            StageMove,
            {
                "case_id": f"{base} + g",
                "kind": "'transition'",
                "from_stage_id": initial_stage,
                "to_stage_id": panel_stage,
                "moved_at": f"{opened} + interval '1 day'",
            },
            f"{series} WHERE bs.closed AND mod(n.k, 3) = 0",
            cases,
        )
        counts["stage moves"] += _insert(
            cursor,
            StageMove,
            {
                "case_id": f"{base} + g",
                "kind": "'transition'",
                "from_stage_id": initial_stage,
                "to_stage_id": "bs.stage_id",
                "moved_at": f"{opened} + interval '10 days'",
            },
            f"{series} WHERE bs.slot NOT IN (7, 8)",
            cases,
        )
        for model in (Child, Process, TeamMember, AccessGrant, CaseUserObjectPermission, StageMove):
            _reset_sequence(cursor, model)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"paths": paths, "counts": counts, "areas": [area.pk for area in areas]}
