"""The engine: opening a case on a published pathway version and moving it along transitions.

`take_transition` is the only way a case changes stage. In one transaction it locks the
case (the flow's row lock, `SELECT … FOR UPDATE NOWAIT`) as it reads it within the actor's
role rule, checks the actor's role, that the transition is on the route of the case's own
child (each child is routed by their own involvement: the continuum describes the behaviour
of the child displaying HSB, never the child harmed), the transition's guards and the current
stage's required artefacts, completes the stage task, opens the next one with its deadline
timer, and records the move and its audit event. A move into a stage that needs a lead
practitioner names one (checked by the lead rule, `leads.py`) and designates them in the same
statement; a step-up of a child displaying HSB records the continuum level that justifies it,
and one that skips a tier says why.

Completing a task through viewflow's activation costs about 20 queries (4 of them
permission checks viewflow does not need here). Here a move is two statements: the locked
read, and every row of the move, its audit event included, in one statement (`task_rows.py`,
the one module that writes viewflow's rows); naming a lead adds the practitioner's read.
Opening a case is three, with no savepoint (benchmarks/transitions.py measures a move
against viewflow's own task completion).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from viewflow.workflow.status import PROCESS

from agencies.actors import Actor
from agencies.models import User
from audit.models import AuditEvent
from audit.services import announce_written, new_event
from cases.models import Case, LeadDesignation, StageMove
from cases.selectors import holds_cases, role_scope
from pathways.artefacts import ARTEFACTS, missing_artefacts
from pathways.closure import CLOSURE_REASONS, closure_reason_refusal, record_csc_episode
from pathways.compiled import CompiledVersion, compiled_version
from pathways.continuum import ContinuumLevel
from pathways.deadlines import breach_moment, stage_due_on
from pathways.exceptions import (
    GuardFailed,
    InvalidTransitionData,
    LeadPractitionerRequired,
    MissingArtefact,
    NotAllowedForRole,
    NotAllowedOnCase,
    NotForThisChild,
    StaleCase,
    TransitionNotAvailable,
)
from pathways.guards import GUARDS, failed_guards
from pathways.involvement import Involvement, involvement_label
from pathways.models import Stage, Transition, TransitionKind

from . import task_rows
from .flow import PathwayFlow, initialise_case
from .leads import check_may_designate, designation_rows, lead_to_name, may_designate

NOT_YOURS = "You may not move this case: it is not one you work on."


# --- transition data -----------------------------------------------------------------------

_FACT_FIELDS = (
    "continuum_level",
    "significant_harm_suspected",
    "closure_reason",
    "outcome",
    "lead_practitioner",
)
_MAX_ID = 2**63 - 1


def clean_transition_data(data: dict[str, Any] | None) -> dict[str, Any]:
    """Check the facts an actor may supply with a transition; field-level messages on error."""
    data = dict(data or {})
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(data) - set(_FACT_FIELDS))
    for key in unknown:
        errors[key] = [f"Unknown field; expected one of {', '.join(_FACT_FIELDS)}."]
    level = data.get("continuum_level")
    if level not in (None, "") and level not in ContinuumLevel.values:
        errors["continuum_level"] = [f"'{level}' is not a continuum level."]
    harm = data.get("significant_harm_suspected")
    if harm is not None and not isinstance(harm, bool):
        errors["significant_harm_suspected"] = ["Must be true or false."]
    reason = data.get("closure_reason")
    if reason not in (None, "") and reason not in CLOSURE_REASONS:
        errors["closure_reason"] = [f"'{reason}' is not a closure reason."]
    outcome = data.get("outcome")
    if outcome is not None and not isinstance(outcome, str):
        errors["outcome"] = ["Must be text."]
    lead = data.get("lead_practitioner")
    if lead is not None and (
        isinstance(lead, bool) or not isinstance(lead, int) or not 0 < lead <= _MAX_ID
    ):
        errors["lead_practitioner"] = ["Must be a user id."]
    if errors:
        raise InvalidTransitionData("The transition's data is invalid.", fields=errors)
    return {key: value for key, value in data.items() if value not in (None, "")}


# --- what the actor may do now ---------------------------------------------------------------


@dataclass(frozen=True)
class TransitionOption:
    transition: Transition
    failed_guards: list[str]
    missing_artefacts: list[str]
    # What taking it asks of the actor: the inputs to show (`asks`) and those it cannot
    # go without (`needs`), each an input of the move's data (or its reason).
    asks: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        return not self.failed_guards and not self.missing_artefacts

    @property
    def reason_required(self) -> bool:
        return "reason" in self.needs

    @property
    def needs_text(self) -> str:
        """What it cannot be taken without, in words (the case page's options)."""
        return ", ".join(_INPUT_WORDS.get(key, key) for key in self.needs)


_INPUT_WORDS = {
    "reason": "a reason",
    "continuum_level": "the continuum level that justifies it",
    "closure_reason": "a closure reason",
    "lead_practitioner": "a lead practitioner, designated with the move",
}


# --- the rules of a move that are not the pathway's guards --------------------------------------

_LEVEL_ORDER = {level: rank for rank, level in enumerate(ContinuumLevel.values)}
# The input each guard reads, for its refusal's field message.
_GUARD_FIELDS = {
    "continuum_level_in": "continuum_level",
    "significant_harm_suspected": "significant_harm_suspected",
}


def for_this_child(transition: Transition, case: Case) -> bool:
    """Each child is routed by their own involvement: the transition is on their route."""
    return case.involvement in transition.involvements


def skips_tiers(transition: Transition) -> bool:
    """A step-up past a tier (universal advice straight to children's social care after a
    violent incident): allowed, with a reason."""
    rise = transition.to_stage.tier - transition.from_stage.tier
    return transition.kind == TransitionKind.STEP_UP and rise > 1


def needs_reason(transition: Transition) -> bool:
    return transition.reason_required or skips_tiers(transition)


def records_level(transition: Transition, case: Case) -> bool:
    """A step-up of a child displaying HSB records the continuum level that justifies it."""
    return (
        case.involvement == Involvement.DISPLAYING_HSB and transition.kind == TransitionKind.STEP_UP
    )


def asks_level(transition: Transition, case: Case) -> bool:
    """Whether the move asks for a continuum level: never for a child harmed (the continuum
    describes the other child's behaviour); for a child displaying HSB at the initial
    decision, on a step-up, or when a guard reads it."""
    if case.involvement != Involvement.DISPLAYING_HSB:
        return False
    return (
        "continuum_level_in" in transition.guards
        or transition.kind == TransitionKind.STEP_UP
        or transition.from_stage.is_initial
    )


def needs_lead(transition: Transition, case: Case) -> bool:
    """Routing into a stage that needs a lead practitioner names one in the same step, unless
    the case has one already."""
    target = transition.to_stage
    return (
        target.needs_lead_practitioner
        and not target.is_terminal
        and case.lead_practitioner_id is None
    )


def _asks_and_needs(transition: Transition, case: Case) -> tuple[tuple[str, ...], tuple[str, ...]]:
    asks, needs = ["reason"], []
    if needs_reason(transition):
        needs.append("reason")
    if asks_level(transition, case):
        asks.append("continuum_level")
        if records_level(transition, case):
            needs.append("continuum_level")
    if "significant_harm_suspected" in transition.guards:
        asks.append("significant_harm_suspected")
    if transition.kind == TransitionKind.CLOSE:
        asks += ["closure_reason", "outcome"]
        needs.append("closure_reason")
    if needs_lead(transition, case):
        asks.append("lead_practitioner")
        needs.append("lead_practitioner")
    return tuple(asks), tuple(needs)


def _required_artefacts(transition: Transition) -> list[str]:
    # A closure reason is the closure rule's (pathways.closure), checked with the move's data.
    return list(transition.from_stage.requires)


def transitions_for(*, case: Case, actor: Actor) -> list[TransitionOption]:
    """Transitions out of the case's current stage, on the route of the case's child (by their
    involvement), that the actor's role may take, each with what it asks for.

    Guards are evaluated on what the case already holds; a guard that needs a fact the actor
    supplies when taking the transition (a confirmed continuum level) shows as failing here.
    """
    compiled = compiled_version(case.pathway_version_id)
    role = actor.role if isinstance(actor, User) else None
    options = []
    for transition in compiled.exits.get(case.current_stage_id, []):
        if role not in transition.allowed_roles or not for_this_child(transition, case):
            continue
        required = [key for key in _required_artefacts(transition) if key != "closure_reason"]
        asks, needs = _asks_and_needs(transition, case)
        options.append(
            TransitionOption(
                transition=transition,
                failed_guards=failed_guards(transition.guards, case, {}),
                missing_artefacts=missing_artefacts(required, case, {}),
                asks=asks,
                needs=needs,
            )
        )
    return options


# --- opening a case --------------------------------------------------------------------------


@dataclass
class NewCase:
    """A case to open, filled but not written (`new_case`): its rows, its first move and its
    audit event are written by `open_case`, or by a caller's own statements (intake's)."""

    case: Case
    stage: Stage
    involvement: str
    breach_at: datetime | None
    move: StageMove

    def opened_event(self, actor: User | None) -> AuditEvent:
        """The case's `case.opened` event, signed (once the case has its id)."""
        return new_event(
            actor=actor,
            action="case.opened",
            target=self.case,
            changes={"stage": [None, self.stage.key], "involvement": self.involvement},
        )


def new_case(
    *,
    child: Any,
    involvement: str,
    version_id: int,
    referral: Any,
    referral_received_at: datetime,
    actor: User | None,
    facts: dict[str, Any] | None = None,
) -> NewCase:
    """A case at the version's first stage, filled as viewflow's start node fills it, and its
    first move; nothing written."""
    compiled = compiled_version(version_id)
    facts = clean_transition_data(facts)
    case = Case(flow_class=PathwayFlow)
    initialise_case(
        case,
        child=child,
        involvement=involvement,
        compiled=compiled,
        referral=referral,
        referral_received_at=referral_received_at,
        facts=facts,
    )
    stage = compiled.initial_stage
    due_on = case.stage_due_on
    move = StageMove(
        case=case,
        kind="start",
        to_stage=stage,
        actor=actor,
        moved_at=case.stage_entered_at,
        due_on=due_on,
        data=facts,
    )
    return NewCase(
        case=case,
        stage=stage,
        involvement=involvement,
        breach_at=breach_moment(due_on) if due_on is not None else None,
        move=move,
    )


def open_case(
    *,
    child: Any,
    involvement: str,
    version_id: int,
    referral: Any,
    referral_received_at: datetime,
    actor: User | None,
    facts: dict[str, Any] | None = None,
) -> Case:
    """Start a case at the version's first stage, its rows as viewflow's start path writes
    them (`task_rows.open_case_rows`): three statements and no savepoint, inside a caller's
    transaction or in one of its own. (Intake writes its cases in its own statements, from
    `new_case`.)"""
    opening = new_case(
        child=child,
        involvement=involvement,
        version_id=version_id,
        referral=referral,
        referral_received_at=referral_received_at,
        actor=actor,
        facts=facts,
    )
    case = opening.case
    # No savepoint: a failure rolls the caller's whole transaction back.
    with transaction.atomic(savepoint=False):
        task_rows.open_case_rows(
            case=case, stage_key=opening.stage.key, breach_at=opening.breach_at
        )
        opening.move.case = case  # its id, now that it has one
        opening.move.save(force_insert=True)
        event = opening.opened_event(actor)
        event.save(force_insert=True)
    return case


# --- moving a case ---------------------------------------------------------------------------


# The locked read's SQL per actor: building and compiling the role's rule (a union of its
# access paths) costs several times what PostgreSQL takes to run it (whose own parsing and
# planning, most of its time, preparing saves: task_rows.prepared_on). `role_scope(user)` is a
# function of the user's id, role, agency and active flag alone (no clock, no other row:
# its subqueries are read when the statement runs), so the compiled statement is too, and
# only the case's id changes between calls. `test_engine_statements.py` holds role_scope to
# that.
@dataclass(frozen=True)
class _ScopedRead:
    sql: str
    params: tuple[Any, ...]
    at: int  # the case id's place among the params
    order: tuple[int, ...]  # the selected columns' places, in Case's field order
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]


