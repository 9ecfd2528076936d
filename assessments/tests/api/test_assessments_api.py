"""The assessment endpoints: list, detail, request, the steps, and tools with suitability."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory
from assessments.models import Assessment, AssessmentStatus

from ..factories import (
    OUTCOME,
    SECTIONS_DONE,
    child_aged,
    early_help_case,
    requested,
    started,
    submitted,
)

pytestmark = pytest.mark.django_db


def _client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _url(name, *args):
    return reverse(f"api:assessments:{name}", args=args)


@pytest.fixture
def lead_client(lead_practitioner):
    return _client_for(lead_practitioner)


@pytest.fixture
def manager_client(manager):
    return _client_for(manager)


# --- list --------------------------------------------------------------------------------------


def _cases_with_assessments(count, *, default_version, front_door, lead, manager, tool):
    for _ in range(count):
        case = early_help_case(
            version=default_version, front_door=front_door, lead=lead, manager=manager
        )
        requested(case, lead)
    # Authorised with a tool and a recommendation: every related row the list shows.
    Assessment.objects.update(
        status="authorised",
        tool=tool,
        authorised_at=timezone.now(),
        authorised_by=manager,
        recommended_route="step_up_to_hsb_panel",
    )


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_costs_the_same_queries_for_3_and_30(
    count,
    tools,
    default_version,
    front_door,
    lead_practitioner,
    manager,
    manager_client,
    read_audit_queries,
):
    _cases_with_assessments(
        count,
        default_version=default_version,
        front_door=front_door,
        lead=lead_practitioner,
        manager=manager,
        tool=tools["brook_traffic_light"],
    )
    manager_client.get(_url("assessment-list"))  # warm the compiled pathway version

    with CaptureQueriesContext(connection) as queries:
        response = manager_client.get(_url("assessment-list"))

    assert response.status_code == 200
    assert response.json()["count"] == count
    assert {row["recommendation"]["offered"] for row in response.json()["results"]} == {True}
    # session-less token auth: count + page of assessments with their cases and people,
    # then the one audit event naming the assessments shown
    assert len(queries) == 2 + read_audit_queries


def test_the_list_filters_by_case_status_and_overdue(
    case, tools, default_version, front_door, lead_practitioner, manager, manager_client
):
    other = early_help_case(
        version=default_version, front_door=front_door, lead=lead_practitioner, manager=manager
    )
    mine = started(case, lead_practitioner, tools["brook_traffic_light"])
    theirs = requested(other, lead_practitioner)
    Assessment.objects.filter(pk=theirs.pk).update(
        due_on=timezone.localdate() - datetime.timedelta(days=1)
    )

    def ids(**params):
        response = manager_client.get(_url("assessment-list"), params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(case=case.pk) == [mine.pk]
    assert ids(status="started") == [mine.pk]
    assert ids(overdue="true") == [theirs.pk]
    assert ids(overdue="false") == [mine.pk]


def test_a_bad_filter_is_a_field_message(manager_client):
    response = manager_client.get(_url("assessment-list"), {"status": "lost", "case": "x"})

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"status", "case"}


def test_the_list_shows_the_recommendation_once_authorised(
    case, tools, lead_practitioner, manager, lead_client
):
    assessment = submitted(case, lead_practitioner, tools["brook_traffic_light"])
    _client_for(manager).post(_url("assessment-authorise", assessment.pk), {}, format="json")

    row = lead_client.get(_url("assessment-list"), {"case": case.pk}).json()["results"][0]

    assert row["status"] == "authorised"
    assert row["recommendation"] == {
        "transition": "step_up_to_hsb_panel",
        "name": "Step up to HSB panel",
        "to_stage": "Multi-agency HSB panel",
        "offered": True,
    }


# --- request and detail ------------------------------------------------------------------------


def test_requesting_an_assessment(case, lead_client, lead_practitioner):
    response = lead_client.post(
        _url("assessment-list"),
        {"case": case.pk, "assessment_type": "nice_early_help_assessment"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "requested"
    assert body["assessor"] == {"id": lead_practitioner.pk, "name": str(lead_practitioner)}
    assert body["due_on"] == case.stage_due_on.isoformat()
    assert body["actions"] == ["start", "contributions"]


def test_a_case_outside_the_users_cases_is_404(case, make_user):
    outsider = _client_for(make_user(Role.LEAD_PRACTITIONER))
    assessment = requested(case, case.lead_practitioner)

    created = outsider.post(
        _url("assessment-list"), {"case": case.pk, "assessment_type": "screening"}, format="json"
    )
    detail = outsider.get(_url("assessment-detail", assessment.pk))
    started_ = outsider.post(
        _url("assessment-start", assessment.pk), {"tool": "brook_traffic_light"}, format="json"
    )
    tools = outsider.get(_url("tool-list"), {"case": case.pk})

    assert [r.status_code for r in (created, detail, started_, tools)] == [404] * 4


def test_a_type_that_does_not_suit_the_level_is_400_naming_the_field(case, lead_client):
    response = lead_client.post(
        _url("assessment-list"),
        {"case": case.pk, "assessment_type": "specialist_assessment"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "justification_required"
    assert list(response.json()["fields"]) == ["type_justification"]


# --- the steps ---------------------------------------------------------------------------------


def test_an_adolescent_tool_for_a_nine_year_old_is_400_naming_the_rule(
    tools, default_version, front_door, lead_practitioner, manager, lead_client
):
    case = early_help_case(
        version=default_version,
        front_door=front_door,
        lead=lead_practitioner,
        manager=manager,
        child=child_aged(9),
    )
    assessment = requested(case, lead_practitioner, "comprehensive_assessment")

    response = lead_client.post(
        _url("assessment-start", assessment.pk), {"tool": "erasor"}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "tool_not_suitable"
    assert body["rules"] == ["age_range"]
    assert body["fields"]["tool"] == [
        "ERASOR is for ages 12-18; this child is 9 at assessment. Tools designed for "
        "adolescents must not be used with pre-adolescents (HSB framework, NICE NG55)."
    ]


def test_the_whole_lifecycle_through_the_api(
    case, tools, area, lead_practitioner, manager, lead_client, manager_client
):
    created = lead_client.post(
        _url("assessment-list"),
        {"case": case.pk, "assessment_type": "nice_early_help_assessment", "notes": "School."},
        format="json",
    ).json()
    pk = created["id"]

    start = lead_client.post(
        _url("assessment-start", pk), {"tool": "brook_traffic_light"}, format="json"
    )
    sections = lead_client.post(_url("assessment-sections", pk), SECTIONS_DONE, format="json")
    contribution = lead_client.post(
        _url("assessment-contributions", pk),
        {"agency": AgencyFactory(area=area).pk, "summary": "Health visitor's observations."},
        format="json",
    )
    submit = lead_client.post(_url("assessment-submit", pk), OUTCOME, format="json")
    returned = manager_client.post(
        _url("assessment-return", pk), {"comments": "Add the child's own words."}, format="json"
    )
    again = lead_client.post(_url("assessment-submit", pk), OUTCOME, format="json")
    authorised = manager_client.post(
        _url("assessment-authorise", pk),
        {"recommended_route": "step_up_to_hsb_panel"},
        format="json",
    )

    assert start.status_code == 200, start.json()
    assert start.json()["tool"] == {
        "key": "brook_traffic_light",
        "name": "Brook traffic light tool",
    }
    assert sections.json()["missing_sections"] == []
    assert contribution.status_code == 201, contribution.json()
    assert submit.json()["status"] == "submitted"
    assert returned.json()["status"] == "started"
    assert returned.json()["returns"][0]["comments"] == "Add the child's own words."
    assert again.json()["status"] == "submitted"
    body = authorised.json()
    assert authorised.status_code == 200, body
    assert body["status"] == "authorised"
    assert body["recommendation"]["offered"] is True
    assert body["contributions"][0]["summary"] == "Health visitor's observations."
    assert body["sections"]["family"] == SECTIONS_DONE["family"]


def test_roles_get_403(case, tools, lead_practitioner, front_door, lead_client):
    assessment = submitted(case, lead_practitioner, tools["brook_traffic_light"])
    other = requested(case, lead_practitioner, "comprehensive_assessment")

    authorise = lead_client.post(_url("assessment-authorise", assessment.pk), {}, format="json")
    start = _client_for(front_door).post(
        _url("assessment-start", other.pk), {"tool": "brook_traffic_light"}, format="json"
    )

    assert authorise.status_code == 403
    assert authorise.json()["code"] == "not_allowed_to_authorise"
    assert start.status_code == 403
    assert start.json()["code"] == "not_the_assessor"


def test_submitting_with_an_empty_section_is_400(case, tools, lead_practitioner, lead_client):
    assessment = started(case, lead_practitioner, tools["brook_traffic_light"])

    response = lead_client.post(_url("assessment-submit", assessment.pk), OUTCOME, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "sections_incomplete"
    assert set(response.json()["fields"]) == {
        "harmful_behaviours",
        "development",
        "family",
        "environment",
        "strengths_and_protective_factors",
        "child_views",
        "parents_carers_views",
    }


def test_a_late_authorisation_without_a_reason_is_400(
    case, tools, lead_practitioner, manager_client
):
    assessment = submitted(case, lead_practitioner, tools["brook_traffic_light"])
    Assessment.objects.filter(pk=assessment.pk).update(
        due_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    url = _url("assessment-authorise", assessment.pk)

    refused = manager_client.post(url, {}, format="json")
    authorised = manager_client.post(url, {"late_reason": "Interpreter delays."}, format="json")

    assert refused.status_code == 400
    assert refused.json()["code"] == "late_reason_required"
    assert authorised.json()["late_reason"] == "Interpreter delays."


def test_an_unknown_section_or_a_step_out_of_order(case, tools, lead_practitioner, lead_client):
    assessment = requested(case, lead_practitioner)

    unknown = lead_client.post(
        _url("assessment-sections", assessment.pk), {"score": "9"}, format="json"
    )
    too_early = lead_client.post(
        _url("assessment-sections", assessment.pk), {"family": "x"}, format="json"
    )

    assert unknown.status_code == 400
    assert "score" in unknown.json()["fields"]
    assert too_early.status_code == 409
    assert too_early.json()["code"] == "assessment_not_at_step"
    assert Assessment.objects.get(pk=assessment.pk).status == AssessmentStatus.REQUESTED


# --- tools ---------------------------------------------------------------------------------------


def test_tools_are_judged_for_the_cases_child(
    tools, default_version, front_door, lead_practitioner, manager, lead_client
):
    case = early_help_case(
        version=default_version,
        front_door=front_door,
        lead=lead_practitioner,
        manager=manager,
        child=child_aged(9, gender="girl"),
    )

    response = lead_client.get(
        _url("tool-list"), {"case": case.pk, "assessment_type": "nice_early_help_assessment"}
    )

    assert response.status_code == 200
    by_key = {tool["key"]: tool for tool in response.json()}
    assert by_key["brook_traffic_light"]["suitability"]["verdict"] == "allowed"
    aim3 = by_key["aim3"]["suitability"]
    assert aim3["verdict"] == "blocked"
    assert aim3["child_age"] == 9
    assert [b["rule"] for b in aim3["blocks"]] == ["age_range", "certification"]
    assert aim3["messages"][0].startswith("AIM3 is for ages 12-18; this child is 9")
    csbi = by_key["csbi"]["suitability"]
    assert csbi["verdict"] == "allowed"


def test_tools_without_a_case_list_the_catalogue(tools, lead_client):
    response = lead_client.get(_url("tool-list"))

    assert response.status_code == 200
    body = response.json()
    assert {tool["key"] for tool in body} >= {"aim3", "erasor", "j_soap_ii", "csbi", "savry"}
    assert all(tool["suitability"] is None for tool in body)
    j_soap = next(tool for tool in body if tool["key"] == "j_soap_ii")
    assert j_soap["validated_on_genders"] == ["boy"]
    assert j_soap["adolescent_only"] is True
