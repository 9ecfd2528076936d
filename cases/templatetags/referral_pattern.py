"""Repeat referrals on the pages others own: the case page's referral pattern and the
landing's list of repeat referrals awaiting the front door's decision.

Inclusion tags, so the case page's and the landing's own contexts (`cases.views`) stay as
they are. Each renders inside the page's audited read (`cases.read_audit.rendered`).
"""

from typing import Any

from django import template
from django.utils import timezone

from agencies.actors import Actor
from agencies.roles import CAN_DECIDE_REPEAT_REFERRALS
from cases.models import Case, RepeatReferralDecision
from cases.read_audit import REFERRAL_READ, record_list_read
from cases.referrals.selectors import (
    case_referral_pattern,
    is_overdue,
    undecided_repeat_decisions_for,
)
from cases.selectors import holds_cases

register = template.Library()

LANDING_ROWS = 10


@register.inclusion_tag("cases/includes/referral_pattern.html")
def case_referral_pattern_card(case: Case, user: Actor) -> dict[str, Any]:
    """The case's referrals over time (the caller has shown the user the case)."""
    pattern = case_referral_pattern(case)
    return {
        "case": case,
        "pattern": pattern,
        "undecided": sum(1 for row in pattern if row.status == "new_undecided"),
        "decision_links": True,
    }


@register.inclusion_tag("cases/includes/repeat_referrals_card.html")
def repeat_referrals_card(user: Actor) -> dict[str, Any]:
    """The user's repeat referrals awaiting a decision, soonest due first: to decide (the
    front door, a team manager) or, for a lead practitioner, new incidents on their cases.
    One list read, audited."""
    if not holds_cases(user):
        return {"shown": False}
    rows = list(undecided_repeat_decisions_for(user)[:LANDING_ROWS])
    today = timezone.localdate()
    record_list_read(
        actor=user,
        action=REFERRAL_READ,
        model=RepeatReferralDecision,
        ids=[decision.pk for decision in rows],
        list="landing",
    )
    decides = user.role in CAN_DECIDE_REPEAT_REFERRALS
    return {
        # Shown to those who decide always, to others when there is something new.
        "shown": decides or bool(rows),
        "decides": decides,
        "rows": [{"d": decision, "overdue": is_overdue(decision, today)} for decision in rows],
    }
