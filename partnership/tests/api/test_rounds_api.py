"""The audit round endpoints: open, score, agree, radar, exports; roles and query counts."""

import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from agencies.models import User
from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory
from partnership.models import AuditRound
from partnership.services import open_audit_round, record_agency_score

pytestmark = pytest.mark.django_db


def _client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _fresh(user):
    """A client for a fresh copy of the user, as a real request loads it."""
    return _client_for(User.objects.get(pk=user.pk))


def _url(name, *args):
    return reverse(f"api:partnership:{name}", args=args)


def test_the_coordinator_opens_a_round_and_others_may_not(statements, coordinator_user, make_user):
    payload = {"label": "T1", "period_start": "2025-01-01", "period_end": "2025-06-30"}

    created = _client_for(coordinator_user).post(_url("round-list"), payload, format="json")
    refused = _client_for(make_user(Role.TEAM_MANAGER)).post(
        _url("round-list"), {**payload, "label": "T2"}, format="json"
    )
    invalid = _client_for(coordinator_user).post(
        _url("round-list"), {**payload, "label": ""}, format="json"
    )

    assert created.status_code == 201, created.json()
    assert created.json()["label"] == "T1" and created.json()["status"] == "open"
    assert refused.status_code == 403
    assert invalid.status_code == 400 and "label" in invalid.json()["fields"]


def test_scoring_and_agreeing_through_the_api(audit_round, statements, make_user, coordinator_user):
    school, police = make_user(Role.TEAM_MANAGER), make_user(Role.TEAM_MANAGER)
    for manager, score in ((school, 3), (police, 1)):
        response = _client_for(manager).post(
            _url("round-scores", audit_round.pk),
            {"statement": "3.5", "score": score, "evidence": "Case file audit."},
            format="json",
        )
        assert response.status_code == 201, response.json()
    coordinator = _client_for(coordinator_user)

    without = coordinator.post(
        _url("round-agreed-score", audit_round.pk), {"statement": "3.5", "score": 2}, format="json"
    )
    with_reason = coordinator.post(
        _url("round-agreed-score", audit_round.pk),
        {"statement": "3.5", "score": 2, "rationale": "The police sample was small."},
        format="json",
    )
    detail = coordinator.get(_url("round-detail", audit_round.pk)).json()

    assert without.status_code == 400 and without.json()["code"] == "rationale_required"
    assert with_reason.status_code == 200 and with_reason.json()["basis"] == "agreed"
    domain_3 = next(d for d in detail["domains"] if d["number"] == 3)
    row = next(s for s in domain_3["statements"] if s["ref"] == "3.5")
    assert row["lowest"] == 1 and row["agreed"]["score"] == 2
    assert sorted(score["score"] for score in row["scores"]) == [1, 3]


def test_a_bad_score_is_400_and_a_closed_round_409(
    audit_round, statements, make_user, coordinator_user
):
    manager = _client_for(make_user(Role.TEAM_MANAGER))

    bad = manager.post(
        _url("round-scores", audit_round.pk),
        {"statement": "3.5", "score": 7, "evidence": "x"},
        format="json",
    )
    _client_for(coordinator_user).post(_url("round-close", audit_round.pk))
    closed = manager.post(
        _url("round-scores", audit_round.pk),
        {"statement": "3.5", "score": 2, "evidence": "x"},
        format="json",
    )

    assert bad.status_code == 400 and "score" in bad.json()["fields"]
    assert closed.status_code == 409


def test_another_partnerships_round_is_404(audit_round, statements, make_user):
    elsewhere = make_user(
        Role.TEAM_MANAGER, agency=AgencyFactory(area=LocalAreaFactory(name="Elsewhere"))
    )

    assert _client_for(elsewhere).get(_url("round-detail", audit_round.pk)).status_code == 404


