"""Who may see the partnership's figures and take part in the framework audit: one home.

The dashboard and the audit tool answer for the partnership area of the user's agency (a user
without an agency, such as a partnership analyst employed by the partnership itself, answers
for the installation's area when it has exactly one; otherwise for none).

- **Dashboard** (figures, breakdowns, drill-downs): partnership analysts, team managers and
  HSB coordinators.
  - Analysts see every count from 1 to 4 as "<5" (and any share computed from one as "—"),
    and drill-downs list cases only by a keyed pseudonym ("Case 7F3C-91A2"): no names, child
    references, dates of birth or case ids. A drill-down of fewer than five cases lists none,
    since the list would give the suppressed count away.
  - Team managers and HSB coordinators see exact counts; drill-downs show the child's
    reference, linked to the case, for the cases `cases_visible_to` lets them open, and a
    pseudonym for the others. Those views are audited (`partnership.drilldown_viewed`).
- **Audit tool**: analysts, team managers and HSB coordinators see the rounds, scores, radar
  and exports (no personal data). HSB coordinators (the officer who coordinates the audit for
  the safeguarding partners, as the framework advises) open and close rounds and agree the
  partnership's scores, and may record a score for any agency of the area, as at a
  multi-agency workshop. Team managers record their own agency's scores.
- **Not** system administrators, auditors, DSLs, the front door or case workers:
  administrators configure the system and see no case content (data minimisation); auditors
  read the audit trail; the others work individual cases, not partnership performance.
"""

from typing import TypeGuard

from agencies.actors import Actor, active_user
from agencies.models import Agency, LocalArea, User
from agencies.roles import (
    CAN_MANAGE_ROUNDS,
    CAN_SCORE,
    CAN_SCORE_FOR_ANY_AGENCY,
    CAN_VIEW_AUDIT,
    CAN_VIEW_DASHBOARD,
    PSEUDONYMISED,
)


def area_id_of(user: Actor) -> int | None:
    """The partnership area the user answers for (see the module docstring)."""
    if not active_user(user):
        return None
    cached = getattr(user, "_partnership_area_id", False)
    if cached is not False:
        return cached
    area_id: int | None
    if user.agency_id is not None:
        area_id = Agency.objects.filter(pk=user.agency_id).values_list("area_id", flat=True).first()
    else:
        only = list(LocalArea.objects.values_list("pk", flat=True)[:2])
        area_id = only[0] if len(only) == 1 else None
    user._partnership_area_id = area_id  # type: ignore[attr-defined]  # a cache for the request
    return area_id


def can_view_dashboard(user: Actor) -> TypeGuard[User]:
    return active_user(user) and user.role in CAN_VIEW_DASHBOARD and area_id_of(user) is not None


def sees_suppressed_figures(user: Actor) -> bool:
    """Small numbers suppressed and cases pseudonymised: everyone but the exact-figure roles."""
    return not (active_user(user) and user.role in CAN_VIEW_DASHBOARD - PSEUDONYMISED)


def can_view_audit(user: Actor) -> TypeGuard[User]:
    return active_user(user) and user.role in CAN_VIEW_AUDIT and area_id_of(user) is not None


def can_view_partnership(user: Actor) -> bool:
    """Whether the Partnership application shows in the menu at all."""
    return can_view_dashboard(user) or can_view_audit(user)


def can_manage_rounds(user: Actor) -> TypeGuard[User]:
    return can_view_audit(user) and user.role in CAN_MANAGE_ROUNDS


def can_agree_scores(user: Actor) -> TypeGuard[User]:
    return can_manage_rounds(user)


def can_score(user: Actor) -> TypeGuard[User]:
    return can_view_audit(user) and user.role in CAN_SCORE


def can_score_for(user: Actor, agency: Agency) -> TypeGuard[User]:
    """A coordinator for any agency of the area; a team manager for their own agency."""
    if not can_score(user) or agency.area_id != area_id_of(user):
        return False
    return user.role in CAN_SCORE_FOR_ANY_AGENCY or agency.pk == user.agency_id
