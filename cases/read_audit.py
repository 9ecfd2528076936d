"""Audit of reads: every read of a child, case, referral, assessment or sharing record.

A detail read appends one event naming the record; a list appends one event naming the ids
it showed, so a page of 3 rows and a page of 30 cost the same one INSERT. Request id and
client address come from `audit.context` through `record_event`.

Read the rows and record the event inside `audited_read()`, so both happen in the request's
transaction and a read whose event cannot be written is never answered.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from django.db import connection, models, transaction
from django.template.response import TemplateResponse

from agencies.actors import Actor
from audit.services import record_event

CASE_READ = "case.read"
REFERRAL_READ = "referral.read"
ASSESSMENT_READ = "assessment.read"
SHARING_READ = "sharing.read"
CHILD_READ = "child.read"


def rendered(response: TemplateResponse) -> TemplateResponse:
    """Render now, inside the read's transaction, so the queries the template runs (the
    case record's inclusion tags) happen before the read's audit event is committed."""
    response.render()
    return response


@contextmanager
def audited_read() -> Iterator[None]:
    """The request's transaction for a read and its audit event.

    Joins the transaction already open (ATOMIC_REQUESTS, a calling service, a test) rather
    than nesting a savepoint: a read needs no partial rollback, a refusal raised inside (a
    404) must not doom the caller's transaction, and the query count grows by the audit's
    own statements only. With no transaction open, it opens one.
    """
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        yield


def record_read(*, actor: Actor, action: str, target: models.Model, **changes: Any) -> None:
    """One detail read of `target` (what was read beyond the record itself goes in changes,
    e.g. section="notes" and the ids of the notes shown)."""
    record_event(actor=actor, action=action, target=target, changes=changes)


class _Listing:
    """Stands in for "a list of these records" as an audit target: the object type is the
    model's, the object id is "list", and the ids shown go in the event's changes."""

    pk = "list"

    def __init__(self, model: type[models.Model]):
        self._meta = model._meta


def record_list_read(
    *, actor: Actor, action: str, model: type[models.Model], ids: Iterable[Any], **changes: Any
) -> None:
    """One list read: a single event naming every id shown, whatever the page size."""
    record_event(
        actor=actor,
        action=action,
        target=cast(models.Model, _Listing(model)),
        changes={"ids": [item for item in ids], **changes},
    )
