"""Closure reasons and the children's social care episode through the API and the case page
(issue 16, item 6): refusals are 400s with a field message naming the rule, nothing written."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from assessments.models import Assessment, AssessmentStatus
from audit.models import AuditEvent
from cases.models import Case, StageMove
from cases.process.engine import take_transition
from cases.tests.factories import open_case

pytestmark = pytest.mark.django_db


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _form(case, key, **fields):
    data = {
        "transition_key": key,
        f"{key}-transition": key,
        f"{key}-expected_version": case.lock_version,
    }
    data.update({f"{key}-{name}": value for name, value in fields.items()})
    return data


def _counts(case):
    return (
        Case.objects.get(pk=case.pk).lock_version,
        StageMove.objects.filter(case=case).count(),
        AuditEvent.objects.filter(changes__has_key="transition").count(),  # moves, not reads
    )


@pytest.fixture
def csc_case(default_version, front_door, lead_practitioner):
    case = open_case(version=default_version, actor=front_door)
    case = take_transition(
        case=case,
        transition="open_csc_assessment",
        actor=front_door,
        data={
            "significant_harm_suspected": True,
            "continuum_level": "abusive",
            "lead_practitioner": lead_practitioner.pk,
        },
    )
    now = timezone.now()
    Assessment.objects.create(
        case=case,
        assessment_type="AIM3",
        status=AssessmentStatus.AUTHORISED,
        requested_at=now - timedelta(hours=1),
        authorised_at=now,
        authorised_by=lead_practitioner,
    )
    case.refresh_from_db()
    return case


def test_a_census_code_at_the_front_door_is_a_400_naming_the_rule(default_version, front_door):
    case = open_case(version=default_version, actor=front_door)
    before = _counts(case)

    response = _api(front_door).post(
        reverse("api:cases:case-transitions", args=[case.pk]),
        {
            "transition": "no_further_action",
            "reason": "Normal play",
            "data": {"closure_reason": "RC8"},
            "expected_version": case.lock_version,
        },
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["fields"]["closure_reason"] == [
        "The census closure reasons (RC1-RC9) are only for ending a children's social care "
        "episode, and this case has none open; 'No further action' closes with one of: "
        "no_further_action (No further action at the front door)."
    ]
    assert _counts(case) == before


def test_the_api_detail_shows_the_end_of_the_csc_episode(csc_case, lead_practitioner):
    client = _api(lead_practitioner)
    url = reverse("api:cases:case-transitions", args=[csc_case.pk])
    refused = client.post(
        url,
        {
            "transition": "csc_steps_down_to_early_help",
            "reason": "Assessed: early help can meet the needs",
            "expected_version": csc_case.lock_version,
        },
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json()["fields"]["closure_reason"][0].startswith(
        "'Step down to early help (RC9)' ends the case's children's social care episode"
    )

    moved = client.post(
        url,
        {
            "transition": "csc_steps_down_to_early_help",
            "reason": "Assessed: early help can meet the needs",
            "data": {"closure_reason": "RC9"},
            "expected_version": csc_case.lock_version,
        },
        format="json",
    )
    assert moved.status_code == 200
    detail = client.get(reverse("api:cases:case-detail", args=[csc_case.pk])).json()

    case = Case.objects.get(pk=csc_case.pk)
    episode = {
        "referred_at": case.csc_referred_at.isoformat().replace("+00:00", "Z"),
        "ended_at": case.csc_episode_ended_at.isoformat().replace("+00:00", "Z"),
        "end_reason": "RC9",
    }
    assert detail["csc_episode"] == moved.json()["csc_episode"]
    assert set(detail["csc_episode"]) == set(episode)
    assert detail["csc_episode"]["end_reason"] == "RC9"
    assert detail["csc_episode"]["ended_at"] is not None
    assert detail["closure_reason"] == ""


def test_the_case_page_offers_only_the_reasons_a_move_allows(client, csc_case, lead_practitioner):
    client.force_login(lead_practitioner)

    page = client.get(reverse("cases:case_detail", args=[csc_case.pk])).content.decode()

    assert 'id="csc-episode"' in page and "episode open" in page
    step_down = page.split('data-transition="csc_steps_down_to_early_help"')[1].split("</details>")[
        0
    ]
    assert "Census closure reason (ends the children's social care episode)" in step_down
    assert '<option value="RC9">RC9 Closed after assessment, referred to early help</option>' in (
        step_down
    )
    assert 'value="RC8"' not in step_down and 'value="support_completed"' not in step_down
    plan = page.split('data-transition="start_statutory_plan"')[1].split("</details>")[0]
    assert "closure_reason" not in plan  # a route onwards records no closure reason


def test_a_step_down_from_the_case_page_records_the_episode_end(
    client, csc_case, lead_practitioner
):
    client.force_login(lead_practitioner)
    url = reverse("cases:case_transition", args=[csc_case.pk])
    before = _counts(csc_case)

    refused = client.post(
        url, _form(csc_case, "csc_steps_down_to_early_help", reason="Early help can hold it")
    )
    assert refused.status_code == 400
    assert "ends the case&#x27;s children&#x27;s social care episode" in refused.content.decode()
    assert _counts(csc_case) == before

    response = client.post(
        url,
        _form(
            csc_case,
            "csc_steps_down_to_early_help",
            reason="Early help can hold it",
            closure_reason="RC9",
        ),
    )
    assert response.status_code == 302

    page = client.get(reverse("cases:case_detail", args=[csc_case.pk])).content.decode()
    row = page.split('id="csc-episode"')[1].split("</tr>")[0]
    assert "episode ended" in row
    assert "RC9 Closed after assessment, referred to early help" in row
