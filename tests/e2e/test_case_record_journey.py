"""From a DSL's referral about two children to the lead practitioner's chronology."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from agencies.models import Agency
from agencies.roles import Role
from cases.models import Case, Referral

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"


def _born(years: int) -> str:
    today = datetime.date.today()
    return today.replace(year=today.year - years, day=min(today.day, 28)).isoformat()


def _sign_in_as(page, log_in, user):
    page.context.clear_cookies()
    log_in(user.username, PASSWORD)


def test_referral_about_two_children_to_a_complete_chronology(
    page, live_server, log_in, default_version, make_user, area
):
    school = Agency.objects.create(
        area=area, name="Brookfield Primary School", agency_type="school"
    )
    camhs = Agency.objects.create(area=area, name="Northwold CAMHS", agency_type="camhs")
    dsl = make_user(Role.DSL, agency=school)
    front_door = make_user(Role.FRONT_DOOR)
    manager = make_user(Role.TEAM_MANAGER)
    # Practitioners of the manager's own team (a manager's team is their agency).
    first_lead = make_user(
        Role.LEAD_PRACTITIONER, first_name="Daniel", last_name="Evans", agency=manager.agency
    )
    second_lead = make_user(
        Role.LEAD_PRACTITIONER, first_name="Amira", last_name="Haddad", agency=manager.agency
    )

    # 1. The DSL logs one referral about a child displaying HSB and a child harmed.
    _sign_in_as(page, log_in, dsl)
    page.goto(f"{live_server.url}/work/referrals/new/")
    page.select_option("#id_source", "2A")
    page.select_option("#id_channel", "phone")
    page.fill("#id_description", "Invented: a teaching assistant saw the behaviour at break.")
    page.fill("#id_behaviours-0-description", "Invented: touching over clothes.")
    page.select_option("#id_behaviours-0-continuum_level", "problematic")
    page.select_option("#id_behaviours-0-traffic_light", "amber")
    page.select_option("#id_behaviours-0-setting", "school")
    page.fill("#id_immediate_safety_actions", "Children separated; supervised breaks.")
    page.locator("#safety-section").get_by_label("Yes").check()
    for index, (first, last, age, gender) in enumerate(
        [("Leo", "Ashdown", 11, "boy"), ("Mia", "Kettleby", 8, "girl")]
    ):
        page.fill(f"#id_children-{index}-first_name", first)
        page.fill(f"#id_children-{index}-last_name", last)
        page.fill(f"#id_children-{index}-date_of_birth", _born(age))
        page.select_option(f"#id_children-{index}-gender", gender)
    page.get_by_role("button", name="Send referral").click()
    expect(page).to_have_url(re.compile(r"/work/referrals/\d+/$"))

    referral = Referral.objects.get()
    leo = Case.objects.get(referral=referral, involvement="displaying_hsb")
    mia = Case.objects.get(referral=referral, involvement="harmed")
    assert list(leo.linked_cases.all()) == [mia]
    assert list(mia.linked_cases.all()) == [leo]

    # 2. The front door sees both cases, linked, and routes Leo's to early help with its lead
    # practitioner named in the same step.
    _sign_in_as(page, log_in, front_door)
    page.goto(f"{live_server.url}/work/cases/{leo.pk}/")
    expect(page.locator("#linked-cases")).to_contain_text("Mia Kettleby (child harmed)")
    option = page.locator("details[data-transition='route_to_early_help']")
    option.locator("summary").click()
    option.locator("select[name$='continuum_level']").select_option("problematic")
    option.locator("select[name$='lead_practitioner']").select_option(str(first_lead.pk))
    option.get_by_role("button", name="Early help with a lead practitioner").click()
    expect(page.locator("#current-stage")).to_have_text("Early help")
    expect(page.locator("#lead-practitioner")).to_contain_text("Daniel Evans")

    # 3. The manager hands over to another lead practitioner.
    _sign_in_as(page, log_in, manager)
    page.goto(f"{live_server.url}/work/cases/{leo.pk}/")
    page.select_option("#lead-designation select", value=str(second_lead.pk))
    page.fill("#lead-designation textarea", "Daniel moves to the youth justice team.")
    page.get_by_role("button", name="Hand over").click()
    expect(page.locator("#lead-practitioner")).to_contain_text("Amira Haddad")

    # 4. The new lead records an information-sharing decision.
    _sign_in_as(page, log_in, second_lead)
    page.goto(f"{live_server.url}/work/cases/{leo.pk}/")
    sharing = page.locator("#information-sharing-decisions")
    sharing.locator("summary").click()
    sharing.get_by_label("Share", exact=True).check()
    sharing.locator("textarea[name='sharing-information']").fill(
        "Summary of the incident and the safety plan."
    )
    sharing.locator("select[name='sharing-recipient_agency']").select_option(str(camhs.pk))
    sharing.locator("textarea[name='sharing-purpose']").fill(
        "So CAMHS can offer Leo an appointment."
    )
    sharing.locator("select[name='sharing-lawful_basis']").select_option("public_task_safeguarding")
    sharing.get_by_label("Consent given", exact=True).check()
    sharing.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#information-sharing-decisions article")).to_contain_text(
        "Shared with Northwold CAMHS"
    )

    # 5. The chronology shows every event, in order.
    page.get_by_role("link", name="Chronology").click()
    expect(page).to_have_url(re.compile(r"/chronology/$"))
    rows = page.locator("table[aria-label='Chronology'] tbody tr")
    expect(rows).to_have_count(6)
    kinds = [rows.nth(i).get_attribute("data-kind") for i in range(rows.count())]
    assert kinds == ["referral", "stage_move", "stage_move", "lead", "lead", "sharing"], kinds
    text = page.locator("table[aria-label='Chronology']").inner_text()
    positions = [
        text.index(marker)
        for marker in ("Referral", "Early help", "Daniel Evans", "Amira Haddad", "CAMHS")
    ]
    assert positions == sorted(positions)
