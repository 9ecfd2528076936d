"""GET /api/cases/<id>/ reads exactly what it shows: its queries pinned, its answer unchanged.

The case detail is the HTTP benchmark's (benchmarks/http_load.py) busiest single-record read:
a signed-in user's session and user, the case (its columns only), its route, and the read's
audit event; the same number however long the route. Stages and transitions come from the
case's published version (pathways.compiled); a move made on another version is read with its
stages, one query more. The case and route reads are compiled once (cases.api.detail_read) and
prepared on the server: grants are still read, and their expiry checked, when they run.
"""

import datetime
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from agencies.roles import Role
from agencies.tests.factories import LocalAreaFactory
from cases.access.services import grant_case_access, revoke_case_access
from cases.api import detail_read
from cases.api.views import _answer_to_write
from cases.models import AccessGrant, AccessGrantKind, Case, CaseUserObjectPermission, StageMove
from cases.process import engine
from cases.services import add_team_member
from cases.tests.factories import open_case
from pathways.tests.factories import published_default_version

pytestmark = pytest.mark.django_db

# The compiled reads are kept and prepared on PostgreSQL only (SQLite: compiled per request).
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="compiled reads are kept on PostgreSQL"
)

# Session, user, the case, its route; then the read's audit event.
DETAIL_QUERIES = 4


@pytest.fixture
def led_case(default_version, front_door, lead_practitioner):
    case = open_case(version=default_version, actor=front_door)
    case = engine.take_transition(
        case=case,
        transition="route_to_early_help",
        actor=front_door,
        # Its lead practitioner named with the routing (issue 16, item 10).
        data={"continuum_level": "problematic", "lead_practitioner": lead_practitioner.pk},
    )
    case.refresh_from_db()
    return case


def _session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _detail(client, case):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("api:cases:case-detail", args=[case.pk]))
    assert response.status_code == 200
    return response.json(), queries


def test_the_detail_reads_the_case_and_its_route_once_each(
    led_case, lead_practitioner, read_audit_queries
):
    _, queries = _detail(_session_client(lead_practitioner), led_case)

    assert len(queries) == DETAIL_QUERIES + read_audit_queries, [
        q["sql"][:120] for q in queries.captured_queries
    ]


def test_a_longer_route_costs_no_more_queries(
    led_case, lead_practitioner, front_door, read_audit_queries
):
    case = engine.take_transition(
        case=led_case,
        transition="step_up_to_hsb_panel",
        actor=lead_practitioner,
        reason="Invented: concerns grew.",
        data={"continuum_level": "abusive"},
    )

    body, queries = _detail(_session_client(lead_practitioner), case)

    assert len(body["route"]) == 3
    assert len(queries) == DETAIL_QUERIES + read_audit_queries


@on_postgres
def test_the_reads_name_only_the_columns_shown(led_case, lead_practitioner):
    _detail(_session_client(lead_practitioner), led_case)
    # The statements as compiled (sent as PREPARE once per connection, then EXECUTE).
    case_read = detail_read._CASE_READS[
        (
            lead_practitioner.pk,
            lead_practitioner.role,
            lead_practitioner.agency_id,
            lead_practitioner.is_active,
        )
    ]
    reads = [case_read.sql, detail_read._route_read(False).sql]

    for sql in reads:
        # Nothing of the lead's or actor's account but their names, nor viewflow's process row.
        assert '"password"' not in sql
        assert '"email"' not in sql
        assert '"viewflow_process"' not in sql
        # Stages and transitions from the published version's cache, not joined.
        assert '"pathways_stage"' not in sql
        assert '"pathways_transition"' not in sql


def test_the_answer_is_the_full_records_serialised(led_case, lead_practitioner, front_door):
    body, _ = _detail(_session_client(lead_practitioner), led_case)

    # What the write endpoints answer: every column read, the same serializer; the same
    # bytes as that serializer's data rendered (keys in its order).
    assert body == _answer_to_write(led_case)
    response = _session_client(lead_practitioner).get(
        reverse("api:cases:case-detail", args=[led_case.pk])
    )
    assert response.content == JSONRenderer().render(_answer_to_write(led_case))
    assert body["lead_practitioner"] == str(lead_practitioner)
    assert [move["to_stage"] for move in body["route"]] == ["initial_decision", "early_help"]
    assert body["route"][-1]["actor"] == str(front_door)