_CASE_FIELDS = [field.attname for field in Case._meta.concrete_fields]
_SCOPED_READS: dict[tuple[Any, ...], _ScopedRead] = {}
_SCOPED_READS_MAX = 4096
_CASE_PK_MARK = -7_000_000_000_000_000_001  # no row has it; found once among the params


def _scoped_read_key(actor: User) -> tuple[Any, ...]:
    return (actor.pk, actor.role, actor.agency_id, actor.is_active)


def _compile_scoped_read(actor: User) -> _ScopedRead:
    scope = role_scope(actor)
    assert scope is not None  # checked by the caller
    rows = (
        Case.objects.filter(scope, pk=_CASE_PK_MARK)
        .order_by()
        .select_for_update(nowait=True, of=("self",))
    )
    compiler = rows.query.get_compiler(using=rows.db)
    sql, params = compiler.as_sql()
    assert params.count(_CASE_PK_MARK) == 1  # the mark is the case id's place alone
    columns = [column for column, _, _ in compiler.select]
    selected = [column.target.attname for column in columns]
    return _ScopedRead(
        sql=sql,
        params=tuple(params),
        at=params.index(_CASE_PK_MARK),
        # Case.from_db takes every column in the model's own order.
        order=tuple(selected.index(field.attname) for field in Case._meta.concrete_fields),
        converters=tuple(
            (index, tuple(converters), expression)
            for index, (converters, expression) in compiler.get_converters(columns).items()
        ),
    )


