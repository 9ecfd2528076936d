from django.conf import settings
from django.db import models

from .db import CurrentTransactionId


class AuditEvent(models.Model):
    """One change or read, written by the same transaction as the change itself.

    Append-only: database triggers refuse UPDATE and DELETE. Each event is signed as it is
    written (`mac`, an HMAC under the key `key_id` names, which the database does not hold;
    audit/chain.py says what it covers), so a rewritten event cannot be re-signed by someone
    who can only write the table. Inserting takes no shared lock: on PostgreSQL the column
    default records the writing transaction's id (`xid`), and the sealer later links events
    in order into `AuditSeal`s once every transaction below a horizon has finished.
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
    # The writing transaction (PostgreSQL); NULL on SQLite, where seals go by id.
    xid = models.BigIntegerField(
        null=True, blank=True, editable=False, db_default=CurrentTransactionId()
    )
    key_id = models.CharField(max_length=16, blank=True, editable=False)
    mac = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["xid", "id"], name="audit_event_xid_idx"),
        ]
        ordering = ["id"]

    def __str__(self) -> str:
        return (
            f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"
        )


class SealBasis(models.TextChoices):
    # Events of finished transactions with xid in [xid_from, xid_to), ordered by (xid, id).
    XID = "xid", "transaction ids (PostgreSQL)"
    # Events without a transaction id and id in (previous id seal's last_id, last_id].
    ID = "id", "event ids (SQLite, one writer at a time)"
    # Same range rule as ID, over the events of the hash chain from before keys.
    LEGACY = "legacy", "events from before keyed seals"


class AuditSeal(models.Model):
    """A signed tree head: links a run of events, in order, into a keyed chain of seals.

    `digest` is a running SHA-256 over the events' MACs in order; `hash` is an HMAC over this
    row's fields including `prev_hash`, the previous seal's `hash`. Append-only like events.
    """

    seq = models.BigIntegerField(unique=True)
    prev_hash = models.CharField(max_length=64)
    basis = models.CharField(max_length=8, choices=SealBasis.choices)
    xid_from = models.BigIntegerField(null=True, blank=True)
    xid_to = models.BigIntegerField(null=True, blank=True)
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    event_count = models.BigIntegerField()
    # Events sealed by this seal and all before it: an anchor's count.
    total_count = models.BigIntegerField()
    digest = models.CharField(max_length=64)
    sealed_at = models.DateTimeField()
    key_id = models.CharField(max_length=16)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"seal {self.seq} ({self.event_count} events): {self.hash}"
