"""The pathway engine: opening a case on a published version and moving it along transitions.

`take_transition` is the only way a case changes stage. In one transaction it locks the
case through viewflow's `select_for_update_lock`, checks the actor's role, the transition's
guards and the current stage's required artefacts, completes the stage task, opens the
next one with its deadline timer, and records the move and its audit event.

Completing a task through viewflow's activation costs about 20 queries (4 of them
permission checks viewflow does not need here); this path writes the same task rows
directly in 9, which keeps a transition well under 10 ms on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Case as SqlCase
from django.db.models import F, Q, Value, When
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS
from viewflow.workflow.token import Token

from audit.services import record_event
from cases.models import Case, StageMove
from cases.selectors import role_scope

from .artefacts import ARTEFACTS, missing_artefacts
from .compiled import CompiledVersion, compiled_version
from .continuum import ClosureReason, ContinuumLevel
from .exceptions import (
    GuardFailed,
    InvalidTransitionData,
    MissingArtefact,
    NotAllowedForRole,
    NotAllowedOnCase,
    StaleCase,
    TransitionNotAvailable,
)
from .guards import GUARDS, failed_guards
from .models import Stage, TimescaleFrom, Transition, TransitionKind
from .working_days import add_working_days

NOT_YOURS = "You may not move this case: it is not one you work on."


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def stage_due_on(
    *, stage: Stage, entered_at: datetime, referral_received_at: datetime, region: str
) -> date | None:
    """The last working day of the stage's timescale, counted from entry or from referral."""
    if stage.is_terminal or stage.timescale_working_days is None:
        return None
    start = referral_received_at if stage.timescale_from == TimescaleFrom.REFERRAL else entered_at
    return add_working_days(local_date(start), stage.timescale_working_days, region)


def breach_moment(due_on: date) -> datetime:
    """A stage is overdue from the start of the day after its due date, local time."""
    return datetime.combine(
        due_on + timedelta(days=1), time.min, tzinfo=ZoneInfo(settings.TIME_ZONE)
    )


# --- transition data -----------------------------------------------------------------------

_FACT_FIELDS = ("continuum_level", "significant_harm_suspected", "closure_reason", "outcome")


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
    if reason not in (None, "") and reason not in ClosureReason.values:
        errors["closure_reason"] = [f"'{reason}' is not a census closure reason (RC1-RC9)."]
    outcome = data.get("outcome")
    if outcome is not None and not isinstance(outcome, str):
        errors["outcome"] = ["Must be text."]
    if errors:
        raise InvalidTransitionData("The transition's data is invalid.", fields=errors)
    return {key: value for key, value in data.items() if value not in (None, "")}


# --- what the actor may do now ---------------------------------------------------------------


@dataclass(frozen=True)
class TransitionOption:
    transition: Transition
    failed_guards: list[str]
    missing_artefacts: list[str]

    @property
    def ready(self) -> bool:
        return not self.failed_guards and not self.missing_artefacts


def _required_artefacts(transition: Transition) -> list[str]:
    required = list(transition.from_stage.requires)
    if transition.kind == TransitionKind.CLOSE and "closure_reason" not in required:
        required.append("closure_reason")
    return required


def transitions_for(*, case: Case, actor: Any) -> list[TransitionOption]:
    """Transitions out of the case's current stage that the actor's role may take.

    Guards are evaluated on what the case already holds; a guard that needs a fact the actor
    supplies when taking the transition (a confirmed continuum level) shows as failing here.
    """
    compiled = compiled_version(case.pathway_version_id)
    options = []
    for transition in compiled.exits.get(case.current_stage_id, []):
        if actor.role not in transition.allowed_roles:
            continue
        required = [key for key in _required_artefacts(transition) if key != "closure_reason"]
        options.append(
            TransitionOption(
                transition=transition,
                failed_guards=failed_guards(transition.guards, case, {}),
                missing_artefacts=missing_artefacts(required, case, {}),
            )
        )
    return options


# --- opening a case --------------------------------------------------------------------------


