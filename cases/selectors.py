"""Reads of cases, always starting from what the user may see.

Visibility (refined by the permissions issue): the front door, team managers and HSB
coordinators see the open and closed cases of their area; a lead practitioner sees the
cases they lead. Referrers (DSLs), analysts, administrators and auditors see no case file.
"""

from typing import Any

from django.db.models import Q, QuerySet

from agencies.models import Agency
from agencies.roles import Role

from .models import Case, StageMove

AREA_WIDE_ROLES = frozenset({Role.FRONT_DOOR, Role.TEAM_MANAGER, Role.HSB_COORDINATOR})
CASE_WORKER_ROLES = frozenset({Role.LEAD_PRACTITIONER, Role.TEAM_MEMBER})


def cases_visible_to(user: Any) -> QuerySet[Case]:
    base = Case.objects.select_related(
        "child", "current_stage", "lead_practitioner", "pathway_version__pathway"
    )
    if not user.is_authenticated:
        return base.none()
    if user.role in AREA_WIDE_ROLES and user.agency_id is not None:
        area = Agency.objects.filter(pk=user.agency_id).values("area_id")
        return base.filter(pathway_version__pathway__area_id__in=area)
    if user.role in CASE_WORKER_ROLES:
        return base.filter(lead_practitioner=user)
    return base.none()


def my_cases(user: Any) -> QuerySet[Case]:
    """Open cases the user leads, or for area-wide roles every open case, soonest due first."""
    cases = cases_visible_to(user).filter(closed_at__isnull=True)
    if user.role in CASE_WORKER_ROLES:
        cases = cases.filter(lead_practitioner=user)
    return cases.order_by("stage_due_on", "pk")


def stage_tasks_for(user: Any) -> QuerySet[Case]:
    """The user's inbox: open cases whose current stage is theirs to work, soonest due first.

    Built on our own query rather than viewflow's `Task.objects.user_queue`, which issues a
    query per guardian permission row. Team managers also receive every overdue stage:
    that is where a breached timescale escalates.
    """
    cases = cases_visible_to(user).filter(closed_at__isnull=True)
    mine = Q(current_stage__responsible_role=user.role)
    if user.role == Role.LEAD_PRACTITIONER:
        mine &= Q(lead_practitioner=user)
    if user.role == Role.TEAM_MANAGER:
        mine |= Q(stage_overdue_since__isnull=False)
    return cases.filter(mine).order_by("stage_due_on", "pk")


def case_route(case: Case) -> QuerySet[StageMove]:
    return case.moves.select_related("from_stage", "to_stage", "transition", "actor").order_by(
        "moved_at", "pk"
    )
