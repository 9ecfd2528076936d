import ipaddress
from typing import Any, Protocol

from django.db import DEFAULT_DB_ALIAS, models
from django.db.models.signals import post_save
from django.utils import timezone

from .chain import sign_event
from .context import current_request_context
from .models import AuditEvent


def _normalised_address(address: str | None) -> str | None:
    # Sign what the database will store: GenericIPAddressField compresses IPv6.
    if not address:
        return None
    try:
        return ipaddress.ip_address(address).compressed
    except ValueError:
        return None


class ActorLike(Protocol):
    """Whoever acted, as the trail needs them: the row to point at (`pk`, None for an
    anonymous visitor); a `role` and `agency_id`, when they have them, are copied onto the
    event. Audit sits below agencies, so it names no user model: `agencies.actors.Actor`
    (a `User` or `AnonymousUser`) is one."""

    @property
    def pk(self) -> Any: ...


def record_event(
    *,
    actor: ActorLike | None,
    action: str,
    target: models.Model,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event; call inside the transaction that makes the change.

    One INSERT and no lock: the event is signed here (audit/chain.py) and linked into the
    trail later by the sealer (audit/sealing.py).
    """
    event = new_event(actor=actor, action=action, target=target, changes=changes, reason=reason)
    event.save(force_insert=True)
    return event


def new_event(
    *,
    actor: ActorLike | None,
    action: str,
    target: models.Model,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """The event `record_event` appends, signed but not yet written: for a caller that writes
    it in a statement of its own, in the transaction of the change (a case's move writes
    every row in one statement: cases/process/task_rows.py), and then calls
    `announce_written`. The `xid` column is left to its database default."""
    context = current_request_context()
    event = AuditEvent(
        occurred_at=timezone.now(),
        # By id: the trail names no user model (a signed-in user's pk; None for the system or
        # an anonymous visitor).
        actor_id=getattr(actor, "pk", None) or None,
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
    sign_event(event)
    return event


def announce_written(event: AuditEvent) -> None:
    """Tell post_save's listeners (the dashboard's data generation) about an event from
    `new_event` that the caller inserted itself, as `save()` would have told them."""
    post_save.send(
        sender=AuditEvent,
        instance=event,
        created=True,
        update_fields=None,
        raw=False,
        using=event._state.db or DEFAULT_DB_ALIAS,
    )
