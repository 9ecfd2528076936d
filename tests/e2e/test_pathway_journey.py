"""Practitioners moving a child along the default pathway in the browser."""

import pytest
from playwright.sync_api import expect

from agencies.roles import Role
from cases.models import Case
from cases.tests.factories import open_case

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"


def test_front_door_routes_to_early_help_with_its_lead_who_steps_up(
    page, live_server, log_in, default_version, front_door, manager, make_user
):
    # A practitioner of the manager's own team, named as lead with the routing.
    lead = make_user(
        Role.LEAD_PRACTITIONER, first_name="Daniel", last_name="Evans", agency=manager.agency
    )
    case = open_case(version=default_version, actor=front_door)
    case_url = f"{live_server.url}/work/cases/{case.pk}/"

    # The front door confirms the continuum level and routes the case to early help, which
    # asks for its lead practitioner in the same step: refused without one.
    log_in(front_door.username, PASSWORD)
    page.goto(case_url)
    expect(page.locator("#current-stage")).to_have_text("Initial decision")
    option = page.locator("details[data-transition='route_to_early_help']")
    option.locator("summary").click()
    option.locator("select[name$='continuum_level']").select_option("problematic")
    option.get_by_role("button", name="Early help with a lead practitioner").click()
    expect(page.get_by_text("name one with this move.").first).to_be_visible()
    option = page.locator("details[data-transition='route_to_early_help']")
    option.locator("select[name$='continuum_level']").select_option("problematic")
    option.locator("select[name$='lead_practitioner']").select_option(str(lead.pk))
    option.get_by_role("button", name="Early help with a lead practitioner").click()
    expect(page.locator("#current-stage")).to_have_text("Early help")
    expect(page.locator("#lead-practitioner")).to_contain_text("Daniel Evans")

    # The lead finds the case in their tasks and steps it up; a missing reason is refused.
    page.context.clear_cookies()
    log_in(lead.username, PASSWORD)
    page.goto(f"{live_server.url}/work/tasks/")
    page.get_by_role("link", name=case.child.full_name).click()
    step_up = page.locator("details[data-transition='step_up_to_hsb_panel']")
    step_up.locator("summary").click()
    step_up.get_by_role("button", name="Step up to HSB panel").click()
    expect(page.get_by_text("A reason is required.")).to_be_visible()
    step_up = page.locator("details[data-transition='step_up_to_hsb_panel']")
    step_up.locator("textarea").fill("Behaviour has escalated despite the early help plan.")
    step_up.locator("select[name$='continuum_level']").select_option("abusive")
    step_up.get_by_role("button", name="Step up to HSB panel").click()
    expect(page.locator("#current-stage")).to_have_text("Multi-agency HSB panel")

    # The route is drawn on the stage graph and listed in order.
    expect(page.locator("g.stage--current[data-stage='hsb_panel']")).to_have_count(1)
    expect(page.locator("path.transition--taken")).to_have_count(2)
    moves = page.locator("table[aria-label='Stage moves'] tbody tr")
    expect(moves).to_have_count(3)
    assert Case.objects.get(pk=case.pk).current_stage.key == "hsb_panel"