def open_case(
    *,
    child: Any,
    involvement: str,
    version_id: int,
    referral: Any,
    referral_received_at: datetime,
    actor: Any,
    facts: dict[str, Any] | None = None,
) -> Case:
    """Start a case at the version's first stage through viewflow's own start path."""
    from .flows import PathwayFlow

    compiled = compiled_version(version_id)
    facts = clean_transition_data(facts)
    with transaction.atomic():
        case = PathwayFlow.start.run(
            child=child,
            involvement=involvement,
            compiled=compiled,
            referral=referral,
            referral_received_at=referral_received_at,
            facts=facts,
        )
        task = Task.objects.get(
            process_id=case.pk, flow_task=PathwayFlow.work_stage, finished__isnull=True
        )
        Case.objects.filter(pk=case.pk).update(current_task=task)
        case.current_task = task
        StageMove.objects.create(
            case=case,
            kind="start",
            to_stage=case.current_stage,
            actor=actor,
            moved_at=case.stage_entered_at,
            due_on=case.stage_due_on,
            data=facts,
        )
        record_event(
            actor=actor,
            action="case.opened",
            target=case,
            changes={"stage": [None, case.current_stage.key], "involvement": involvement},
        )
    return case


def initialise_case(
    case: Case,
    *,
    child: Any,
    involvement: str,
    compiled: CompiledVersion,
    referral: Any,
    referral_received_at: datetime,
    facts: dict[str, Any],
) -> None:
    """Fill a new case row before viewflow saves it (called from the flow's start node)."""
    now = timezone.now()
    stage = compiled.initial_stage
    case.child = child
    case.involvement = involvement
    case.referral = referral
    case.pathway_version_id = compiled.version_id
    case.area_id = compiled.area_id
    case.current_stage = stage
    case.referral_received_at = referral_received_at
    case.stage_entered_at = now
    case.stage_due_on = stage_due_on(
        stage=stage,
        entered_at=now,
        referral_received_at=referral_received_at,
        region=compiled.region,
    )
    case.confirmed_continuum_level = facts.get("continuum_level", "")
    case.significant_harm_suspected = bool(facts.get("significant_harm_suspected", False))


# --- moving a case ---------------------------------------------------------------------------


