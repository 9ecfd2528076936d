"""A lead practitioner's assessment, authorised by a team manager, recommends the next step."""

import pytest
from playwright.sync_api import expect

from agencies.roles import Role
from assessments.models import Assessment
from assessments.tests.factories import SECTIONS_DONE, catalogue, early_help_case
from cases.models import Case

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"


def test_an_authorised_early_help_assessment_recommends_the_step_up_the_lead_takes(
    page, live_server, log_in, default_version, front_door, manager, coordinator, make_user
):
    catalogue()  # a transactional test starts from an empty catalogue
    # A lead of the manager's own team: a team manager authorises their team's assessments.
    lead = make_user(
        Role.LEAD_PRACTITIONER, first_name="Daniel", last_name="Evans", agency=manager.agency
    )
    case = early_help_case(
        version=default_version, front_door=front_door, lead=lead, manager=manager
    )
    case_url = f"{live_server.url}/work/cases/{case.pk}/"

    # The lead practitioner requests a NICE early help assessment from the case page.
    log_in(lead.username, PASSWORD)
    page.goto(case_url)
    page.locator("#request-assessment").click()
    page.select_option("select[name='request-assessment_type']", "nice_early_help_assessment")
    page.get_by_role("button", name="Request the assessment").click()
    expect(page.locator("#assessment-status")).to_have_text("Requested")
    assessment = Assessment.objects.get(case=case)

    # The tool picker: AIM3 is blocked (certified practitioners only); Brook suits.
    aim3 = page.locator("[data-tool='aim3']")
    expect(aim3.locator("input[type=radio]")).to_be_disabled()
    expect(aim3).to_contain_text("Only practitioners with a current AIM3 certification")
    expect(page.locator("[data-tool='brook_traffic_light']")).to_have_attribute(
        "data-verdict", "allowed"
    )
    page.locator("[data-tool='brook_traffic_light'] input[type=radio]").check()
    page.get_by_role("button", name="Start the assessment").click()
    expect(page.locator("#assessment-status")).to_have_text("Started")
    expect(page.locator("#assessment-tool")).to_contain_text("Brook traffic light tool")

    # The holistic sections, then the outcome recommending the HSB panel.
    for key, text in SECTIONS_DONE.items():
        page.fill(f"textarea[name='sections-{key}']", text)
    page.get_by_role("button", name="Save sections").click()
    expect(page.locator(".hsb-messages")).to_contain_text("Sections saved.")
    page.select_option("select[name='submit-confirmed_continuum_level']", "problematic")
    page.select_option("select[name='submit-risk_level']", "medium")
    page.fill("textarea[name='submit-needs']", "Boundaries and online safety at home.")
    page.fill("textarea[name='submit-intervention_focus']", "Specialist HSB assessment advised.")
    page.select_option("select[name='submit-recommended_route']", "close_early_help")
    page.get_by_role("button", name="Submit for authorisation").click()
    expect(page.locator("#assessment-status")).to_have_text("Submitted")

    # The team manager authorises it, recommending the step up to the HSB panel.
    page.context.clear_cookies()
    log_in(manager.username, PASSWORD)
    page.goto(f"{live_server.url}/work/assessments/{assessment.pk}/")
    page.select_option("select[name='authorise-recommended_route']", "step_up_to_hsb_panel")
    page.get_by_role("button", name="Authorise").click()
    expect(page.locator("#assessment-status")).to_have_text("Authorised")
    expect(page.locator("#recommended-route")).to_contain_text("Step up to HSB panel")

    # The lead sees the recommendation on the case page and steps the case up.
    page.context.clear_cookies()
    log_in(lead.username, PASSWORD)
    page.goto(case_url)
    step_up = page.locator("details[data-transition='step_up_to_hsb_panel']")
    expect(step_up.locator("[data-recommended]")).to_have_text(
        "Recommended by the authorised assessment"
    )
    expect(page.locator("[data-recommended]")).to_have_count(1)
    step_up.locator("summary").click()
    step_up.get_by_role("button", name="Step up to HSB panel").click()
    expect(page.get_by_text("A reason is required.")).to_be_visible()
    step_up = page.locator("details[data-transition='step_up_to_hsb_panel']")
    step_up.locator("textarea").fill("The authorised assessment recommends the HSB panel.")
    step_up.locator("select[name$='continuum_level']").select_option("abusive")
    step_up.get_by_role("button", name="Step up to HSB panel").click()
    expect(page.locator("#current-stage")).to_have_text("Multi-agency HSB panel")
    expect(page.locator("[data-recommended]")).to_have_count(0)

    # The HSB coordinator agrees a specialist assessment.
    page.context.clear_cookies()
    log_in(coordinator.username, PASSWORD)
    page.goto(case_url)
    agree = page.locator("details[data-transition='agree_specialist_assessment']")
    agree.locator("summary").click()
    agree.get_by_role("button", name="Panel agrees specialist assessment").click()
    expect(page.locator("#current-stage")).to_have_text("Specialist HSB assessment")

    case = Case.objects.get(pk=case.pk)
    assert case.current_stage.key == "specialist_assessment"
    # The step-up recorded the level that justified it (issue 16, item 10).
    assert case.confirmed_continuum_level == "abusive"
    assert Assessment.objects.get(pk=assessment.pk).recommended_route == "step_up_to_hsb_panel"
