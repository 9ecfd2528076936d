"""Strengths and the child's and family's views (issue 16, item 8): a holistic assessment
records them, or the reason each is not, before it is submitted or authorised; the service
refuses otherwise (400 naming the rule, nothing written), on the page and in the API."""

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from assessments.exceptions import InvalidAssessment, SectionsIncomplete
from assessments.models import Assessment, AssessmentStatus
from assessments.services import (
    authorise_assessment,
    save_assessment_sections,
    submit_assessment,
)
from audit.models import AuditEvent

from .factories import OUTCOME, SECTIONS_DONE, started

pytestmark = pytest.mark.django_db

HOLISTIC_ONLY = {
    key: SECTIONS_DONE[key]
    for key in ("harmful_behaviours", "development", "family", "environment")
}
STRENGTHS_RULE = (
    "Strengths and protective factors must be recorded before the assessment is submitted, or "
    "the reason they are not (strengths_not_recorded_reason): assessments examine the "
    "protective factors and strengths that can manage or reduce the behaviour (HSB framework, "
    "domain 3)."
)
CHILD_VIEWS_RULE = (
    "The child's views must be recorded before the assessment is submitted, or the reason they "
    "are not (child_views_not_recorded_reason): assessments are child-focussed, with the child "
    "central to the process (HSB framework, domain 3)."
)


@pytest.fixture
def brook(tools):
    return tools["brook_traffic_light"]


def test_holistic_assessment_requires_strengths_and_views_or_reason(case, brook, lead_practitioner):
    assessment = started(case, lead_practitioner, brook)
    save_assessment_sections(assessment=assessment, sections=HOLISTIC_ONLY, actor=lead_practitioner)

    with pytest.raises(SectionsIncomplete) as refused:
        submit_assessment(assessment=assessment, actor=lead_practitioner, **OUTCOME)

    fields = refused.value.fields
    assert set(fields) == {
        "strengths_and_protective_factors",
        "child_views",
        "parents_carers_views",
    }
    assert fields["strengths_and_protective_factors"] == [STRENGTHS_RULE]
    assert fields["child_views"] == [CHILD_VIEWS_RULE]
    assert fields["parents_carers_views"][0].startswith(
        "Parents' or carers' views must be recorded before the assessment is submitted, or the "
        "reason they are not (parents_carers_views_not_recorded_reason)"
    )
    # Nothing written: still started, no outcome, no submission event.
    unchanged = Assessment.objects.get(pk=assessment.pk)
    assert unchanged.status == AssessmentStatus.STARTED
    assert unchanged.needs == ""
    assert not AuditEvent.objects.filter(action="assessment.submitted").exists()


def test_a_recorded_reason_answers_for_a_section_not_recorded(case, brook, lead_practitioner):
    assessment = started(case, lead_practitioner, brook)
    save_assessment_sections(
        assessment=assessment,
        sections={
            **HOLISTIC_ONLY,
            "strengths_and_protective_factors": SECTIONS_DONE["strengths_and_protective_factors"],
            "child_views_not_recorded_reason": "Declined to talk about it at two visits.",
            "parents_carers_views_not_recorded_reason": "Mother in hospital; father not in touch.",
        },
        actor=lead_practitioner,
    )

    done = submit_assessment(assessment=assessment, actor=lead_practitioner, **OUTCOME)

    assert done.status == AssessmentStatus.SUBMITTED
    assert done.missing_sections() == []
    assert done.not_recorded_reasons["child_views"] == "Declined to talk about it at two visits."


def test_a_section_and_the_reason_it_is_not_recorded_are_not_both_kept(
    case, brook, lead_practitioner
):
    assessment = started(case, lead_practitioner, brook)
    save_assessment_sections(
        assessment=assessment,
        sections={"child_views_not_recorded_reason": "Declined at the first visit."},
        actor=lead_practitioner,
    )

    with pytest.raises(InvalidAssessment) as refused:
        save_assessment_sections(
            assessment=assessment,
            sections={"child_views": "Wants to stay at the school."},
            actor=lead_practitioner,
        )

    assert refused.value.fields["child_views_not_recorded_reason"][0].startswith(
        "The child's views are recorded: leave the reason they are not empty"
    )
    assert Assessment.objects.get(pk=assessment.pk).child_views == ""
    # Both in one save: the views replace the reason.
    save_assessment_sections(
        assessment=assessment,
        sections={
            "child_views": "Wants to stay at the school.",
            "child_views_not_recorded_reason": "",
        },
        actor=lead_practitioner,
    )
    assert Assessment.objects.get(pk=assessment.pk).child_views_not_recorded_reason == ""


