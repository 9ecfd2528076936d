"""A designated safeguarding lead logs a referral on a tablet."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from agencies.roles import Role
from cases.models import Case, Referral
from cases.tests.factories import ChildFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"
TABLET = {"width": 820, "height": 1180}


def _born(years: int) -> str:
    today = datetime.date.today()
    return today.replace(year=today.year - years).isoformat()


def _open_the_form(page, live_server, log_in, dsl):
    page.set_viewport_size(TABLET)
    log_in(dsl.username, PASSWORD)
    page.locator(".hsb-page").get_by_role("link", name="Log a referral").click()
    expect(page).to_have_url(re.compile(r"/work/referrals/new/$"))


def _fill_referral(page):
    page.select_option("#id_source", "2A")
    page.select_option("#id_channel", "phone")
    page.fill("#id_description", "Invented: a teaching assistant saw the behaviour at break.")
    page.fill("#id_behaviours-0-description", "Invented: touching over clothes.")
    page.select_option("#id_behaviours-0-continuum_level", "problematic")
    page.select_option("#id_behaviours-0-traffic_light", "amber")
    page.select_option("#id_behaviours-0-setting", "school")
    page.fill("#id_immediate_safety_actions", "Children separated; supervised breaks.")
    page.locator("#safety-section").get_by_label("Yes").check()


def _fill_child(page, index, first_name, last_name, born, gender):
    page.fill(f"#id_children-{index}-first_name", first_name)
    page.fill(f"#id_children-{index}-last_name", last_name)
    if born:
        page.fill(f"#id_children-{index}-date_of_birth", born)
    page.select_option(f"#id_children-{index}-gender", gender)


def test_a_dsl_logs_a_referral_about_a_child_displaying_hsb_and_a_child_harmed(
    page, live_server, log_in, default_version, make_user
):
    dsl = make_user(Role.DSL)
    _open_the_form(page, live_server, log_in, dsl)

    # Single column on a tablet: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    expect(page.locator("#id_children-0-involvement")).to_have_value("displaying_hsb")
    expect(page.locator("#id_children-1-involvement")).to_have_value("harmed")
    _fill_referral(page)
    _fill_child(page, 0, "Leo", "Ashdown", _born(11), "boy")
    _fill_child(page, 1, "Mia", "Kettleby", _born(8), "girl")
    page.get_by_role("button", name="Send referral").click()

    expect(page).to_have_url(re.compile(r"/work/referrals/\d+/$"))
    rows = page.locator("table[aria-label='Children in this referral'] tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Leo Ashdown")).to_contain_text("Child displaying HSB")
    expect(rows.filter(has_text="Mia Kettleby")).to_contain_text("child harmed")
    expect(rows.first).to_contain_text("Initial decision")
    # A referrer sees where each child went, not the case file.
    expect(page.locator("a[href*='/work/cases/']")).to_have_count(0)
    referral = Referral.objects.get()
    assert Case.objects.filter(referral=referral).count() == 2


def test_a_missing_date_of_birth_is_shown_next_to_the_field(
    page, live_server, log_in, default_version, make_user
):
    dsl = make_user(Role.DSL)
    _open_the_form(page, live_server, log_in, dsl)

    _fill_referral(page)
    _fill_child(page, 0, "Leo", "Ashdown", None, "boy")
    page.get_by_role("button", name="Send referral").click()

    expect(page.locator("#referral-problems")).to_contain_text("Nothing was saved yet")
    expect(page.locator("#id_children-0-date_of_birth_error")).to_have_text(
        "Enter the child's date of birth."
    )
    expect(page.locator("#id_children-0-date_of_birth")).to_have_attribute("aria-invalid", "true")
    # What was typed is kept.
    expect(page.locator("#id_children-0-first_name")).to_have_value("Leo")
    assert Referral.objects.count() == 0


def test_a_dsl_links_a_child_the_partnership_already_knows(
    page, live_server, log_in, default_version, make_user
):
    known = ChildFactory(
        first_name="Mia", last_name="Kettleby", date_of_birth=datetime.date.fromisoformat(_born(8))
    )
    dsl = make_user(Role.DSL)
    _open_the_form(page, live_server, log_in, dsl)

    _fill_referral(page)
    _fill_child(page, 0, "Leo", "Ashdown", _born(11), "boy")
    _fill_child(page, 1, "Mia", "Ketleby", _born(8), "girl")
    page.get_by_role("button", name="Send referral").click()

    proposal = page.locator("[data-candidates='child-1']")
    expect(proposal).to_contain_text(f"Mia Kettleby ({known.reference})")
    assert Referral.objects.count() == 0
    proposal.get_by_label(re.compile("This is the same child")).check()
    page.get_by_role("button", name="Send referral").click()

    expect(page).to_have_url(re.compile(r"/work/referrals/\d+/$"))
    expect(page.locator(f"tr[data-child='{known.reference}']")).to_contain_text("child harmed")
    assert Referral.objects.get().children.get(involvement="harmed").child == known
