"""Writes to cases: each one locks, checks permission, validates, writes and audits."""

from typing import Any

from django.utils import timezone

from agencies.roles import Role
from audit.services import record_event

from .exceptions import InvalidLeadPractitioner, NotAllowedToDesignate
from .models import Case, LeadDesignation

DESIGNATING_ROLES = frozenset({Role.FRONT_DOOR, Role.TEAM_MANAGER, Role.HSB_COORDINATOR})
LEAD_ROLES = frozenset({Role.LEAD_PRACTITIONER, Role.TEAM_MANAGER, Role.HSB_COORDINATOR})


def designate_lead_practitioner(
    *, case: Case, practitioner: Any, actor: Any, reason: str = ""
) -> Case:
    """Designate (or hand over to) the case's lead practitioner; one active at a time."""
    from pathways.flows import PathwayFlow

    if actor.role not in DESIGNATING_ROLES:
        raise NotAllowedToDesignate("Your role may not designate a lead practitioner.")
    if not practitioner.is_active or practitioner.role not in LEAD_ROLES:
        raise InvalidLeadPractitioner(
            "This person cannot act as lead practitioner.",
            fields={"practitioner": ["Choose an active lead practitioner or manager."]},
        )
    with PathwayFlow.lock(case.pk):
        locked = Case.objects.get(pk=case.pk)
        if locked.closed_at is not None:
            raise InvalidLeadPractitioner("The case is closed.")
        previous = locked.lead_practitioner_id
        if previous == practitioner.pk:
            raise InvalidLeadPractitioner(
                "This practitioner is already the lead.",
                fields={"practitioner": ["Already the designated lead practitioner."]},
            )
        if previous is not None and not reason.strip():
            raise InvalidLeadPractitioner(
                "A handover needs a reason.", fields={"reason": ["A reason is required."]}
            )
        now = timezone.now()
        LeadDesignation.objects.filter(case=locked, ended_at__isnull=True).update(ended_at=now)
        LeadDesignation.objects.create(
            case=locked,
            practitioner=practitioner,
            designated_by=actor,
            reason=reason.strip(),
            started_at=now,
        )
        locked.lead_practitioner = practitioner
        locked.lock_version += 1
        locked.save(update_fields=["lead_practitioner", "lock_version"])
        record_event(
            actor=actor,
            action="case.lead_designated" if previous is None else "case.lead_handed_over",
            target=locked,
            changes={"lead_practitioner": [previous, practitioner.pk]},
            reason=reason.strip(),
        )
    return locked
