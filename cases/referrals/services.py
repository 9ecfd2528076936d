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
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from agencies.actors import Actor, active_user
from agencies.models import Agency, User
from agencies.roles import CAN_DECIDE_REPEAT_REFERRALS, CAN_LOG_REFERRAL, Role
from audit.services import announce_written, new_event, record_event
from cases.process import engine, task_rows
from cases.process.flow import statement_lost
from core.limits import TEXT_MAX_LENGTH
from core.validation import identifier_problem_in_prose, required_problem, text
from pathways.compiled import compiled_version
from pathways.deadlines import local_date
from pathways.models import PathwayVersion, TransitionKind
from pathways.working_days import add_working_days

from ..exceptions import (
    InvalidRepeatReferralDecision,
    NoPublishedPathway,
    NotAllowedToDecideReferral,
    NotAllowedToRefer,
    ReferralConflict,
    RepeatReferralAlreadyDecided,
    RepeatReferralDecisionNotFound,
)
from ..models import (
    Case,
    Child,
    Referral,
    ReferralBehaviour,
    ReferralChild,
    RepeatReferralDecision,
    RepeatReferralOutcome,
)
from ..selectors import as_pk
from .rules import ChildEntry, ReferralRequest, linked_child_id, validated_referral
from .selectors import children_nameable_by, decided_late, referring_agencies, repeat_decisions_for

REFERENCE_PREFIX = "HSB-"
# Working Together: every referral is decided within one working day of its receipt. A new
# case meets it as its pathway's first stage; a referral that joins an open case, here.
REPEAT_DECISION_WORKING_DAYS = 1


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


@dataclass
class _Consideration:
    """One child's consideration, as intake writes it: their record (new or found), the case
    they join (`joined`) or the one opened for them (`opening`), and their link."""

    entry: ChildEntry
    child: Child
    joined: Case | None
    opening: engine.NewCase | None
    link: ReferralChild

    @property
    def case(self) -> Case:
        if self.joined is not None:
            return self.joined
        assert self.opening is not None
        return self.opening.case


def _consider_children(
    *,
    entries: list[ChildEntry],
    referral: Referral,
    version_id: int,
    area_id: int,
    actor: User,
) -> list[_Consideration]:
    """Each child's own safeguarding consideration: join their open case or open a new one.

    Nothing is written here: new records and cases are filled for intake's two statements.
    The cases of the children who already have a record are read (and locked) in one query;
    a new child has no case to look for.
    """
    known = [entry.child.pk for entry in entries if entry.child is not None]
    cases_of: dict[int, list[Case]] = {}
    if known:
        for case in _area_cases(area_id).select_for_update().filter(child_id__in=known):
            cases_of.setdefault(case.child_id, []).append(case)

    considered = []
    for entry in entries:
        child = entry.child or task_rows.stamped(
            Child(
                **{k: v for k, v in entry.details.items() if k != "confirm_new"}
                | {"reference": entry.details["reference"] or _new_reference()},
                area_id=referral.area_id,
            )
        )
        theirs = cases_of.get(child.pk, []) if entry.child is not None else []
        open_case = max(
            (held for held in theirs if held.closed_at is None),
            key=lambda held: (held.referral_received_at, held.pk),
            default=None,
        )
        opening = None
        if open_case is None:
            # The referrer's level stays on the referral; the case's confirmed level is asked
            # for after screening, never copied from it (figure 3.7 compares the two).
            opening = engine.new_case(
                child=child,
                involvement=entry.involvement,
                version_id=version_id,
                referral=referral,
                referral_received_at=referral.received_at,
                actor=actor,
            )
            opening.case.previous_episode = max(
                (held for held in theirs if held.closed_at is not None),
                key=lambda held: (held.closed_at, held.pk),
                default=None,
            )
        considered.append(
            _Consideration(
                entry=entry,
                child=child,
                joined=open_case,
                opening=opening,
                link=ReferralChild(
                    involvement=entry.involvement, joined_open_case=open_case is not None
                ),
            )
        )
    return considered


