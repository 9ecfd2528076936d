"""Referral intake's one write: recording a referral and giving every child their own
consideration.

A referral names one or more children: at least one child displaying HSB, and often a
child harmed. Serious case reviews found that the needs of one child can hide another's,
so each child gets a case of their own (joining their open case, if they have one), and
the referral's cases are linked to each other both ways.

Areas are walls: a referrer names, finds as a likely duplicate and joins the open case of
children of their own partnership area only. A child of another area is, to them, a child
that does not exist: the same message, and nothing of that child in the answer.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import replace
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, QuerySet

from agencies.actors import Actor
from agencies.models import Agency, User
from agencies.roles import CAN_LOG_REFERRAL, Role
from audit.services import record_event
from cases.process import engine
from cases.process.flow import statement_lost
from pathways.models import PathwayVersion

from ..exceptions import (
    NoPublishedPathway,
    NotAllowedToRefer,
    ReferralConflict,
)
from ..models import Case, Child, Involvement, Referral, ReferralBehaviour, ReferralChild
from ..selectors import as_pk
from .rules import ChildEntry, ReferralRequest, linked_child_id, validated_referral
from .selectors import children_nameable_by, referring_agencies

REFERENCE_PREFIX = "HSB-"


def _new_reference() -> str:
    """A new child's pseudonymous reference: 40 random bits, 8 characters. Not looked up
    first: the unique constraint checks it, and `record_referral` retries the rare clash."""
    code = base64.b32encode(secrets.token_bytes(5)).decode()  # 8 characters, no padding
    return f"{REFERENCE_PREFIX}{code}"


def _area_cases(area_id: int) -> QuerySet[Case]:
    # Only a case of the referring area is joined: another area's case is not ours to touch.
    # A subquery, not a join, so a lock takes the case's rows only.
    cases: QuerySet[Case] = Case.objects.filter(
        pathway_version_id__in=PathwayVersion.objects.filter(pathway__area_id=area_id).values("pk")
    )
    return cases


def _consider_children(
    *,
    entries: list[ChildEntry],
    referral: Referral,
    version_id: int,
    area_id: int,
    level: str,
    actor: User,
) -> list[ReferralChild]:
    """Each child's own safeguarding consideration: join their open case or open a new one.

    New records are written in one INSERT; the cases of the children who already have a
    record are read (and locked) in one query; a new child has no case to look for.
    """
    new_children = {
        entry.index: Child(
            **{k: v for k, v in entry.details.items() if k != "confirm_new"}
            | {"reference": entry.details["reference"] or _new_reference()},
            area_id=referral.area_id,
        )
        for entry in entries
        if entry.child is None
    }
    Child.objects.bulk_create(new_children.values())
    known = [entry.child.pk for entry in entries if entry.child is not None]
    cases_of: dict[int, list[Case]] = {}
    if known:
        for case in _area_cases(area_id).select_for_update().filter(child_id__in=known):
            cases_of.setdefault(case.child_id, []).append(case)

    links = []
    for entry in entries:
        child = entry.child or new_children[entry.index]
        theirs = cases_of.get(child.pk, [])
        open_case = max(
            (held for held in theirs if held.closed_at is None),
            key=lambda held: (held.referral_received_at, held.pk),
            default=None,
        )
        if open_case is not None:
            # A new concern about a child already on a pathway joins that case and flags it;
            # bumping lock_version makes anyone acting on the case's older state reload first.
            Case.objects.filter(pk=open_case.pk).update(
                repeat_concern=True, lock_version=F("lock_version") + 1
            )
            record_event(
                actor=actor,
                action="case.repeat_referral",
                target=open_case,
                changes={"referral": referral.pk, "involvement": entry.involvement},
            )
            case = open_case
        else:
            facts = (
                {"continuum_level": level}
                if entry.involvement == Involvement.DISPLAYING_HSB
                else {}
            )
            case = engine.open_case(
                child=child,
                involvement=entry.involvement,
                version_id=version_id,
                referral=referral,
                referral_received_at=referral.received_at,
                actor=actor,
                facts=facts,
            )
            previous = max(
                (held for held in theirs if held.closed_at is not None),
                key=lambda held: (held.closed_at, held.pk),
                default=None,
            )
            if previous is not None:
                Case.objects.filter(pk=case.pk).update(previous_episode=previous)
                case.previous_episode = previous
        links.append(
            ReferralChild(
                referral=referral,
                child=child,
                involvement=entry.involvement,
                case=case,
                joined_open_case=open_case is not None,
            )
        )
    ReferralChild.objects.bulk_create(links)
    return links


def _link_cases(cases: list[Case]) -> None:
    """Link every child's case to every other's, both ways, in one INSERT (a pair linked by
    an earlier referral stays as it is)."""
    through = Case.linked_cases.through
    pairs = sorted({(a.pk, b.pk) for a in cases for b in cases if a.pk != b.pk})
    if pairs:
        through.objects.bulk_create(
            [through(from_case_id=a, to_case_id=b) for a, b in pairs], ignore_conflicts=True
        )


def record_referral(*, actor: Actor, **given: Any) -> Referral:
    """Record a referral; every child named gets their own case, linked to the others'.

    `given`: what the referral says, as `ReferralRequest`'s keywords (received_at, source,
    description, behaviours, children, parents_informed; channel, referring_agency, the
    referrer's name and contact, immediate safety actions, why the parents were not informed,
    the police's involvement, crime reference and outcome).

    Rules: a DSL, front-door practitioner or team manager refers (a DSL only for their own
    agency); at least one child displaying HSB and one behaviour; dates of birth not in the
    future, no child over 25 when the referral was received; a census referral-source code;
    whether the parents or carers were informed, and if not, why not; a crime reference or
    outcome when the police are involved; no child twice, and no new record for a child who
    probably has one unless the caller confirms it is a different child. Refused input
    writes nothing.
    """
    request = ReferralRequest(**given)
    request = replace(
        request,
        behaviours=list(request.behaviours or []),
        children=list(request.children or []),
    )
    for attempt in range(2):
        try:
            return _record_referral(actor=actor, given=request)
        except DatabaseError as error:
            if not isinstance(error, IntegrityError):
                if statement_lost(error) and not attempt:
                    # A prepared read the session no longer holds (`prepared_on` forgets
                    # them and prepares again): nothing was written; once more.
                    continue
                raise
            # A reference taken meanwhile (a generated one that clashed, or two intakes
            # racing to create the same child): the transaction has rolled back and nothing
            # was written. Once more, from the start, sees the other's rows and meets the
            # rules about them; then the caller is asked to submit again.
            if attempt:
                raise ReferralConflict(
                    "Another referral changed these children's records at the same moment; "
                    "nothing was saved. Submit again."
                ) from error
    raise AssertionError("unreachable")  # the loop returns or raises


@transaction.atomic
def _record_referral(*, actor: Actor, given: ReferralRequest) -> Referral:
    """The service's one transaction: no savepoint inside, every statement counted (intake's
    cost is pinned by cases/tests/referrals/test_intake_queries.py)."""
    # Permission.
    if not isinstance(actor, User) or actor.role not in CAN_LOG_REFERRAL or actor.agency_id is None:
        raise NotAllowedToRefer("Your role may not record referrals.")
    # The referring agency (an object from the page, an id from the API) is looked up among
    # the agencies of the actor's area, with the actor's own and the pathway version new
    # cases start on, in one query: one of another area answers as an id that does not
    # exist, with a field message.
    asked = None if given.referring_agency is None else as_pk(given.referring_agency)
    agencies, version_id = referring_agencies(actor, asked)
    own_agency = agencies.get(actor.agency_id)
    if own_agency is None:
        raise NotAllowedToRefer("Your account has no agency to refer for.")
    found: Agency | None = own_agency
    if given.referring_agency is not None:
        # An id that is not one (a bad payload) is unknown, as another area's agency is.
        found = agencies.get(asked) if asked is not None else None
    agency_unknown = found is None
    referring_agency = found or own_agency
    if actor.role == Role.DSL and not agency_unknown and referring_agency.pk != actor.agency_id:
        raise NotAllowedToRefer("A designated safeguarding lead refers for their own agency only.")

    # Lock the existing children named, so two referrals about the same child cannot both
    # open a new case for them; the rules read the same rows.
    linked = [pk for pk in (linked_child_id(entry) for entry in given.children) if pk is not None]
    area_id = own_agency.area_id
    existing = (
        children_nameable_by(actor, area_id=area_id).select_for_update().in_bulk(linked)
        if linked
        else {}
    )

    # Validation: every message at once, refused before anything is written.
    valid = validated_referral(
        actor=actor,
        referring_agency=referring_agency,
        agency_unknown=agency_unknown,
        given=given,
        existing=existing,
        actor_area_id=area_id,
    )
    if version_id is None:
        raise NoPublishedPathway(
            "The partnership has no published default pathway, so no case can be opened."
        )

    # Write.
    level = valid.continuum_level
    referral = Referral.objects.create(
        area_id=referring_agency.area_id,
        received_at=valid.received_at,
        source=valid.source,
        channel=valid.channel,
        referring_agency=referring_agency,
        referrer=actor if actor.role == Role.DSL else None,
        referrer_name=valid.referrer_name,
        referrer_contact=valid.referrer_contact,
        recorded_by=actor,
        description=valid.description,
        continuum_level=level,
        immediate_safety_actions=valid.immediate_safety_actions,
        parents_informed=valid.parents_informed,
        parents_not_informed_reason=valid.parents_not_informed_reason,
        police_involved=valid.police_involved,
        crime_reference=valid.crime_reference,
        police_outcome=valid.police_outcome,
    )
    ReferralBehaviour.objects.bulk_create(
        ReferralBehaviour(referral=referral, **behaviour) for behaviour in valid.behaviours
    )
    entries = valid.children
    links = _consider_children(
        entries=entries,
        referral=referral,
        version_id=version_id,
        area_id=referring_agency.area_id,
        level=level,
        actor=actor,
    )
    _link_cases([link.case for link in links])

    # Audit.
    record_event(
        actor=actor,
        action="referral.received",
        target=referral,
        changes={
            "source": valid.source,
            "continuum_level": level,
            "children": [
                {
                    "child": link.child_id,
                    "involvement": link.involvement,
                    "case": link.case_id,
                    "joined_open_case": link.joined_open_case,
                    "new_record": entry.child is None,
                }
                for entry, link in zip(entries, links, strict=True)
            ],
        },
    )
    return referral