def test_the_radar_svg_overlays_two_rounds(audit_round, statements, coordinator_user, analyst):
    later = open_audit_round(
        label="T2",
        period_start=date(2025, 7, 1),
        period_end=date(2025, 12, 31),
        actor=coordinator_user,
    )

    response = _client_for(analyst).get(
        _url("round-radar", audit_round.pk), {"compare": later.pk, "view": "statements"}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert response.content.decode().count('class="radar-series"') == 2


def test_the_exports_download(audit_round, statements, make_user, analyst):
    manager = make_user(Role.TEAM_MANAGER)
    record_agency_score(
        audit_round=audit_round,
        statement=statements["3.7"],
        agency=manager.agency,
        score=2,
        evidence="Audit.",
        actor=manager,
    )
    client = _client_for(analyst)

    xlsx = client.get(_url("round-xlsx", audit_round.pk))
    pdf = client.get(_url("round-pdf", audit_round.pk))

    assert xlsx.status_code == 200 and "attachment" in xlsx["Content-Disposition"]
    rows = {
        row[1]: row
        for row in load_workbook(io.BytesIO(xlsx.content))["Statements"].iter_rows(values_only=True)
    }
    assert rows["3.7"][3] == 2
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_suggested_evidence_and_statements(dataset, audit_round, analyst):
    client = _client_for(analyst)

    evidence = {
        row["statement"]: row["evidence"]
        for row in client.get(_url("round-evidence", audit_round.pk)).json()
    }
    statements = client.get(_url("statement-list")).json()

    assert "6 of 11" in evidence["3.6"]
    assert len(statements) == 46 and statements[0]["ref"] == "1.1"


@pytest.mark.parametrize("role", [Role.DSL, Role.SYSTEM_ADMINISTRATOR, Role.LEAD_PRACTITIONER])
def test_the_audit_is_closed_to_other_roles(audit_round, make_user, role):
    client = _client_for(make_user(role))

    assert client.get(_url("round-list")).status_code == 403
    assert client.get(_url("round-detail", audit_round.pk)).status_code == 403


def test_the_round_list_costs_the_same_queries_for_3_and_30(statements, coordinator_user, area):

    def add(count, start):
        AuditRound.objects.bulk_create(
            AuditRound(
                area=area,
                label=f"T{n}",
                period_start=date(2020, 1, 1),
                period_end=date(2020, 6, 30),
                created_at="2020-07-01T00:00Z",
            )
            for n in range(start, start + count)
        )

    add(3, 1)
    client = _fresh(coordinator_user)
    with CaptureQueriesContext(connection) as three:
        assert client.get(_url("round-list")).json()["count"] == 3
    add(27, 4)
    client = _fresh(coordinator_user)
    with CaptureQueriesContext(connection) as thirty:
        assert client.get(_url("round-list")).json()["count"] == 30

    assert len(thirty) == len(three) == 3  # the user's area, the count, the page


def test_the_score_list_costs_the_same_queries_for_3_and_30(
    audit_round, statements, coordinator_user, area
):
    refs = [ref for ref, statement in statements.items() if statement.scored]
    agencies = [AgencyFactory(area=area) for _ in range(2)]

    def score(rows):
        for agency, ref in rows:
            record_agency_score(
                audit_round=audit_round,
                statement=statements[ref],
                agency=agency,
                score=2,
                evidence="E.",
                actor=coordinator_user,
            )

    score([(agencies[0], ref) for ref in refs[:3]])
    client = _fresh(coordinator_user)
    with CaptureQueriesContext(connection) as three:
        assert client.get(_url("round-scores", audit_round.pk)).json()["count"] == 3
    score([(agencies[0], ref) for ref in refs[3:15]] + [(agencies[1], ref) for ref in refs[:15]])
    client = _fresh(coordinator_user)
    with CaptureQueriesContext(connection) as thirty:
        assert client.get(_url("round-scores", audit_round.pk)).json()["count"] == 30

    assert len(thirty) == len(three) == 4  # the user's area, the round, the count, the page
