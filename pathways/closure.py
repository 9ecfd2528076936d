"""Closure reasons and the children's social care episode (issue 16).

A children's social care (CSC) episode opens when a case enters a statutory stage (the
referral to CSC) and ends when the case steps down or closes while it is open. Only the end
of such an episode takes a DfE Children in Need census closure reason (RC1-RC9); universal
advice, early help, specialist support and no further action at the front door close with a
plain reason of their own. A closing transition (or a step-down) lists the reasons it allows
(`closure_reasons` in the pathway definition); a transition that lists none allows every
reason of the kind the case needs.

Pure rules over the case's fields (`case: Any`, as the guards read it): pathways sits below
cases and never imports them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import models

from .continuum import ClosureReason
from .models import ServiceTier, TransitionKind

CENSUS_CODES = "census closure reasons (RC1-RC9)"


class SupportClosureReason(models.TextChoices):
    """Why a case closes outside a children's social care episode."""

    NO_FURTHER_ACTION = "no_further_action", "No further action at the front door"
    ADVICE_GIVEN = "advice_given", "Advice given, no further support needed"
    SUPPORT_COMPLETED = "support_completed", "Support completed, needs met"
    SUPPORT_DECLINED = "support_declined", "Support declined by the child or family"
    MOVED_AWAY = "moved_away", "Moved out of the area, case passed on"
    ADULT_SERVICES = "adult_services", "Transferred to adult services"


# Every closure reason a case may carry: the census codes, then the plain ones.
CLOSURE_REASON_CHOICES: list[tuple[str, str]] = [
    *ClosureReason.choices,
    *SupportClosureReason.choices,
]
CLOSURE_REASONS: frozenset[str] = frozenset(value for value, _ in CLOSURE_REASON_CHOICES)
_LABELS = dict(CLOSURE_REASON_CHOICES)
CLOSURE_REASON_MAX_LENGTH = 32  # a column's width: room for reasons to come
assert max(len(value) for value in CLOSURE_REASONS) <= CLOSURE_REASON_MAX_LENGTH


def is_census(reason: str) -> bool:
    return reason in ClosureReason.values


def closure_reason_label(reason: str) -> str:
    return str(_LABELS.get(reason, reason))


def _listed(reasons: Iterable[str]) -> str:
    return ", ".join(f"{reason} ({closure_reason_label(reason)})" for reason in reasons)


# --- the children's social care episode ------------------------------------------------------


def csc_episode_open(case: Any) -> bool:
    return case.csc_referred_at is not None and case.csc_episode_ended_at is None


def enters_csc(transition: Any) -> bool:
    """The move is a referral to children's social care: into a statutory stage from outside."""
    return (
        transition.to_stage.tier == ServiceTier.STATUTORY
        and transition.from_stage.tier != ServiceTier.STATUTORY
    )


def ends_csc_episode(transition: Any, case: Any) -> bool:
    """A step-down or a closure while an episode is open ends it (a step-down always falls
    below the statutory tier; a route onwards, to a plan, keeps the episode open)."""
    return csc_episode_open(case) and transition.kind in (
        TransitionKind.STEP_DOWN,
        TransitionKind.CLOSE,
    )


def csc_referral_moment(transition: Any, case: Any, now: datetime) -> datetime:
    """When the case was referred to children's social care by this move: a route (the front
    door's decision on the referral) makes the referral itself the referral to CSC; a step-up
    (or any other move in) is a new referral, made now."""
    if transition.kind == TransitionKind.ROUTE:
        return case.referral_received_at
    return now


def record_csc_episode(
    case: Any, transition: Any, facts: dict[str, Any], now: datetime
) -> list[str]:
    """Set the case's episode fields for the move (before it is written); returns the names of
    the fields changed. Called under the case's lock, after `closure_reason_refusal` passed."""
    if enters_csc(transition):
        case.csc_referred_at = csc_referral_moment(transition, case, now)
        case.csc_episode_ended_at = None
        case.csc_episode_end_reason = ""
        return ["csc_referred_at", "csc_episode_ended_at", "csc_episode_end_reason"]
    if ends_csc_episode(transition, case):
        case.csc_episode_ended_at = now
        case.csc_episode_end_reason = facts.get("closure_reason", "")
        return ["csc_episode_ended_at", "csc_episode_end_reason"]
    return []


# --- which closure reason a move needs -----------------------------------------------------------


def allowed_closure_reasons(transition: Any, case: Any) -> list[str] | None:
    """The closure reasons the move accepts, or None when it records none: a closure takes a
    census code if it ends a CSC episode and a plain reason otherwise; a step-down takes a
    census code if it ends one; any other move takes none."""
    census = ends_csc_episode(transition, case)
    if transition.kind != TransitionKind.CLOSE and not census:
        return None
    listed = list(transition.closure_reasons or [])
    if not listed:
        listed = list(ClosureReason.values if census else SupportClosureReason.values)
    return [reason for reason in listed if is_census(reason) is census]


def closure_reason_refusal(transition: Any, case: Any, data: dict[str, Any]) -> str | None:
    """Why the move's `closure_reason` does not do, naming the rule; None when it does."""
    reason = data.get("closure_reason") or ""
    allowed = allowed_closure_reasons(transition, case)
    if allowed is None:
        if reason:
            return (
                f"'{transition.name}' closes nothing: a closure reason is recorded only when a "
                "case closes, or steps down out of a children's social care episode."
            )
        return None
    if reason in allowed:
        return None
    if not allowed:
        return (
            f"'{transition.name}' lists no closure reason that fits this case, so it cannot be "
            "taken; the pathway's administrator needs to correct it."
        )
    if ends_csc_episode(transition, case):
        return (
            f"'{transition.name}' ends the case's children's social care episode, which is "
            f"recorded with one of the {CENSUS_CODES} allowed here: {_listed(allowed)}."
        )
    if is_census(reason):
        return (
            f"The {CENSUS_CODES} are only for ending a children's social care episode, and "
            f"this case has none open; '{transition.name}' closes with one of: "
            f"{_listed(allowed)}."
        )
    return f"'{transition.name}' closes with one of: {_listed(allowed)}."
