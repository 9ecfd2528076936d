"""GET /api/cases/<id>/ reads exactly what it shows: its queries pinned, its answer unchanged.

The case detail is the HTTP benchmark's (benchmarks/http_load.py) busiest single-record read:
a signed-in user's session and user, the case (its columns only), its route, and the read's
audit event; the same number however long the route. Stages and transitions come from the
case's published version (pathways.compiled); a move made on another version is read with its
stages, one query more.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.tests.factories import LocalAreaFactory
from cases.api.views import _answer_to_write
from cases.models import StageMove
from cases.process import engine
from cases.services import designate_lead_practitioner
from cases.tests.factories import open_case
from pathways.tests.factories import published_default_version

pytestmark = pytest.mark.django_db

# Session, user, the case, its route; then the read's audit event.
DETAIL_QUERIES = 4


@pytest.fixture
def led_case(default_version, front_door, lead_practitioner):
    case = open_case(version=default_version, actor=front_door)
    case = engine.take_transition(
        case=case,
        transition="route_to_early_help",
        actor=front_door,
        data={"continuum_level": "problematic"},
    )
    return designate_lead_practitioner(case=case, practitioner=lead_practitioner, actor=front_door)


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
    )

    body, queries = _detail(_session_client(lead_practitioner), case)

    assert len(body["route"]) == 3
    assert len(queries) == DETAIL_QUERIES + read_audit_queries


def test_the_reads_name_only_the_columns_shown(led_case, lead_practitioner):
    _, queries = _detail(_session_client(lead_practitioner), led_case)
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    reads = [sql for sql in selects if '"cases_' in sql.split(" FROM ")[1].split(" ")[0]]

    assert len(reads) == 2  # the case and its route
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

    # What the write endpoints answer: every column read, the same serializer.
    assert body == _answer_to_write(led_case)
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