def test_authorisation_also_requires_strengths_and_views_or_reason(
    case, brook, lead_practitioner, manager
):
    # Submitted before the rule (as migrated data may be): the manager cannot authorise it.
    assessment = started(case, lead_practitioner, brook)
    Assessment.objects.filter(pk=assessment.pk).update(
        **HOLISTIC_ONLY,
        status=AssessmentStatus.SUBMITTED,
        submitted_at=timezone.now(),
        submitted_by=lead_practitioner,
        confirmed_continuum_level="problematic",
        risk_level="medium",
        recommended_route=OUTCOME["recommended_route"],
    )

    with pytest.raises(SectionsIncomplete) as refused:
        authorise_assessment(assessment=assessment, actor=manager)

    assert refused.value.fields["strengths_and_protective_factors"][0].startswith(
        "Strengths and protective factors must be recorded before the assessment is authorised"
    )
    assert Assessment.objects.get(pk=assessment.pk).status == AssessmentStatus.SUBMITTED


def test_the_api_refuses_submission_naming_the_rule_and_shows_the_reasons(
    case, brook, lead_practitioner
):
    assessment = started(case, lead_practitioner, brook)
    api = APIClient()
    api.force_authenticate(lead_practitioner)
    sections_url = reverse("api:assessments:assessment-sections", args=[assessment.pk])
    submit_url = reverse("api:assessments:assessment-submit", args=[assessment.pk])

    api.post(sections_url, HOLISTIC_ONLY, format="json")
    refused = api.post(submit_url, OUTCOME, format="json")
    saved = api.post(
        sections_url,
        {
            "strengths_not_recorded_reason": "Too early to say: first visit only.",
            "child_views": "Wants to stay at the school.",
            "parents_carers_views": "Father keen to work with early help.",
        },
        format="json",
    )
    sent = api.post(submit_url, OUTCOME, format="json")

    assert refused.status_code == 400
    assert refused.json()["code"] == "sections_incomplete"
    assert refused.json()["fields"]["child_views"] == [CHILD_VIEWS_RULE]
    assert Assessment.objects.get(pk=assessment.pk).status == AssessmentStatus.SUBMITTED
    assert saved.status_code == 200
    assert saved.json()["missing_sections"] == []
    assert saved.json()["not_recorded_reasons"] == {
        "strengths_and_protective_factors": "Too early to say: first visit only.",
        "child_views": "",
        "parents_carers_views": "",
    }
    assert sent.status_code == 200


def test_the_page_asks_for_each_reason_and_shows_the_refusal(
    client, case, brook, lead_practitioner
):
    assessment = started(case, lead_practitioner, brook)
    client.force_login(lead_practitioner)
    page = reverse("assessments:assessment_detail", args=[assessment.pk])
    save_assessment_sections(assessment=assessment, sections=HOLISTIC_ONLY, actor=lead_practitioner)

    form = client.get(page).content.decode()
    refused = client.post(
        reverse("assessments:assessment_submit", args=[assessment.pk]),
        {
            "submit-confirmed_continuum_level": "problematic",
            "submit-risk_level": "low",
            "submit-needs": "n",
            "submit-intervention_focus": "f",
            "submit-recommended_route": "close_early_help",
        },
    )
    saved = client.post(
        reverse("assessments:assessment_sections", args=[assessment.pk]),
        {
            **{f"sections-{key}": value for key, value in HOLISTIC_ONLY.items()},
            "sections-strengths_and_protective_factors": "Loves football.",
            "sections-child_views": "Wants to stay at the school.",
            "sections-parents_carers_views_not_recorded_reason": "Carer declined to meet.",
        },
    )

    assert 'name="sections-child_views_not_recorded_reason"' in form
    assert "Why the child&#x27;s views are not recorded" in form
    assert refused.status_code == 400
    assert "The child&#x27;s views must be recorded before the assessment is submitted" in (
        refused.content.decode()
    )
    assert saved.status_code == 302
    shown = client.get(page).content.decode()
    assert Assessment.objects.get(pk=assessment.pk).parents_carers_views_not_recorded_reason == (
        "Carer declined to meet."
    )
    assert "Carer declined to meet." in shown
