"""A second referral about a child on an open case: the lead practitioner sees the new
incident on the case, the front door decides it from their landing page (issue 16, item 5)."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from agencies.models import Agency
from agencies.roles import Role
from cases.models import Case, RepeatReferralDecision
from cases.referrals.services import record_referral
from cases.tests.factories import ChildFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"


def _sign_in_as(page, log_in, user):
    page.context.clear_cookies()
    log_in(user.username, PASSWORD)


def _refer(dsl, child, level, colour, description):
    return record_referral(
        actor=dsl,
        received_at=timezone.now() - datetime.timedelta(hours=1),
        source="2A",
        description="Invented referral.",
        behaviours=[
            {
                "description": description,
                "continuum_level": level,
                "traffic_light": colour,
                "setting": "school",
            }
        ],
        children=[{"involvement": "displaying_hsb", "child_id": child.pk}],
        parents_informed=True,
    )


def test_a_repeat_referral_is_seen_by_the_lead_and_decided_by_the_front_door(
    page, live_server, log_in, default_version, make_user, area
):
    school = Agency.objects.create(area=area, name="Invented Primary", agency_type="school")
    dsl = make_user(Role.DSL, agency=school)
    front_door = make_user(Role.FRONT_DOOR)
    lead = make_user(Role.LEAD_PRACTITIONER, first_name="Daniel", last_name="Evans")
    child = ChildFactory(area=area, school=school, first_name="Leo", last_name="Ashdown")
    first = _refer(dsl, child, "problematic", "amber", "Invented: the first incident.")
    case = first.children.get().case
    Case.objects.filter(pk=case.pk).update(lead_practitioner=lead)
    _refer(dsl, child, "abusive", "red", "Invented: a second, more serious incident.")
    decision = RepeatReferralDecision.objects.get()

    # The lead practitioner sees the new incident on the case, marked undecided.
    _sign_in_as(page, log_in, lead)
    page.goto(f"{live_server.url}/work/cases/{case.pk}/")
    pattern = page.locator("#referral-pattern")
    expect(pattern).to_contain_text("Invented: a second, more serious incident.")
    expect(pattern.locator("tr[data-status='new_undecided']")).to_contain_text("new · undecided")

    # The front door finds it on their landing page and decides it.
    _sign_in_as(page, log_in, front_door)
    page.goto(f"{live_server.url}/work/")
    card = page.locator("#repeat-referrals")
    expect(card).to_contain_text("Leo Ashdown")
    card.get_by_role("link", name="Leo Ashdown").click()
    expect(page).to_have_url(re.compile(rf"/work/referrals/decisions/{decision.pk}/$"))
    page.select_option("#id_outcome", "no_change")
    page.fill("#id_reason", "Invented: the early help plan already covers this.")
    page.get_by_role("button", name="Record decision").click()
    expect(page).to_have_url(re.compile(r"/work/referrals/decisions/$"))
    expect(page.locator("#repeat-decided")).to_contain_text("No change to the current route")

    decision.refresh_from_db()
    assert decision.outcome == "no_change" and decision.decided_by == front_door
