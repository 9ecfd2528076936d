"""The assessment pages and the case page's assessment section."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from agencies.roles import Role
from assessments.models import Assessment, AssessmentStatus
from assessments.services import authorise_assessment

from .factories import SECTIONS_DONE, child_aged, early_help_case, requested, started, submitted

pytestmark = pytest.mark.django_db


def _page(assessment):
    return reverse("assessments:assessment_detail", args=[assessment.pk])


def _post(client, name, assessment, **fields):
    prefix = {
        "assessment_start": "start",
        "assessment_sections": "sections",
        "assessment_submit": "submit",
        "assessment_authorise": "authorise",
        "assessment_return": "return",
        "assessment_contribution_add": "contribution",
    }[name]
    return client.post(
        reverse(f"assessments:{name}", args=[assessment.pk]),
        {f"{prefix}-{key}": value for key, value in fields.items()},
    )


def test_the_case_page_lists_assessments_and_offers_a_request(
    client, case, tools, lead_practitioner
):
    assessment = requested(case, lead_practitioner)
    Assessment.objects.filter(pk=assessment.pk).update(
        due_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    client.force_login(lead_practitioner)

    page = client.get(reverse("cases:case_detail", args=[case.pk]))

    content = page.content.decode()
    assert page.status_code == 200
    assert 'id="assessments"' in content
    assert reverse("assessments:assessment_request", args=[case.pk]) in content
    assert "Request an assessment" in content
    assert 'id="assessments-overdue">1 overdue' in content


def test_requesting_from_the_page(client, case, lead_practitioner):
    client.force_login(lead_practitioner)
    url = reverse("assessments:assessment_request", args=[case.pk])

    form = client.get(url)
    refused = client.post(url, {"request-assessment_type": "specialist_assessment"})
    created = client.post(url, {"request-assessment_type": "nice_early_help_assessment"})

    assert form.status_code == 200
    assert b'data-type="nice_early_help_assessment"' in form.content
    assert refused.status_code == 400
    assert b"Record why this is the right level of assessment" in refused.content
    assessment = Assessment.objects.get()
    assert created.status_code == 302
    assert created["Location"] == _page(assessment)


def test_a_practitioner_who_cannot_see_the_case_gets_404(client, case, make_user):
    client.force_login(make_user(Role.LEAD_PRACTITIONER))
    assessment = requested(case, case.lead_practitioner)

    assert client.get(reverse("assessments:assessment_request", args=[case.pk])).status_code == 404
    assert client.get(_page(assessment)).status_code == 404


def test_the_tool_picker_disables_blocked_tools_with_the_reason(
    client, tools, default_version, front_door, lead_practitioner, manager
):
    case = early_help_case(
        version=default_version,
        front_door=front_door,
        lead=lead_practitioner,
        manager=manager,
        child=child_aged(9),
    )
    assessment = requested(case, lead_practitioner)
    client.force_login(lead_practitioner)

    content = client.get(_page(assessment)).content.decode()

    assert '<input type="radio" name="start-tool" value="aim3" disabled>' in content
    assert (
        "AIM3 is for ages 12-18; this child is 9 at assessment. Tools designed for adolescents "
        "must not be used with pre-adolescents (HSB framework, NICE NG55)."
    ) in content
    assert '<input type="radio" name="start-tool" value="brook_traffic_light">' in content


def test_a_tool_with_a_warning_needs_the_justification_box(
    client, tools, default_version, front_door, lead_practitioner, manager
):
    case = early_help_case(
        version=default_version,
        front_door=front_door,
        lead=lead_practitioner,
        manager=manager,
        child=child_aged(10, learning_disability=True),
    )
    assessment = requested(case, lead_practitioner)
    client.force_login(lead_practitioner)

    refused = _post(client, "assessment_start", assessment, tool="brook_traffic_light")
    started_ = _post(
        client,
        "assessment_start",
        assessment,
        tool="brook_traffic_light",
        justification="Read against developmental age with the SENCo.",
    )

    assert refused.status_code == 400
    assert b"has not been validated with children who have a learning disability" in (
        refused.content
    )
    assert started_.status_code == 302
    assert Assessment.objects.get(pk=assessment.pk).status == AssessmentStatus.STARTED


def test_submitting_with_empty_sections_shows_which(client, case, tools, lead_practitioner):
    assessment = started(case, lead_practitioner, tools["brook_traffic_light"])
    client.force_login(lead_practitioner)

    response = _post(
        client,
        "assessment_submit",
        assessment,
        confirmed_continuum_level="problematic",
        risk_level="low",
        needs="n",
        intervention_focus="f",
        recommended_route="close_early_help",
    )

    assert response.status_code == 400
    assert b"Harmful behaviours must be completed before the assessment is submitted" in (
        response.content
    )


def test_the_assessor_saves_sections_and_submits(client, case, tools, lead_practitioner):
    assessment = started(case, lead_practitioner, tools["brook_traffic_light"])
    client.force_login(lead_practitioner)

    saved = _post(client, "assessment_sections", assessment, **SECTIONS_DONE)
    sent = _post(
        client,
        "assessment_submit",
        assessment,
        confirmed_continuum_level="problematic",
        risk_level="low",
        needs="Boundaries.",
        intervention_focus="Socio-educative work.",
        recommended_route="close_early_help",
    )

    assert (saved.status_code, sent.status_code) == (302, 302)
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED
    assert assessment.family == SECTIONS_DONE["family"]


def test_a_manager_sees_the_late_reason_and_must_give_it(
    client, case, tools, lead_practitioner, manager
):
    assessment = submitted(case, lead_practitioner, tools["brook_traffic_light"])
    Assessment.objects.filter(pk=assessment.pk).update(
        due_on=timezone.localdate() - datetime.timedelta(days=3)
    )
    client.force_login(manager)

    page = client.get(_page(assessment))
    refused = _post(client, "assessment_authorise", assessment)
    authorised = _post(client, "assessment_authorise", assessment, late_reason="Staff sickness.")

    assert b'name="authorise-late_reason"' in page.content
    assert b"Return with comments" in page.content
    assert refused.status_code == 400
    assert b"record why it is late" in refused.content
    assert authorised.status_code == 302
    assert Assessment.objects.get(pk=assessment.pk).late_reason == "Staff sickness."


def test_the_assessor_is_offered_no_authorisation(client, case, tools, lead_practitioner):
    assessment = submitted(case, lead_practitioner, tools["brook_traffic_light"])
    client.force_login(lead_practitioner)

    page = client.get(_page(assessment))
    refused = _post(client, "assessment_authorise", assessment)

    assert b'id="authorise"' not in page.content
    assert refused.status_code == 403


def test_the_case_page_marks_the_recommended_transition(
    client, case, tools, lead_practitioner, manager
):
    assessment = submitted(case, lead_practitioner, tools["brook_traffic_light"])
    authorise_assessment(assessment=assessment, actor=manager)
    client.force_login(lead_practitioner)

    content = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()

    marker = 'data-recommended="step_up_to_hsb_panel">Recommended by the authorised assessment'
    assert marker in content
    assert content.count("Recommended by the authorised assessment") == 1


def test_a_return_goes_back_to_the_assessor(client, case, tools, lead_practitioner, manager):
    assessment = submitted(case, lead_practitioner, tools["brook_traffic_light"])
    client.force_login(manager)

    empty = _post(client, "assessment_return", assessment)
    returned = _post(client, "assessment_return", assessment, comments="Say more on family.")
    client.force_login(lead_practitioner)
    page = client.get(_page(assessment))

    assert empty.status_code == 400
    assert returned.status_code == 302
    assert b"Say more on family." in page.content
    assert b'id="submit"' in page.content


def test_the_chronology_shows_the_assessment_steps(client, case, tools, lead_practitioner, manager):
    assessment = submitted(case, lead_practitioner, tools["brook_traffic_light"])
    authorise_assessment(assessment=assessment, actor=manager)
    client.force_login(manager)

    content = client.get(reverse("cases:case_chronology", args=[case.pk])).content.decode()

    for step in ("requested", "started", "submitted", "authorised"):
        assert f"Assessment {step}: NICE early help assessment" in content