def _write_intake(
    *,
    actor: User,
    referral: Referral,
    behaviours: list[ReferralBehaviour],
    considered: list[_Consideration],
    received_changes: Callable[[list[_Consideration]], dict[str, Any]],
    region: str,
) -> None:
    """Write the referral, its children and cases, its behaviours, links and audit events in
    two statements of data-modifying CTEs (task_rows).

    The first: the referral, each new child's record and each new case's rows. The second:
    what names them, which row-level security checks against the case or referral and so
    cannot share their statement: the behaviours, each child's link, each new case's first
    move, the links between the referral's cases, a joined case's repeat-concern flag and
    the front door's decision it awaits (due `REPEAT_DECISION_WORKING_DAYS` after receipt, in
    working days of the area's `region`), and the audit events (signed with the new ids, in
    the order they were recorded before).
    """
    first = task_rows.intake_statement()
    task_rows.stamped(referral)
    first.insert("referral", referral)
    referral_id = task_rows.cte_id("referral")
    returned = [referral_id]
    for number, item in enumerate(considered):
        child_sql = None
        if item.entry.child is None:
            first.insert(f"child_{number}", item.child)
            child_sql = task_rows.cte_id(f"child_{number}")
            returned.append(child_sql)
        if item.opening is not None:
            sql = {"referral_id": referral_id} | ({"child_id": child_sql} if child_sql else {})
            case_id, work_id = task_rows.add_new_case_rows(
                first,
                name=f"case_{number}",
                case=item.opening.case,
                stage_key=item.opening.stage.key,
                breach_at=item.opening.breach_at,
                sql=sql,
            )
            returned += [case_id, work_id]
    # The final query reads every inserted id in turn: a CTE runs when first read, so the
    # rows are written (and numbered) in the order they were recorded before.
    ids = iter(first.run(f"SELECT {', '.join(returned)}, {task_rows.in_order(first)[7:]}"))
    _saved(referral, next(ids))
    for item in considered:
        if item.entry.child is None:
            _saved(item.child, next(ids))
        if item.opening is not None:
            case = item.opening.case
            case.child = item.child  # the child's id, now that it has one
            _saved(case, next(ids))
            case.current_task_id = next(ids)
            case.referral = referral

    second = task_rows.intake_statement()
    for number, behaviour in enumerate(behaviours):
        behaviour.referral = referral
        second.insert(f"behaviour_{number}", behaviour)
    events = []
    for number, item in enumerate(considered):
        item.link.referral, item.link.child, item.link.case = referral, item.child, item.case
        second.insert(f"link_{number}", item.link)
        if item.opening is not None:
            item.opening.move.case = item.case
            second.insert(f"move_{number}", item.opening.move)
            events.append(item.opening.opened_event(actor))
        else:
            # A new concern about a child already on a pathway joins that case and flags it;
            # bumping lock_version makes anyone acting on the case's older state reload first.
            second.add(
                f"repeat_{number}",
                f"UPDATE {Case._meta.db_table} SET repeat_concern = %s,"  # noqa: S608 - _meta
                " lock_version = lock_version + 1 WHERE process_ptr_id = %s",
                [True, item.case.pk],
            )
            due_on = add_working_days(
                local_date(referral.received_at), REPEAT_DECISION_WORKING_DAYS, region
            )
            second.insert(
                f"repeat_decision_{number}",
                RepeatReferralDecision(
                    referral=referral, case=item.case, area_id=item.case.area_id, due_on=due_on
                ),
            )
            events.append(
                new_event(
                    actor=actor,
                    action="case.repeat_referral",
                    target=item.case,
                    changes={
                        "referral": referral.pk,
                        "involvement": item.entry.involvement,
                        "decision_due_on": due_on.isoformat(),
                    },
                )
            )
    # Every child's case linked to every other's, both ways (a pair linked by an earlier
    # referral stays as it is).
    pairs = sorted({(a.case.pk, b.case.pk) for a in considered for b in considered})
    pairs = [(a, b) for a, b in pairs if a != b]
    if pairs:
        through = Case.linked_cases.through._meta.db_table
        second.add(
            "case_links",
            f"INSERT INTO {through} (from_case_id, to_case_id) VALUES "  # noqa: S608 - _meta
            + ", ".join(["(%s, %s)"] * len(pairs))
            + " ON CONFLICT DO NOTHING",
            [pk for pair in pairs for pk in pair],
        )
    events.append(new_event(**received_changes(considered)))
    for number, event in enumerate(events):
        second.insert(f"event_{number}", event)
    second.run(task_rows.in_order(second))
    for event in events:
        announce_written(event)


def _saved(row: Any, pk: int) -> None:
    """A row written by intake's statements, as save() would leave it."""
    row.pk = pk
    row._state.adding = False
    row._state.db = DEFAULT_DB_ALIAS


