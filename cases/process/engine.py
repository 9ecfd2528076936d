"""The engine: opening a case on a published pathway version and moving it along transitions.

`take_transition` is the only way a case changes stage. In one transaction it locks the
case through viewflow's `select_for_update_lock`, checks the actor's role, the transition's
guards and the current stage's required artefacts, completes the stage task, opens the
next one with its deadline timer, and records the move and its audit event.

Completing a task through viewflow's activation costs about 20 queries (4 of them
permission checks viewflow does not need here); the task rows are written directly
(`task_rows.py`, the one module that writes them) in 9, which keeps a transition well under
10 ms on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from viewflow.workflow.status import PROCESS

from agencies.actors import Actor
from agencies.models import User
from audit.services import record_event
from cases.models import Case, StageMove
from cases.selectors import role_scope
from pathways.artefacts import ARTEFACTS, missing_artefacts
from pathways.compiled import CompiledVersion, compiled_version
from pathways.continuum import ClosureReason, ContinuumLevel
from pathways.deadlines import breach_moment, stage_due_on
from pathways.exceptions import (
    GuardFailed,
    InvalidTransitionData,
    MissingArtefact,
    NotAllowedForRole,
    NotAllowedOnCase,
    StaleCase,
    TransitionNotAvailable,
)
from pathways.guards import GUARDS, failed_guards
from pathways.models import Transition, TransitionKind

from . import task_rows
from .flow import PathwayFlow

NOT_YOURS = "You may not move this case: it is not one you work on."


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


def transitions_for(*, case: Case, actor: Actor) -> list[TransitionOption]:
    """Transitions out of the case's current stage that the actor's role may take.

    Guards are evaluated on what the case already holds; a guard that needs a fact the actor
    supplies when taking the transition (a confirmed continuum level) shows as failing here.
    """
    compiled = compiled_version(case.pathway_version_id)
    role = actor.role if isinstance(actor, User) else None
    options = []
    for transition in compiled.exits.get(case.current_stage_id, []):
        if role not in transition.allowed_roles:
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
    actor: User | None,
    facts: dict[str, Any] | None = None,
) -> Case:
    """Start a case at the version's first stage through viewflow's own start path."""
    compiled = compiled_version(version_id)
    facts = clean_transition_data(facts)
    with transaction.atomic():
        case: Case = PathwayFlow.start.run(
            child=child,
            involvement=involvement,
            compiled=compiled,
            referral=referral,
            referral_received_at=referral_received_at,
            facts=facts,
        )
        task = task_rows.current_stage_task(case.pk)
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


# --- moving a case ---------------------------------------------------------------------------


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
    a grant is not enough) (403); a missing reason,
    a failing guard or a missing artefact (400); a case that moved since the caller loaded
    it, or a transition that does not leave its current stage (409).
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
        if scope is None or not isinstance(actor, User):  # a scope means a signed-in user
            raise NotAllowedOnCase(NOT_YOURS)
        # The locked row exists, so no row back means the rule does not give it to them.
        found = list(Case.objects.filter(scope, pk=case.pk)[:1])
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
    actor: User,
    reason: str,
    facts: dict[str, Any],
) -> None:
    now = timezone.now()
    source, target = chosen.from_stage, chosen.to_stage
    due_on = stage_due_on(
        stage=target,
        entered_at=now,
        referral_received_at=case.referral_received_at,
        region=compiled.region,
    )

    task_rows.leave_stage(case_id=case.pk, work_task_id=case.current_task_id, now=now)
    new_task = None
    if not target.is_terminal:
        new_task = task_rows.enter_stage(
            case_id=case.pk,
            stage_key=target.key,
            breach_at=breach_moment(due_on) if due_on is not None else None,
            follows_task_id=case.current_task_id,  # None: a reopened case has none to follow
        )

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
    if target.is_terminal:
        case.closed_at = now
        case.closure_reason = facts.get("closure_reason", "")
        case.outcome_summary = facts.get("outcome", "")
        case.status, case.finished = PROCESS.DONE, now
    elif source.is_terminal:  # reopening
        case.closed_at = None
        case.closure_reason = ""
        case.outcome_summary = ""
        case.status, case.finished = PROCESS.NEW, None
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
    # The viewflow process row finishes (or revives) with the case.
    if target.is_terminal:
        task_rows.finish_process(case_id=case.pk, now=now)
    elif source.is_terminal:
        task_rows.revive_process(case_id=case.pk)

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
