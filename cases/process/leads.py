"""The lead practitioner rule, in one home: who may designate a case's lead, who may be named,
and the rows a designation writes.

Two writes hold to it: `cases.services.designate_lead_practitioner` (a designation or a
handover on its own) and `engine.take_transition` (routing a case into a stage that needs a lead
names one in the same step). Both lock and read the case with the actor's role rule first.
"""

from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections

from agencies.actors import Actor
from agencies.models import User
from agencies.roles import CAN_DESIGNATE_LEAD, CAN_LEAD
from audit.models import AuditEvent
from audit.services import new_event
from cases.exceptions import (
    InvalidLeadPractitioner,
    LeadPractitionerNotFound,
    NotAllowedToDesignate,
)
from cases.models import Case, LeadDesignation
from cases.selectors import as_pk, case_area_id, people_of_area, person_of_area

from . import task_rows

# One answer for a person who does not exist and one of another area (see the exceptions).
NO_SUCH_PRACTITIONER = "No such practitioner in this case's area."
NOT_YOURS_TO_DESIGNATE = "You may not designate a lead practitioner for this case."
MAY_NOT_DESIGNATE = "Your role may not designate a lead practitioner."


def may_designate(actor: Actor) -> bool:
    """Whether the actor's role allocates and hands over leads (of cases its rule shows)."""
    return isinstance(actor, User) and actor.role in CAN_DESIGNATE_LEAD


def check_may_designate(actor: Actor) -> User:
    """The actor, if their role may designate a lead practitioner; else 403."""
    if not isinstance(actor, User) or actor.role not in CAN_DESIGNATE_LEAD:
        raise NotAllowedToDesignate(MAY_NOT_DESIGNATE)
    return actor


# `person_of_area`'s read compiled once: the ORM takes longer to build and compile it than
# PostgreSQL takes to run it, and its SQL depends on nothing but the two values (area, person).
_PERSON_MARKS = (-2_000_000_001, -2_000_000_002)  # no row has a negative id
_person_read: tuple[str, tuple[Any, ...], int, int] | None = None


def _person_of_area(area_id: int | None, person: Any) -> User | None:
    """`selectors.person_of_area`, the same rule and answer (its SQL built by the selector's
    `people_of_area`), compiled once and prepared on the server (PostgreSQL only)."""
    global _person_read
    pk = as_pk(person)
    if pk is None or area_id is None or connection.vendor != "postgresql":
        return person_of_area(area_id, person)
    if _person_read is None:
        area_mark, pk_mark = _PERSON_MARKS
        rows = people_of_area(area_mark).select_related(None).filter(pk=pk_mark).order_by()[:1]
        sql, params = rows.query.get_compiler(using=rows.db).as_sql()
        assert params.count(area_mark) == 1 and params.count(pk_mark) == 1
        _person_read = (sql, tuple(params), params.index(area_mark), params.index(pk_mark))
    sql, params, area_at, pk_at = _person_read
    filled = list(params)
    filled[area_at], filled[pk_at] = area_id, pk
    with task_rows.prepared_on(connections[DEFAULT_DB_ALIAS], sql) as send:
        found = list(User.objects.raw(send, filled))
    return found[0] if found else None


def lead_to_name(locked: Case, practitioner: Any, *, field: str = "practitioner") -> User:
    """The practitioner (a user or, from a payload, an id) who may lead the locked case: one of
    the case's area, else 404 as for an id that does not exist, so the case never goes to
    someone who would then read it from outside the area; active and of a lead role (400).
    `field` names the input the messages are about."""
    named = _person_of_area(case_area_id(locked), practitioner)
    if named is None:
        raise LeadPractitionerNotFound(NO_SUCH_PRACTITIONER, fields={field: [NO_SUCH_PRACTITIONER]})
    if not named.is_active or named.role not in CAN_LEAD:
        raise InvalidLeadPractitioner(
            "This person cannot act as lead practitioner.",
            fields={field: ["Choose an active lead practitioner or manager."]},
        )
    return named


def designation_rows(
    *,
    locked: Case,
    named: User,
    actor: User,
    reason: str,
    now: datetime,
    previous: int | None,
) -> tuple[LeadDesignation, AuditEvent]:
    """The designation row and its signed audit event, not written; sets the case's lead."""
    designation = LeadDesignation(
        case=locked,
        practitioner=named,
        designated_by=actor,
        reason=reason,
        started_at=now,
    )
    locked.lead_practitioner = named
    event = new_event(
        actor=actor,
        action="case.lead_designated" if previous is None else "case.lead_handed_over",
        target=locked,
        changes={"lead_practitioner": [previous, named.pk]},
        reason=reason,
    )
    return designation, event
