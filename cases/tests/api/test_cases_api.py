import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.roles import Role
from audit.models import AuditEvent
from cases.models import Case, StageMove
from cases.services import designate_lead_practitioner
from cases.tests.factories import open_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def _client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_front_door_routes_a_case_through_the_api(
    default_version, front_door, lead_practitioner
):
    case = open_case(version=default_version, actor=front_door)
    client = _client_for(front_door)

    offered = client.get(reverse("api:cases:case-transitions", args=[case.pk])).json()
    assert "route_to_early_help" in {option["key"] for option in offered}

    response = client.post(
        reverse("api:cases:case-transitions", args=[case.pk]),
        {
            "transition": "route_to_early_help",
            "data": {"continuum_level": "problematic", "lead_practitioner": lead_practitioner.pk},
            "expected_version": case.lock_version,
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["stage"]["key"] == "early_help"
    assert [move["to_stage"] for move in body["route"]] == ["initial_decision", "early_help"]


def test_a_guard_failure_is_a_400_naming_the_guard_and_writes_nothing(default_version, front_door):
    case = open_case(version=default_version, actor=front_door)
    moves, events = StageMove.objects.count(), AuditEvent.objects.count()

    response = _client_for(front_door).post(
        reverse("api:cases:case-transitions", args=[case.pk]),
        {
            "transition": "refer_to_hsb_panel",
            "data": {"continuum_level": "inappropriate"},
            "expected_version": case.lock_version,
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "guard_failed"
    assert response.json()["guards"] == ["continuum_level_in"]
    assert (StageMove.objects.count(), AuditEvent.objects.count()) == (moves, events)


def test_bad_transition_data_gets_field_messages(default_version, front_door):
    case = open_case(version=default_version, actor=front_door)

    response = _client_for(front_door).post(
        reverse("api:cases:case-transitions", args=[case.pk]),
        {"transition": "no_further_action", "data": {"closure_reason": "RC99"}},
        format="json",
    )

    assert response.status_code == 400
    fields = response.json()["fields"]
    assert "closure_reason" in fields["data"]
    assert "expected_version" in fields


def test_a_stale_version_is_a_409_conflict(default_version, front_door, lead_practitioner):
    case = open_case(version=default_version, actor=front_door)
    client = _client_for(front_door)
    url = reverse("api:cases:case-transitions", args=[case.pk])
    first = {
        "transition": "route_to_early_help",
        "data": {"continuum_level": "problematic", "lead_practitioner": lead_practitioner.pk},
        "expected_version": case.lock_version,
    }
    assert client.post(url, first, format="json").status_code == 200

    second = client.post(
        url,
        {
            "transition": "no_further_action",
            "reason": "x",
            "data": {"closure_reason": "no_further_action"},
            "expected_version": case.lock_version,
        },
        format="json",
    )

    assert second.status_code == 409
    assert second.json()["code"] == "stale_case"
    assert Case.objects.get(pk=case.pk).current_stage.key == "early_help"


def test_a_role_the_transition_does_not_allow_gets_403(default_version, front_door, make_user):
    case = open_case(version=default_version, actor=front_door)
    lead = make_user(Role.LEAD_PRACTITIONER)
    designate_lead_practitioner(case=case, practitioner=lead, actor=front_door)
    case.refresh_from_db()

    # The lead sees the case, but routing at the initial decision is not for their role.
    response = _client_for(lead).post(
        reverse("api:cases:case-transitions", args=[case.pk]),
        {
            "transition": "route_to_early_help",
            "data": {"continuum_level": "problematic"},
            "expected_version": case.lock_version,
        },
        format="json",
    )

    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed_for_role"


def test_a_case_outside_the_users_view_is_404_not_403(default_version, front_door, make_user):
    case = open_case(version=default_version, actor=front_door)
    stranger = make_user(Role.LEAD_PRACTITIONER)

    response = _client_for(stranger).get(reverse("api:cases:case-detail", args=[case.pk]))
    missing = _client_for(stranger).get(reverse("api:cases:case-detail", args=[999999]))

    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()


def test_anonymous_requests_are_refused(api, default_version, front_door):
    assert api.get(reverse("api:cases:case-list")).status_code in (401, 403)


def test_designating_a_lead_through_the_api(default_version, front_door, manager, make_user):
    case = open_case(version=default_version, actor=front_door)  # awaiting allocation
    lead = make_user(Role.LEAD_PRACTITIONER, agency=manager.agency)

    response = _client_for(manager).post(
        reverse("api:cases:case-lead-practitioner", args=[case.pk]),
        {"practitioner": lead.pk},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert Case.objects.get(pk=case.pk).lead_practitioner == lead


@pytest.mark.parametrize("url_name", ["api:cases:case-list", "api:cases:task-inbox"])
def test_list_endpoints_use_the_same_queries_for_3_and_30_cases(
    url_name, default_version, front_door, read_audit_queries
):
    client = _client_for(front_door)
    for _ in range(3):
        open_case(version=default_version, actor=front_door)
    with CaptureQueriesContext(connection) as three:
        assert len(client.get(reverse(url_name)).json()["results"]) == 3
    for _ in range(27):
        open_case(version=default_version, actor=front_door)
    with CaptureQueriesContext(connection) as thirty:
        assert len(client.get(reverse(url_name)).json()["results"]) == 30

    assert len(thirty) == len(three) <= 4 + read_audit_queries