def test_a_move_on_another_version_is_read_with_its_stages(
    led_case, lead_practitioner, read_audit_queries
):
    # As after the case was moved to a newer version: a move names a stage it does not hold.
    elsewhere = published_default_version(area=LocalAreaFactory())
    other_stage = elsewhere.stages.get(key="early_help")
    move = StageMove.objects.filter(case=led_case).order_by("-moved_at", "-pk").first()
    StageMove.objects.filter(pk=move.pk).update(to_stage=other_stage)

    body, queries = _detail(_session_client(lead_practitioner), led_case)

    assert len(queries) == DETAIL_QUERIES + 1 + read_audit_queries
    assert body == _answer_to_write(led_case)
    assert body["route"][-1]["to_stage"] == "early_help"


def test_every_field_is_shown_as_the_serializer_shows_it(
    led_case, lead_practitioner, front_door, manager
):
    # A case with every field the detail shows set: a team, a closed stage's dates, a
    # continuum level, a closure, a lead with no names (shown by username), a move's data.
    add_team_member(
        case=led_case, agency=manager.agency, role_on_case="Invented support", actor=front_door
    )
    Case.objects.filter(pk=led_case.pk).update(
        stage_overdue_since=timezone.now(),
        stage_due_on=datetime.date(2026, 3, 1),
        closed_at=timezone.now(),
        closure_reason="RC1",
        significant_harm_suspected=True,
    )
    type(lead_practitioner).objects.filter(pk=lead_practitioner.pk).update(
        first_name="", last_name=""
    )
    StageMove.objects.filter(case=led_case).update(
        data={"outcome": "Invented ü", "n": [1, 2.5, None]}, due_on=datetime.date(2026, 2, 2)
    )

    response = _session_client(front_door).get(reverse("api:cases:case-detail", args=[led_case.pk]))

    assert response.status_code == 200
    expected = _answer_to_write(led_case)
    assert expected["lead_practitioner"] == lead_practitioner.username
    assert expected["overdue"] is True and expected["closure_reason"] == "RC1"
    assert response.content == JSONRenderer().render(expected)


# --- the compiled visibility read: grants read when it runs ----------------------------------


def _grant(case, user, actor):
    return grant_case_access(
        case=case,
        user=user,
        kind=AccessGrantKind.CONSULTANT,
        reason="Invented: a consultation on the plan.",
        actor=actor,
    )


def test_a_grant_opens_the_case_to_the_compiled_read_and_revoking_closes_it(
    led_case, lead_practitioner, make_user
):
    consultant = make_user(Role.TEAM_MEMBER)
    client = _session_client(consultant)
    url = reverse("api:cases:case-detail", args=[led_case.pk])
    assert client.get(url).status_code == 404  # compiled and kept, before any grant

    grant = _grant(led_case, consultant, lead_practitioner)
    assert client.get(url).status_code == 200

    revoke_case_access(grant=grant, actor=lead_practitioner, reason="Invented: done.")
    assert client.get(url).status_code == 404


def test_a_grant_stops_working_when_it_expires_not_when_the_read_was_compiled(
    led_case, lead_practitioner, make_user
):
    consultant = make_user(Role.TEAM_MEMBER)
    _grant(led_case, consultant, lead_practitioner)
    client = _session_client(consultant)
    url = reverse("api:cases:case-detail", args=[led_case.pk])
    assert client.get(url).status_code == 200  # the read compiled now, and kept

    # Expires after that first read and before the next: a clock kept in the compiled
    # statement (the first read's) would still let the consultant in.
    expiry = timezone.now() + datetime.timedelta(milliseconds=200)
    AccessGrant.objects.filter(user=consultant).update(expires_at=expiry)
    CaseUserObjectPermission.objects.filter(user=consultant).update(expires_at=expiry)
    time.sleep(0.3)

    assert client.get(url).status_code == 404


@pytest.mark.django_db(transaction=True)
@on_postgres
def test_a_read_whose_prepared_statement_was_dropped_is_prepared_again(led_case, lead_practitioner):
    client = _session_client(lead_practitioner)
    url = reverse("api:cases:case-detail", args=[led_case.pk])
    first = client.get(url)
    with connection.cursor() as cursor:  # as a DISCARD ALL from elsewhere would
        cursor.execute("DEALLOCATE ALL")

    again = client.get(url)

    assert again.status_code == 200 and again.content == first.content


def test_a_place_on_the_team_given_after_the_read_was_compiled_opens_the_case(
    led_case, lead_practitioner, make_user
):
    # The role's access paths are read when the statement runs, not when it was compiled.
    member = make_user(Role.TEAM_MEMBER)
    client = _session_client(member)
    url = reverse("api:cases:case-detail", args=[led_case.pk])
    assert client.get(url).status_code == 404

    add_team_member(
        case=led_case,
        agency=member.agency,
        practitioner=member,
        role_on_case="Invented: youth worker",
        actor=lead_practitioner,
    )

    assert client.get(url).status_code == 200
