"""Areas are walls for the partnership's figures and audit rounds (issue 12).

Figures, drill-downs and exports count only the actor's area; another area's round, or an
agency of another area named by id in a payload, answers exactly like one that does not exist.
"""

from datetime import date

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory, UserFactory
from partnership.exceptions import PartnershipNotFound
from partnership.models import AgencyScore
from partnership.services import open_audit_round, record_agency_score

pytestmark = pytest.mark.django_db

MISSING = 987654


@pytest.fixture
def south(db):
    return LocalAreaFactory(name="Southmere")


@pytest.fixture
def south_coordinator(south):
    return UserFactory(role=Role.HSB_COORDINATOR, agency=AgencyFactory(area=south))


@pytest.fixture
def south_round(statements, south_coordinator):
    return open_audit_round(
        label="T1",
        period_start=date(2025, 4, 1),
        period_end=date(2025, 6, 30),
        actor=south_coordinator,
    )


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _url(name, *args):
    return reverse(f"api:partnership:{name}", args=args)


def _same_as_missing(theirs, missing):
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


@pytest.mark.parametrize(
    ("method", "route", "body"),
    [
        ("get", "round-detail", None),
        ("post", "round-close", None),
        ("post", "round-scores", {"statement": "3.5", "score": 2, "evidence": "Invented."}),
        ("post", "round-agreed-score", {"statement": "3.5", "score": 2, "rationale": "x"}),
        ("get", "round-evidence", None),
    ],
)
def test_another_areas_round_reads_and_writes_like_a_missing_one(
    coordinator_user, south_round, method, route, body
):
    client = _client(coordinator_user)

    def call(pk):
        return getattr(client, method)(_url(route, pk), body, format="json")

    _same_as_missing(call(south_round.pk), call(MISSING))
    south_round.refresh_from_db()
    assert south_round.status == "open"
    assert not AgencyScore.objects.filter(round=south_round).exists()


def test_another_areas_round_is_not_in_the_list(coordinator_user, audit_round, south_round):
    listed = _client(coordinator_user).get(_url("round-list")).json()["results"]

    assert [row["id"] for row in listed] == [audit_round.pk]


def test_comparing_with_another_areas_round_is_not_found(
    coordinator_user, audit_round, south_round
):
    client = _client(coordinator_user)

    theirs = client.get(_url("round-radar", audit_round.pk), {"compare": south_round.pk})
    missing = client.get(_url("round-radar", audit_round.pk), {"compare": MISSING})

    assert theirs.status_code == missing.status_code == 404


def test_scoring_for_an_agency_of_another_area_reads_like_a_missing_agency(
    coordinator_user, audit_round, south
):
    client = _client(coordinator_user)

    def post(agency_id):
        body = {"statement": "3.5", "score": 2, "evidence": "Invented.", "agency": agency_id}
        return client.post(_url("round-scores", audit_round.pk), body, format="json")

    _same_as_missing(post(AgencyFactory(area=south).pk), post(MISSING))
    assert not AgencyScore.objects.exists()


def test_the_service_refuses_another_areas_agency_and_round(
    coordinator_user, audit_round, south_round, statements, south
):
    for round_, agency in (
        (audit_round, AgencyFactory(area=south)),
        (south_round, coordinator_user.agency),
    ):
        with pytest.raises(PartnershipNotFound):
            record_agency_score(
                audit_round=round_,
                statement=statements["3.5"],
                agency=agency,
                score=2,
                evidence="Invented.",
                actor=coordinator_user,
            )


def test_the_dashboard_counts_only_the_own_area(dataset, make_user, south):
    # The dataset's case C12 is another partnership's referral in the same period.
    manager = make_user(Role.TEAM_MANAGER)
    response = _client(manager).get(
        _url("dashboard"), {"date_from": "2025-04-01", "date_to": "2025-06-30"}
    )

    figures = {figure["key"]: figure for figure in response.json()["figures"]}
    assert figures["referral_sources"]["denominator"] == 11
