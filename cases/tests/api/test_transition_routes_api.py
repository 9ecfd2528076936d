"""The transitions endpoint routes each child by their own involvement, names a lead with a
move into a stage that needs one, and shows what each move asks for (issue 16, items 1, 10)."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEvent
from cases.models import Case, LeadDesignation, StageMove
from cases.tests.factories import open_case

pytestmark = pytest.mark.django_db


def _client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _url(case):
    return reverse("api:cases:case-transitions", args=[case.pk])


def _written():
    return (StageMove.objects.count(), LeadDesignation.objects.count(), AuditEvent.objects.count())


def test_child_harmed_case_offers_no_continuum_routes_through_the_api(default_version, front_door):
    case = open_case(version=default_version, actor=front_door, involvement="harmed")

    offered = _client_for(front_door).get(_url(case)).json()

    assert [option["key"] for option in offered] == [
        "open_csc_assessment",
        "no_further_action",
        "support_child_harmed",
        "plan_safety_for_child_harmed",
    ]
    assert not any("continuum_level" in option["asks"] for option in offered)
    support = offered[2]
    assert support["needs"] == ["lead_practitioner"]
    assert support["reason_required"] is False


def test_a_continuum_route_for_a_child_harmed_is_a_400_naming_the_rule(default_version, front_door):
    case = open_case(version=default_version, actor=front_door, involvement="harmed")
    before = _written()

    response = _client_for(front_door).post(
        _url(case),
        {
            "transition": "route_to_universal_support",
            "data": {"continuum_level": "normal"},
            "expected_version": case.lock_version,
        },
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "not_for_this_child"
    assert "each child is routed by their own involvement" in body["fields"]["transition"][0]
    assert _written() == before


def test_routing_to_early_help_names_the_lead_in_the_same_request(
    default_version, front_door, lead_practitioner
):
    case = open_case(version=default_version, actor=front_door)
    client = _client_for(front_door)
    offered = {option["key"]: option for option in client.get(_url(case)).json()}
    assert offered["route_to_early_help"]["needs"] == ["lead_practitioner"]
    assert "lead_practitioner" in offered["route_to_early_help"]["asks"]

    response = client.post(
        _url(case),
        {
            "transition": "route_to_early_help",
            "data": {"continuum_level": "problematic", "lead_practitioner": lead_practitioner.pk},
            "expected_version": case.lock_version,
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["stage"]["key"] == "early_help"
    assert Case.objects.get(pk=case.pk).lead_practitioner == lead_practitioner
    assert LeadDesignation.objects.filter(case=case, practitioner=lead_practitioner).exists()


def test_routing_to_early_help_without_a_lead_is_a_400_naming_the_rule(default_version, front_door):
    case = open_case(version=default_version, actor=front_door)
    before = _written()

    response = _client_for(front_door).post(
        _url(case),
        {
            "transition": "route_to_early_help",
            "data": {"continuum_level": "problematic"},
            "expected_version": case.lock_version,
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "lead_practitioner_required"
    assert response.json()["fields"] == {
        "lead_practitioner": [
            "'Early help' needs a designated lead practitioner: name one with this move."
        ]
    }
    assert _written() == before


@pytest.mark.parametrize("value", ["abc", 0, -3, True])
def test_a_lead_that_is_not_a_user_id_is_a_400(default_version, front_door, value):
    case = open_case(version=default_version, actor=front_door)

    response = _client_for(front_door).post(
        _url(case),
        {
            "transition": "route_to_early_help",
            "data": {"continuum_level": "problematic", "lead_practitioner": value},
            "expected_version": case.lock_version,
        },
        format="json",
    )

    assert response.status_code == 400
    assert "lead_practitioner" in str(response.json())
    assert Case.objects.get(pk=case.pk).current_stage.key == "initial_decision"
