"""A designated safeguarding lead's journeys."""

import re

import pytest
from playwright.sync_api import expect

from demo.area import DEMO_PASSWORD, load_demo_area

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_demo_dsl_logs_in_and_sees_their_landing_page(page, live_server, log_in):
    load_demo_area(referrals=12)

    log_in("dsl", DEMO_PASSWORD)

    expect(page).to_have_url(re.compile(r"/work/$"))
    expect(page.locator("h1")).to_have_text("Welcome, Priya Shah")
    expect(page.get_by_text("Referrals from Brookfield Primary School")).to_be_visible()
    rows = page.locator("table[aria-label='Referrals from your agency'] tbody tr")
    assert rows.count() >= 1
    # A referrer sees where the referral went, not the case file: no case links.
    assert page.locator("a[href*='/work/cases/']").count() == 0
    expect(page.get_by_role("link", name="My tasks")).to_have_count(0)


def test_a_wrong_password_keeps_the_dsl_out(page, live_server, log_in):
    load_demo_area(referrals=1)

    log_in("dsl", "not-the-password")

    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("h1", has_text="Welcome")).to_have_count(0)
