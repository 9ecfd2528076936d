"""A practitioner breaks glass to read a case they cannot see; their manager reviews it."""

import pytest
from playwright.sync_api import expect

from agencies.roles import Role
from cases.models import BreakGlassReview
from cases.services import designate_lead_practitioner
from cases.tests.factories import open_case

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"


def test_emergency_access_is_read_only_audited_and_reviewed(
    page, live_server, log_in, default_version, front_door, manager, make_user
):
    other_team = make_user(Role.LEAD_PRACTITIONER)
    case = open_case(version=default_version, actor=front_door)
    designate_lead_practitioner(case=case, practitioner=other_team, actor=front_door)
    practitioner = make_user(
        Role.LEAD_PRACTITIONER, first_name="Noor", last_name="Haddad", agency=manager.agency
    )

    # Out of hours, the practitioner needs a case that is not theirs.
    log_in(practitioner.username, PASSWORD)
    page.goto(f"{live_server.url}/work/")
    page.locator("#break-glass-link").click()
    page.fill("input[name='case']", str(case.pk))
    page.fill("textarea[name='reason']", "Invented: police at the door, child missing tonight.")
    page.get_by_role("button", name="Open the case now").click()

    expect(page.locator("#access-grant")).to_contain_text("Break-glass")
    expect(page.locator("#current-stage")).to_have_text("Initial decision")
    expect(page.locator("details[data-transition]")).to_have_count(0)

    # The next morning their manager reviews it.
    page.context.clear_cookies()
    log_in(manager.username, PASSWORD)
    page.goto(f"{live_server.url}/work/")
    expect(page.locator("#break-glass-reviews-link")).to_be_visible()
    page.locator("#break-glass-reviews-link").click()
    row = page.locator("table[aria-label='Break-glass reviews'] tbody tr").first
    expect(row).to_contain_text("Noor Haddad")
    row.get_by_role("link", name="Review").click()
    page.get_by_label("Justified", exact=True).check()
    page.get_by_role("button", name="Record the review").click()
    expect(page.locator(".hsb-messages")).to_contain_text("Review recorded.")
    assert BreakGlassReview.objects.get().outcome == "justified"
