"""The dashboard and drill-down endpoints: suppression, pseudonyms, roles, query counts."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.models import User
from agencies.roles import Role
from audit.models import AuditEvent
from cases.tests.factories import open_case
from partnership.tests.dataset import EXPECTED, PERIOD

pytestmark = pytest.mark.django_db

PERIOD_QUERY = {"date_from": PERIOD[0].isoformat(), "date_to": PERIOD[1].isoformat()}


def _client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _dashboard(user, **params):
    return _client_for(user).get(reverse("api:partnership:dashboard"), {**PERIOD_QUERY, **params})


def _cases_url(key):
    return reverse("api:partnership:figure-cases", args=[key])


def test_a_manager_gets_every_figure_exactly(dataset, make_user):
    response = _dashboard(make_user(Role.TEAM_MANAGER))

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["suppressed"] is False
    figures = {figure["key"]: figure for figure in body["figures"]}
    assert {key: (f["numerator"], f["denominator"]) for key, f in figures.items()} == EXPECTED
    assert figures["initial_decision_within_one_working_day"]["median"] == 1.0
    assert figures["education_share"]["share"] == 54.5
    assert figures["education_share"]["statement"] == "3.6"


def test_an_analyst_gets_no_number_for_a_small_count(dataset, analyst):
    body = _dashboard(analyst).json()

    assert body["suppressed"] is True
    figures = {figure["key"]: figure for figure in body["figures"]}
    re_referrals = figures["re_referrals"]  # 3 of 11
    assert (re_referrals["numerator"], re_referrals["numerator_display"]) == (None, "<5")
    assert (re_referrals["share"], re_referrals["share_display"]) == (None, "—")
    assert re_referrals["denominator"] == 11 and re_referrals["withheld"] is True
    assert figures["education_share"]["numerator"] == 6
    cells = {cell["key"]: cell for cell in figures["children_by_age_band"]["cells"]}
    assert (cells["13_15"]["count"], cells["13_15"]["count_display"]) == (None, "<5")
    # A median over fewer than five cases is withheld too (3 assessments started).
    assert figures["assessment_started_within_45_days"]["median"] is None


def test_filters_apply_and_unknown_values_are_refused(dataset, make_user):
    manager = make_user(Role.TEAM_MANAGER)

    boys = {f["key"]: f for f in _dashboard(manager, gender="boy").json()["figures"]}
    refused = _dashboard(manager, gender="dragon")

    assert (boys["education_share"]["numerator"], boys["education_share"]["denominator"]) == (3, 5)
    assert refused.status_code == 400
    assert "gender" in refused.json()["fields"]


@pytest.mark.parametrize(
    "role",
    [Role.DSL, Role.FRONT_DOOR, Role.LEAD_PRACTITIONER, Role.SYSTEM_ADMINISTRATOR, Role.AUDITOR],
)
def test_other_roles_get_403(make_user, role):
    user = make_user(role)

    assert _client_for(user).get(reverse("api:partnership:dashboard")).status_code == 403
    assert _client_for(user).get(_cases_url("education_share")).status_code == 403


def test_an_anonymous_caller_gets_401():
    assert APIClient().get(reverse("api:partnership:dashboard")).status_code == 401


def test_an_analysts_drill_down_is_pseudonymised_and_not_audited(dataset, analyst):
    response = _client_for(analyst).get(
        _cases_url("education_share"), {**PERIOD_QUERY, "part": "denominator"}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["pseudonymised"] is True and body["count"] == 10
    text = str(body["results"])
    assert all(
        re.fullmatch(r"Case [0-9A-F]{4}-[0-9A-F]{4}", row["label"]) for row in body["results"]
    )
    assert all(row["case"] is None and row["url"] is None for row in body["results"])
    for forbidden in [*dataset.names, *dataset.references, *dataset.dates_of_birth]:
        assert forbidden not in text
    assert not AuditEvent.objects.filter(action="partnership.drilldown_viewed").exists()


def test_an_analysts_small_drill_down_lists_nothing(dataset, analyst):
    body = _client_for(analyst).get(_cases_url("re_referrals"), PERIOD_QUERY).json()

    assert (body["withheld"], body["results"], body["count_display"]) == (True, [], "<5")


def test_a_coordinators_drill_down_is_audited(dataset, coordinator_user):
    response = _client_for(coordinator_user).get(
        _cases_url("police_involved_routes"),
        {**PERIOD_QUERY, "part": "cell", "cell": "refer_to_hsb_panel"},
    )

    assert [row["label"] for row in response.json()["results"]] == ["PT-K2"]
    event = AuditEvent.objects.get(action="partnership.drilldown_viewed")
    assert event.changes["cases"] == [dataset.cases["C2"].pk]
    assert event.changes["cell"] == "refer_to_hsb_panel"


def test_an_unknown_figure_is_404_and_a_missing_part_400(dataset, analyst):
    client = _client_for(analyst)

    assert client.get(_cases_url("no_such_figure")).status_code == 404
    assert client.get(_cases_url("referral_sources"), {"part": "numerator"}).status_code == 400
    assert client.get(_cases_url("referral_sources"), {"part": "sideways"}).status_code == 400


def _open_cases(count, version, actor):
    for _ in range(count):
        open_case(version=version, actor=actor)


@pytest.mark.parametrize(("role", "small"), [(Role.TEAM_MANAGER, 3), (Role.ANALYST, 5)])
def test_the_drill_down_costs_the_same_queries_for_few_and_30_cases(
    default_version, front_door, make_user, role, small, read_audit_queries
):
    user = make_user(role)
    url = _cases_url("child_process_feedback")

    def rows(client, **params):
        return client.get(url, {"part": "denominator", **params}).json()["results"]

    _open_cases(small, default_version, front_door)
    client = _client_for(User.objects.get(pk=user.pk))  # fresh, as a request loads it
    with CaptureQueriesContext(connection) as few:
        assert len(rows(client)) == small
    _open_cases(30 - small, default_version, front_door)
    client = _client_for(User.objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as thirty:
        assert len(rows(client, page=1)) == 25

    # The user's area; its region, first stages and step transitions; the count, the page. A
    # manager's also asks which cases they may open and audits the read (in a savepoint).
    # An analyst's also computes the period's whole dashboard (14 aggregate queries): its
    # secondary suppression decides whether the list may be shown.
    # PostgreSQL's reads run in a savepoint with their planner settings (one statement).
    expected = 6 + 14 if role == Role.ANALYST else 7 + 2 + read_audit_queries
    expected += 3 if connection.vendor == "postgresql" else 0
    assert len(thirty) == len(few) == expected