def _lock_case_in_scope(actor: User, case_pk: int) -> list[Case]:
    """The case, locked (`FOR UPDATE OF` the case row, NOWAIT) and read in one statement,
    if the actor's role rule (`cases.selectors.role_scope`) gives it to them; else nothing."""
    key = _scoped_read_key(actor)
    read = _SCOPED_READS.get(key)
    if read is None:
        if len(_SCOPED_READS) >= _SCOPED_READS_MAX:
            _SCOPED_READS.clear()
        read = _SCOPED_READS[key] = _compile_scoped_read(actor)
    db = connections[DEFAULT_DB_ALIAS]
    params = (*read.params[: read.at], case_pk, *read.params[read.at + 1 :])
    with db.cursor() as cursor, task_rows.prepared_on(db, read.sql) as send:
        cursor.execute(send, params)
        row = cursor.fetchone()
    if row is None:
        return []
    values = list(row)
    for index, converters, expression in read.converters:  # as the ORM's own iterator does
        for convert in converters:
            values[index] = convert(values[index], expression, db)
    return [Case.from_db(db.alias, _CASE_FIELDS, [values[index] for index in read.order])]


def take_transition(
    *,
    case: Case,
    transition: Transition | str,
    actor: Actor,
    reason: str = "",
    data: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> Case:
    """Move a case along one transition of its pinned pathway version.

    Refuses, naming the rule: a role the transition does not allow, or a case the actor's
    role does not give them to work on (`cases.selectors.cases_by_role`: read access through
    a grant is not enough), or a lead named by a role that may not designate one (403); a
    missing reason (a step-up past a tier needs one too), a transition on the other child's
    route, a continuum level for a child harmed, a step-up of a child displaying HSB without
    the level that justifies it (or with a lower one), a failing guard, a missing artefact, a
    move into a stage that needs a lead practitioner without one, or a lead the lead rule
    refuses (400; another area's practitioner is 404, as one that does not exist); a case
    that moved since the caller loaded it, or a transition that does not leave its current
    stage (409). Nothing is written on a refusal.
    """
    compiled = compiled_version(case.pathway_version_id)
    key = transition if isinstance(transition, str) else transition.key
    chosen = compiled.transition(key)
    facts = clean_transition_data(data)
    reason = (reason or "").strip()
    expected = case.lock_version if expected_version is None else expected_version

    if getattr(actor, "role", None) not in chosen.allowed_roles:
        raise NotAllowedForRole(
            f"Your role may not take '{chosen.name}'.",
            allowed_roles=list(chosen.allowed_roles),
        )
    if needs_reason(chosen) and not reason:
        if chosen.reason_required:
            message = f"'{chosen.name}' needs a reason."
            field = "A reason is required."
        else:
            source, target = chosen.from_stage, chosen.to_stage
            message = field = (
                f"'{chosen.name}' skips a tier (from {source.get_tier_display().lower()} to "
                f"{target.get_tier_display().lower()}): a step-up past a tier says why."
            )
        raise InvalidTransitionData(message, fields={"reason": [field]})

    # Checked here, not only by the pages and endpoints, so every caller is held to it;
    # before anything about the case's state is said, and under the lock, so a handover that
    # takes the case away from the actor cannot race the move.
    if not holds_cases(actor):  # the role rule gives them no case at all
        raise NotAllowedOnCase(NOT_YOURS)
    with PathwayFlow.lock_impl.holding(lambda: _lock_case_in_scope(actor, case.pk)) as found:
        # No row back: the case is not one the rule gives them (or there is no such case).
        if not found:
            raise NotAllowedOnCase(NOT_YOURS)
        locked: Case = found[0]
        if locked.lock_version != expected or locked.pathway_version_id != compiled.version_id:
            # The row may have been migrated to another version: name its stage from that one.
            current = compiled_version(locked.pathway_version_id)
            raise StaleCase(
                "The case has changed since you loaded it; reload and try again.",
                current_version=locked.lock_version,
                current_stage=current.stages[locked.current_stage_id].key,
            )
        if locked.current_stage_id != chosen.from_stage_id:
            raise TransitionNotAvailable(
                f"'{chosen.name}' does not leave the case's current stage "
                f"'{compiled.stages[locked.current_stage_id].name}'.",
                current_stage=compiled.stages[locked.current_stage_id].key,
            )
        _check_child_and_level(chosen, locked, facts)
        failing = failed_guards(chosen.guards, locked, facts)
        if failing:
            messages = {
                g: f"Guard failed: {GUARDS[g].description} {chosen.guards[g]}" for g in failing
            }
            raise GuardFailed(
                "; ".join(messages.values()),
                fields={_GUARD_FIELDS.get(g, "transition"): [m] for g, m in messages.items()},
                guards=failing,
            )
        missing = missing_artefacts(_required_artefacts(chosen), locked, facts)
        if missing:
            raise MissingArtefact(
                "Missing before leaving this stage: "
                + ", ".join(ARTEFACTS[m].description for m in missing)
                + ".",
                artefacts=missing,
            )
        refusal = closure_reason_refusal(chosen, locked, facts)
        if refusal:
            raise InvalidTransitionData(refusal, fields={"closure_reason": [refusal]})
        lead = _lead_named_with_move(chosen, locked, actor, facts)
        _move(locked, chosen, compiled, actor=actor, reason=reason, facts=facts, lead=lead)
    return locked


def _check_child_and_level(chosen: Transition, case: Case, facts: dict[str, Any]) -> None:
    """The move is on the route of the case's own child, and records a continuum level only
    for a child displaying HSB: on a step-up, the level that justifies it, never lower."""
    if not for_this_child(chosen, case):
        whose = " or ".join(involvement_label(key) for key in chosen.involvements) or "no child"
        message = (
            f"'{chosen.name}' is on the route of {whose}; this case is about "
            f"{involvement_label(case.involvement)}, and each child is routed by their own "
            "involvement."
        )
        raise NotForThisChild(message, fields={"transition": [message]})
    level = facts.get("continuum_level")
    if level and case.involvement != Involvement.DISPLAYING_HSB:
        message = (
            "A continuum level describes the behaviour of a child displaying HSB: none is "
            f"recorded for {involvement_label(case.involvement)}."
        )
        raise InvalidTransitionData(message, fields={"continuum_level": [message]})
    if not records_level(chosen, case):
        return
    if not level:
        message = "A step-up records the continuum level that justifies it."
        raise InvalidTransitionData(message, fields={"continuum_level": [message]})
    current = case.confirmed_continuum_level
    if current and _LEVEL_ORDER[level] < _LEVEL_ORDER[current]:
        message = (
            f"A step-up cannot record a lower continuum level than the confirmed '{current}': "
            "a lower level is a step-down."
        )
        raise InvalidTransitionData(message, fields={"continuum_level": [message]})


def _lead_named_with_move(
    chosen: Transition, case: Case, actor: Actor, facts: dict[str, Any]
) -> User | None:
    """The lead practitioner the move designates, checked by the lead rule (cases.leads):
    named when the move enters a stage that needs a lead and the case has none."""
    practitioner = facts.get("lead_practitioner")
    if practitioner is None:
        if needs_lead(chosen, case):
            message = (
                f"'{chosen.to_stage.name}' needs a designated lead practitioner: name one with "
                "this move."
            )
            if not may_designate(actor):
                message += (
                    " Your role may not designate one: a front-door practitioner, team "
                    "manager or HSB coordinator can."
                )
            raise LeadPractitionerRequired(message, fields={"lead_practitioner": [message]})
        return None
    if case.lead_practitioner_id is not None:
        message = (
            "The case already has a lead practitioner: a handover is made in the case's lead "
            "practitioner section, with a reason."
        )
        raise InvalidTransitionData(message, fields={"lead_practitioner": [message]})
    if chosen.to_stage.is_terminal:
        message = "A move that closes the case designates no lead practitioner."
        raise InvalidTransitionData(message, fields={"lead_practitioner": [message]})
    check_may_designate(actor)
    return lead_to_name(case, practitioner, field="lead_practitioner")


# The case's columns a move sets (its current task and lock version are the statement's own).
_MOVED_COLUMNS = (
    "current_stage",
    "stage_entered_at",
    "stage_due_on",
    "stage_overdue_since",
    "confirmed_continuum_level",
    "significant_harm_suspected",
    "closed_at",
    "closure_reason",
    "outcome_summary",
    "csc_referred_at",
    "csc_episode_ended_at",
    "csc_episode_end_reason",
)
# With a lead named in the same step, the case's lead too.
_MOVED_COLUMNS_WITH_LEAD = (*_MOVED_COLUMNS, "lead_practitioner")


def _move(
    case: Case,
    chosen: Transition,
    compiled: CompiledVersion,
    *,
    actor: User,
    reason: str,
    facts: dict[str, Any],
    lead: User | None = None,
) -> None:
    now = timezone.now()
    source, target = chosen.from_stage, chosen.to_stage
    # Before the deadline: a step-up into children's social care is the event its clock
    # counts from.
    record_csc_episode(case, chosen, facts, now)
    due_on = stage_due_on(
        stage=target,
        entered_at=now,
        referral_received_at=case.referral_received_at,
        csc_referred_at=case.csc_referred_at,
        region=compiled.region,
    )
    before = {
        "stage": compiled.stages[case.current_stage_id].key,
        "confirmed_continuum_level": case.confirmed_continuum_level,
        "significant_harm_suspected": case.significant_harm_suspected,
        "lead_practitioner": case.lead_practitioner_id,
    }
    leaving_task_id = case.current_task_id
    case.current_stage = target
    case.stage_entered_at = now
    case.stage_due_on = due_on
    case.stage_overdue_since = None
    if "continuum_level" in facts:
        case.confirmed_continuum_level = facts["continuum_level"]
    if "significant_harm_suspected" in facts:
        case.significant_harm_suspected = facts["significant_harm_suspected"]
    # The viewflow process row finishes (or revives) with the case.
    process_status: str | None = None
    if target.is_terminal:
        case.closed_at = now
        case.closure_reason = facts.get("closure_reason", "")
        case.outcome_summary = facts.get("outcome", "")
        process_status = case.status = PROCESS.DONE
        case.finished = now
    elif source.is_terminal:  # reopening
        case.closed_at = None
        case.closure_reason = ""
        case.outcome_summary = ""
        process_status = case.status = PROCESS.NEW
        case.finished = None
    case.lock_version += 1
    designation: LeadDesignation | None = None
    lead_event: AuditEvent | None = None
    if lead is not None:
        designation, lead_event = designation_rows(
            locked=case, named=lead, actor=actor, reason=reason, now=now, previous=None
        )

    move = StageMove(
        case=case,
        transition=chosen,
        kind=chosen.kind,
        from_stage=source,
        to_stage=target,
        actor=actor,
        reason=reason,
        data=facts,
        moved_at=now,
        due_on=due_on,
    )
    after = {
        "stage": target.key,
        "confirmed_continuum_level": case.confirmed_continuum_level,
        "significant_harm_suspected": case.significant_harm_suspected,
        "lead_practitioner": case.lead_practitioner_id,
    }
    event = new_event(
        actor=actor,
        action=f"case.{chosen.kind}",
        target=case,
        changes={
            field: [before[field], after[field]] for field in after if before[field] != after[field]
        }
        | {"transition": chosen.key},
        reason=reason,
    )
    # One statement for every row of the move, its audit event included (task_rows.py).
    case.current_task_id = task_rows.move_case_rows(
        case=case,
        columns=_MOVED_COLUMNS if lead is None else _MOVED_COLUMNS_WITH_LEAD,
        leaving_task_id=leaving_task_id,
        opening_stage_key=None if target.is_terminal else target.key,
        breach_at=breach_moment(due_on) if due_on is not None else None,
        process_status=process_status,
        move=move,
        now=now,
        event=event,
        designation=designation,
        designation_event=lead_event,
    )
    announce_written(event)
    if lead_event is not None:
        announce_written(lead_event)
