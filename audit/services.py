import ipaddress
from typing import Any

from django.db import connection, models
from django.utils import timezone

from .chain import GENESIS, content_digest, link_digest
from .context import current_request_context
from .models import AuditChainHead, AuditEvent


def _normalised_address(address: str | None) -> str | None:
    # Hash what the database will store: GenericIPAddressField compresses IPv6.
    if not address:
        return None
    try:
        return ipaddress.ip_address(address).compressed
    except ValueError:
        return None


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
    event = AuditEvent(
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
        client_address=_normalised_address(context.client_address),
    )
    event.content_hash = content_digest(event)
    if connection.vendor != "postgresql":
        # PostgreSQL links the event in its insert trigger; elsewhere (the embedded SQLite
        # demo, which serialises writers) the link is computed here.
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"seq": 0, "hash": GENESIS}
        )
        event.seq = head.seq + 1
        event.prev_hash = head.hash
        event.hash = link_digest(event.seq, event.prev_hash, event.content_hash)
        AuditChainHead.objects.filter(pk=1).update(seq=event.seq, hash=event.hash)
    event.save(force_insert=True)
    return event