def take_transition(
    *,
    case: Case,
    transition: Transition | str,
    actor: Any,
    reason: str = "",
    data: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> Case:
    """Move a case along one transition of its pinned pathway version.

    Refuses, naming the rule: a role the transition does not allow, or a case the actor's
    role does not give them to work on (`cases.selectors.cases_by_role`: read access through
    a grant is not enough) (403); a missing reason,
    a failing guard or a missing artefact (400); a case that moved since the caller loaded
    it, or a transition that does not leave its current stage (409).
    """
    from .flows import PathwayFlow

    compiled = compiled_version(case.pathway_version_id)
    key = transition if isinstance(transition, str) else transition.key
    chosen = compiled.transition(key)
    facts = clean_transition_data(data)
    reason = (reason or "").strip()
    expected = case.lock_version if expected_version is None else expected_version

    if actor.role not in chosen.allowed_roles:
        raise NotAllowedForRole(
            f"Your role may not take '{chosen.name}'.",
            allowed_roles=list(chosen.allowed_roles),
        )
    if chosen.reason_required and not reason:
        raise InvalidTransitionData(
            f"'{chosen.name}' needs a reason.", fields={"reason": ["A reason is required."]}
        )

    with PathwayFlow.lock(case.pk):
        # Checked here, not only by the pages and endpoints, so every caller is held to it;
        # before anything about the case's state is said, and under the lock, so a handover
        # that takes the case away from the actor cannot race the move. Read with the case
        # itself: the rule costs no query of its own.
        scope = role_scope(actor)
        if scope is None:
            raise NotAllowedOnCase(NOT_YOURS)
        # The locked row exists, so no row back means the rule does not give it to them.
        found = list(Case.objects.filter(scope, pk=case.pk)[:1])
        if not found:
            raise NotAllowedOnCase(NOT_YOURS)
        locked = found[0]
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
        failing = failed_guards(chosen.guards, locked, facts)
        if failing:
            raise GuardFailed(
                "; ".join(
                    f"Guard failed: {GUARDS[g].description} {chosen.guards[g]}" for g in failing
                ),
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
        _move(locked, chosen, compiled, actor=actor, reason=reason, facts=facts)
    return locked


def _move(
    case: Case,
    chosen: Transition,
    compiled: CompiledVersion,
    *,
    actor: Any,
    reason: str,
    facts: dict[str, Any],
) -> None:
    from .flows import PathwayFlow

    now = timezone.now()
    source, target = chosen.from_stage, chosen.to_stage
    due_on = stage_due_on(
        stage=target,
        entered_at=now,
        referral_received_at=case.referral_received_at,
        region=compiled.region,
    )

    # Finish the stage task and disarm its deadline timer in one statement.
    timeout_node = PathwayFlow.work_stage__timeout
    Task.objects.filter(
        Q(pk=case.current_task_id)
        | Q(process_id=case.pk, flow_task=timeout_node, status=STATUS.SCHEDULED)
    ).update(
        status=SqlCase(
            When(pk=case.current_task_id, then=Value(STATUS.DONE)),
            default=Value(STATUS.CANCELED),
        ),
        finished=now,
    )

    new_task = None
    if not target.is_terminal:
        new_task = Task(
            process_id=case.pk,
            flow_task=PathwayFlow.work_stage,
            flow_task_type=PathwayFlow.work_stage.task_type,
            status=STATUS.NEW,
            token=Token("start"),
            data={"stage": target.key},
        )
        tasks = [new_task]
        if due_on is not None:
            tasks.append(
                Task(
                    process_id=case.pk,
                    flow_task=timeout_node,
                    flow_task_type=timeout_node.task_type,
                    status=STATUS.SCHEDULED,
                    token=Token("start"),
                    scheduled=breach_moment(due_on),
                )
            )
        Task.objects.bulk_create(tasks)
        links = Task.previous.through
        rows = [links(from_task_id=timer.pk, to_task_id=new_task.pk) for timer in tasks[1:]]
        if case.current_task_id is not None:  # a reopened case has no task to follow on from
            rows.append(links(from_task_id=new_task.pk, to_task_id=case.current_task_id))
        links.objects.bulk_create(rows)

    before = {
        "stage": compiled.stages[case.current_stage_id].key,
        "confirmed_continuum_level": case.confirmed_continuum_level,
        "significant_harm_suspected": case.significant_harm_suspected,
    }
    case.current_stage = target
    case.current_task = new_task
    case.stage_entered_at = now
    case.stage_due_on = due_on
    case.stage_overdue_since = None
    if "continuum_level" in facts:
        case.confirmed_continuum_level = facts["continuum_level"]
    if "significant_harm_suspected" in facts:
        case.significant_harm_suspected = facts["significant_harm_suspected"]
    process_status: tuple[str, datetime | None] | None = None
    if target.is_terminal:
        case.closed_at = now
        case.closure_reason = facts.get("closure_reason", "")
        case.outcome_summary = facts.get("outcome", "")
        process_status = (PROCESS.DONE, now)
    elif source.is_terminal:  # reopening
        case.closed_at = None
        case.closure_reason = ""
        case.outcome_summary = ""
        process_status = (PROCESS.NEW, None)
    case.lock_version += 1
    Case.objects.filter(pk=case.pk).update(
        current_stage=target,
        current_task=new_task,
        stage_entered_at=now,
        stage_due_on=due_on,
        stage_overdue_since=None,
        confirmed_continuum_level=case.confirmed_continuum_level,
        significant_harm_suspected=case.significant_harm_suspected,
        closed_at=case.closed_at,
        closure_reason=case.closure_reason,
        outcome_summary=case.outcome_summary,
        lock_version=F("lock_version") + 1,
    )
    if process_status is not None:
        # The viewflow process row finishes (or revives) with the case.
        from viewflow.workflow.models import Process

        Process.objects.filter(pk=case.pk).update(
            status=process_status[0], finished=process_status[1]
        )
        case.status, case.finished = process_status

    StageMove.objects.create(
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
    }
    record_event(
        actor=actor,
        action=f"case.{chosen.kind}",
        target=case,
        changes={
            field: [before[field], after[field]] for field in after if before[field] != after[field]
        }
        | {"transition": chosen.key},
        reason=reason,
    )


# --- deadlines ----------------------------------------------------------------------------


def mark_stage_overdue(*, case_id: int, host_task_id: int | None) -> bool:
    """Flag the case's stage overdue and escalate to its manager, once per stage entry.

    Called by the deadline timer that viewflow's `workflow_timers` fires; the work goes on.
    """
    case = Case.objects.select_related("current_stage").get(pk=case_id)
    if case.current_task_id is None or case.current_task_id != host_task_id:
        return False  # the stage was left before its deadline timer fired
    if case.stage_overdue_since is not None:
        return False
    now = timezone.now()
    updated = Case.objects.filter(
        pk=case.pk, current_task_id=host_task_id, stage_overdue_since__isnull=True
    ).update(stage_overdue_since=now)
    if not updated:
        return False
    case.stage_overdue_since = now
    record_event(
        actor=None,
        action="case.stage_overdue",
        target=case,
        changes={
            "stage": case.current_stage.key,
            "due_on": case.stage_due_on.isoformat() if case.stage_due_on else None,
            "escalated_to_role": "team_manager",
        },
    )
    return True