def record_referral(*, actor: Actor, **given: Any) -> Referral:
    """Record a referral; every child named gets their own case, linked to the others'.

    `given`: what the referral says, as `ReferralRequest`'s keywords (received_at, source,
    description, behaviours, children, parents_informed; channel, referring_agency, the
    referrer's name and contact, immediate safety actions, why the parents were not informed,
    the police's involvement, crime reference and outcome).

    Rules: a DSL, front-door practitioner or team manager refers (a DSL only for their own
    agency); at least one child displaying HSB and one behaviour, each behaviour's traffic
    light fitting its continuum level (green normal; amber inappropriate or problematic; red
    abusive or violent); dates of birth not in the future, and when the referral was received
    a child displaying HSB 4 to 17, a child harmed under 18; a census referral-source code;
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

    # Write: two statements (`_write_intake`), the audit events among them.
    level = valid.continuum_level
    referral = Referral(
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
    considered = _consider_children(
        entries=valid.children,
        referral=referral,
        version_id=version_id,
        area_id=referring_agency.area_id,
        actor=actor,
    )

    def received(considered: list[_Consideration]) -> dict[str, Any]:
        # The referral's audit event, once every row has its id.
        return {
            "actor": actor,
            "action": "referral.received",
            "target": referral,
            "changes": {
                "source": valid.source,
                "continuum_level": level,
                "children": [
                    {
                        "child": item.child.pk,
                        "involvement": item.entry.involvement,
                        "case": item.case.pk,
                        "joined_open_case": item.joined is not None,
                        "new_record": item.entry.child is None,
                    }
                    for item in considered
                ],
            },
        }

    _write_intake(
        actor=actor,
        referral=referral,
        behaviours=[ReferralBehaviour(**behaviour) for behaviour in valid.behaviours],
        considered=considered,
        received_changes=received,
        # The area's bank holidays: its pathway version's, compiled once per process.
        region=compiled_version(version_id).region,
    )
    return referral


# --- the front door's decision on a referral that joined an open case ------------------------

REASON_NEEDED = (
    "Say why: a decision on a repeat referral weighs the pattern across incidents, "
    "not this one alone."
)


def step_ups_open_to(case: Case, actor: Actor) -> list[Any]:
    """The step-up transitions out of the case's current stage that the actor's role may take
    (the pathway's; the engine checks them again as it moves the case)."""
    role = getattr(actor, "role", None)
    return [
        transition
        for transition in compiled_version(case.pathway_version_id).exits.get(
            case.current_stage_id, []
        )
        if transition.kind == TransitionKind.STEP_UP and role in transition.allowed_roles
    ]


@transaction.atomic
def decide_repeat_referral(
    *,
    decision: RepeatReferralDecision | int,
    actor: Actor,
    outcome: str,
    reason: str = "",
    transition: str = "",
    data: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> RepeatReferralDecision:
    """Decide what a referral that joined a child's open case changes, once.

    `outcome`: "no_change" (the current route stands) or "step_up", which moves the case
    along `transition`, a step-up out of its current stage, through the engine
    (`engine.take_transition`: its role, guards, artefacts and the case's version are
    checked there, the move audited there; `data` carries the facts it may need, such as
    the continuum level or suspected significant harm). Always with a reason.

    Refuses: a role that does not decide referrals (403); a decision on a case the actor's
    role does not give them, another area's among them (404, as one that does not exist);
    one already decided (409); a missing or unknown outcome, a missing reason, a step-up
    with no transition or one that is not a step-up open to the actor from the case's
    current stage, a transition with "no change" (400, field messages). Nothing is written
    on refusal: the decision, the move and both audit events commit together.
    """
    if not (active_user(actor) and actor.role in CAN_DECIDE_REPEAT_REFERRALS):
        raise NotAllowedToDecideReferral(
            "Only the front door or a team manager decides a repeat referral."
        )
    pk = decision.pk if isinstance(decision, RepeatReferralDecision) else decision
    found = (
        repeat_decisions_for(actor)
        .select_related(None)
        .select_related("case")
        .prefetch_related(None)
        .select_for_update(of=("self",))
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise RepeatReferralDecisionNotFound("No such referral decision.")
    if found.decided_at is not None:
        raise RepeatReferralAlreadyDecided(
            f"This referral was already decided on {timezone.localtime(found.decided_at):%d %b %Y}"
            f" ({found.get_outcome_display().lower()}).",
        )
    case = found.case
    reason = text(reason)
    transition = text(transition)
    errors: dict[str, list[str]] = {}
    if outcome not in RepeatReferralOutcome.values:
        errors["outcome"] = [
            "Choose an outcome: "
            + "; ".join(f"'{value}' ({label})" for value, label in RepeatReferralOutcome.choices)
            + "."
        ]
    problem = required_problem(
        reason, REASON_NEEDED, max_length=TEXT_MAX_LENGTH
    ) or identifier_problem_in_prose(reason)
    if problem:
        errors["reason"] = [problem]
    chosen = None
    if outcome == RepeatReferralOutcome.STEP_UP:
        open_to = {option.key: option for option in step_ups_open_to(case, actor)}
        chosen = open_to.get(transition)
        if chosen is None:
            named = ", ".join(f"'{key}'" for key in open_to) or "none"
            errors["transition"] = [
                f"A step-up names one of the step-ups your role may take from the case's "
                f"current stage: {named}."
            ]
    elif outcome == RepeatReferralOutcome.NO_CHANGE and (transition or data):
        errors["transition"] = ["'No change to the current route' moves nothing: leave it out."]
    if errors:
        raise InvalidRepeatReferralDecision(
            "The decision has errors; nothing was saved.", fields=errors
        )

    if chosen is not None:
        # The engine's own checks and audit; a refusal there rolls this whole decision back.
        engine.take_transition(
            case=case,
            transition=chosen.key,
            actor=actor,
            reason=reason,
            data=data,
            expected_version=expected_version,
        )
    found.outcome = outcome
    found.reason = reason
    found.transition = chosen
    found.decided_by = actor
    found.decided_at = timezone.now()
    found.save(update_fields=["outcome", "reason", "transition", "decided_by", "decided_at"])
    record_event(
        actor=actor,
        action="case.repeat_referral_decided",
        target=case,
        changes={
            "referral": found.referral_id,
            "decision": found.pk,
            "outcome": outcome,
            "transition": chosen.key if chosen is not None else None,
            "due_on": found.due_on.isoformat(),
            "late": decided_late(found),
        },
        reason=reason,
    )
    return found
