from typing import Any

from django.db import models
from django.utils import timezone

from .context import current_request_context
from .models import AuditEvent


def record_event(
    *,
    actor: Any,
    action: str,
    target: models.Model,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event; call inside the transaction that makes the change."""
    context = current_request_context()
    return AuditEvent.objects.create(
        occurred_at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_role=getattr(actor, "role", "") or "",
        actor_agency_id=getattr(actor, "agency_id", None),
        action=action,
        object_type=target._meta.label_lower,
        object_id=str(target.pk),
        changes=changes or {},
        reason=reason,
        request_id=context.request_id,
        client_address=context.client_address,
    )
