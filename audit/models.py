from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One change or read, written by the same transaction as the change itself.

    Append-only: database triggers refuse UPDATE and DELETE (see migration 0002). Events are
    hash-chained: `content_hash` covers the event's fields, `hash` covers the sequence number,
    the previous event's hash and `content_hash`, so an edited, deleted or inserted event
    breaks the chain (`manage.py verify_audit_trail`). On PostgreSQL the chain fields are set
    by a BEFORE INSERT trigger under a lock on the chain head, so concurrent writers cannot
    fork the chain and the application pays no extra round trip.
    """

    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_role = models.CharField(max_length=32, blank=True)
    actor_agency_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    seq = models.BigIntegerField(unique=True, null=True, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    content_hash = models.CharField(max_length=64, default="", editable=False)
    hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]
        ordering = ["id"]

    def __str__(self) -> str:
        return (
            f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"
        )


class AuditChainHead(models.Model):
    """The last link of the chain: its sequence number and hash (a single row, id 1)."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit chain head {self.seq}: {self.hash}"
