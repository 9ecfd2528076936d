"""Moving open cases from one published version of a pathway to a later one.

A case is pinned to the version it started on, so publishing a new version changes nothing
for open cases. When a partnership wants them on the new version, an administrator maps
each old stage key to a new one; `plan_case_migration` is the dry run (which case would go
where, and which cannot move and why) and `apply_case_migration` does it, all or nothing.

A migrated case keeps its stage entry time and its work task; its deadline is recounted
under the new version's timescale and its deadline timer re-armed, and the move is recorded
as a StageMove of kind "migrate" with a "case.migrated" audit event. Closed cases stay on
the version they closed on: their history reads in that version's words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from agencies.actors import Actor, user_of
from audit.services import record_event
from cases.models import Case, StageMove
from pathways.compiled import CompiledVersion, compiled_version
from pathways.deadlines import breach_moment, stage_due_on
from pathways.exceptions import MigrationNotPossible
from pathways.models import PathwayVersion, Stage
from pathways.permissions import NotAPathwayEditor, can_migrate_cases
from pathways.selectors import versions_visible_to

from . import task_rows
from .flow import PathwayFlow

MIGRATE = "migrate"


@dataclass(frozen=True)
class CaseMigration:
    """One open case: where it is, where it would go, or why it cannot move."""

    case_id: int
    from_stage: str
    to_stage: str | None
    problem: str = ""

    @property
    def movable(self) -> bool:
        return not self.problem

    def describe(self) -> str:
        if self.movable:
            return f"case {self.case_id}: {self.from_stage} -> {self.to_stage}"
        return f"case {self.case_id}: cannot move from {self.from_stage}: {self.problem}"


@dataclass(frozen=True)
class MigrationPlan:
    source_id: int
    target_id: int
    stage_mapping: dict[str, str]
    # Problems with the versions or the mapping as a whole: no case can move.
    problems: list[str] = field(default_factory=list)
    cases: list[CaseMigration] = field(default_factory=list)

    @property
    def movable(self) -> list[CaseMigration]:
        return [case for case in self.cases if case.movable]

    @property
    def unmovable(self) -> list[CaseMigration]:
        return [case for case in self.cases if not case.movable]

    def report(self) -> str:
        lines = [
            f"Migrating open cases from pathway version {self.source_id} "
            f"to version {self.target_id}.",
        ]
        lines += [f"Problem: {problem}" for problem in self.problems]
        lines += [case.describe() for case in self.cases]
        lines.append(
            f"{len(self.cases)} open case(s): {len(self.movable)} can move, "
            f"{len(self.unmovable)} cannot."
        )
        return "\n".join(lines)


@dataclass(frozen=True)
class MigrationResult:
    migrated: list[CaseMigration]
    skipped: list[CaseMigration]


def _version_problems(
    source: PathwayVersion, target: PathwayVersion, stage_mapping: dict[str, str]
) -> list[str]:
    problems = []
    if source.pk == target.pk:
        problems.append("the source and target are the same version")
    if source.pathway_id != target.pathway_id:
        problems.append(
            f"different pathway: version {target.pk} belongs to '{target.pathway.key}', "
            f"not '{source.pathway.key}'"
        )
    elif target.number <= source.number:
        problems.append(
            f"target version {target.number} is not later than source version {source.number}"
        )
    if not source.is_published:
        problems.append(f"source version {source.number} is not published")
    if not target.is_published:
        problems.append(f"target not published: version {target.number} is a draft")
    if source.is_published:
        known = set(compiled_version(source.pk).stage_by_key)
        unknown = sorted(set(stage_mapping) - known)
        if unknown:
            problems.append(f"the mapping names stage(s) the source lacks: {', '.join(unknown)}")
    return problems


def _case_problem(
    stage_key: str, stage_mapping: dict[str, str], target: CompiledVersion | None
) -> tuple[str | None, str]:
    """Where a case at `stage_key` would go, or why it cannot go anywhere."""
    if stage_key not in stage_mapping:
        return None, f"unmapped stage '{stage_key}'"
    to_key = stage_mapping[stage_key]
    if target is None:
        return to_key, "the target version cannot take cases"
    new_stage = target.stage_by_key.get(to_key)
    if new_stage is None:
        return to_key, f"target stage missing: the target version has no stage '{to_key}'"
    if new_stage.is_terminal:
        return to_key, f"target stage terminal: '{to_key}' would close the case"
    return to_key, ""


def _load_versions(
    source: PathwayVersion | int, target: PathwayVersion | int, actor: Actor | None = None
) -> tuple[PathwayVersion, PathwayVersion]:
    """Both versions, if the actor may migrate the cases of their pathways.

    Another area's version reads exactly like one that does not exist.
    """
    ids = [v.pk if isinstance(v, PathwayVersion) else v for v in (source, target)]
    versions = versions_visible_to(actor).select_related("pathway").in_bulk(ids)
    missing = [pk for pk in ids if pk not in versions]
    if missing:
        raise MigrationNotPossible(
            f"No pathway version {', '.join(map(str, missing))}.",
            fields={"version": [f"Unknown version id {pk}." for pk in missing]},
        )
    for version in versions.values():
        if not can_migrate_cases(actor, version.pathway):
            raise NotAPathwayEditor(
                "Only the area's HSB coordinators and system administrators may migrate its cases."
            )
    return versions[ids[0]], versions[ids[1]]


def _open_cases_on(source: PathwayVersion) -> QuerySet[Case]:
    cases: QuerySet[Case] = Case.objects.filter(pathway_version=source, closed_at__isnull=True)
    return cases.order_by("pk")


def plan_case_migration(
    *,
    source: PathwayVersion | int,
    target: PathwayVersion | int,
    stage_mapping: dict[str, str],
    actor: Actor | None = None,
) -> MigrationPlan:
    """The dry run: for each open case on `source`, its new stage or why it cannot move.

    `actor` as for `apply_case_migration` (None: the system, from the command line)."""
    source, target = _load_versions(source, target, actor)
    problems = _version_problems(source, target, stage_mapping)
    compiled_target = compiled_version(target.pk) if not problems else None
    source_stages = {
        stage.pk: stage.key for stage in Stage.objects.filter(version=source).only("pk", "key")
    }
    cases = []
    for case_id, stage_id in _open_cases_on(source).values_list("pk", "current_stage_id"):
        from_key = source_stages[stage_id]
        to_key, problem = _case_problem(from_key, stage_mapping, compiled_target)
        cases.append(
            CaseMigration(
                case_id=case_id,
                from_stage=from_key,
                to_stage=to_key,
                problem="; ".join(problems) if problems else problem,
            )
        )
    return MigrationPlan(
        source_id=source.pk,
        target_id=target.pk,
        stage_mapping=dict(stage_mapping),
        problems=problems,
        cases=cases,
    )


def apply_case_migration(
    *,
    source: PathwayVersion | int,
    target: PathwayVersion | int,
    stage_mapping: dict[str, str],
    actor: Actor | None,
    reason: str,
    skip_unmovable: bool = False,
) -> MigrationResult:
    """Repin every open case on `source` to `target`, in one transaction.

    Refuses the whole migration if the versions do not allow it, or if any open case cannot
    move (unless `skip_unmovable`, which leaves those cases on `source`). Each case is
    locked and re-planned under its lock, so a case that moved since the dry run goes where
    its current stage maps.
    """
    reason = (reason or "").strip()
    if not reason:
        raise MigrationNotPossible(
            "A migration needs a reason.", fields={"reason": ["A reason is required."]}
        )
    with transaction.atomic():
        source, target = _load_versions(source, target, actor)
        problems = _version_problems(source, target, stage_mapping)
        if problems:
            raise MigrationNotPossible(
                "These cases cannot be migrated: " + "; ".join(problems) + ".",
                problems=problems,
            )
        old, new = compiled_version(source.pk), compiled_version(target.pk)
        migrated, skipped = [], []
        # Lock in primary-key order, as every other multi-case writer must, to avoid deadlock.
        for case_id in list(_open_cases_on(source).values_list("pk", flat=True)):
            with PathwayFlow.lock(case_id):
                case = Case.objects.get(pk=case_id)
                if case.pathway_version_id != source.pk or case.closed_at is not None:
                    continue  # closed or migrated since we listed it
                from_key = old.stages[case.current_stage_id].key
                to_key, problem = _case_problem(from_key, stage_mapping, new)
                planned = CaseMigration(
                    case_id=case.pk, from_stage=from_key, to_stage=to_key, problem=problem
                )
                if not planned.movable:
                    if skip_unmovable:
                        skipped.append(planned)
                        continue
                    raise MigrationNotPossible(
                        f"Case {case.pk} cannot move: {problem}. Nothing was migrated.",
                        cases=[planned.describe()],
                    )
                _migrate_case(
                    case,
                    old=old,
                    new=new,
                    stage=new.stage_by_key[planned.to_stage or ""],
                    source=source,
                    target=target,
                    actor=actor,
                    reason=reason,
                )
                migrated.append(planned)
    return MigrationResult(migrated=migrated, skipped=skipped)


def _migrate_case(
    case: Case,
    *,
    old: CompiledVersion,
    new: CompiledVersion,
    stage: Stage,
    source: PathwayVersion,
    target: PathwayVersion,
    actor: Actor | None,
    reason: str,
) -> None:
    now = timezone.now()
    previous_stage = old.stages[case.current_stage_id]
    previous_due = case.stage_due_on
    due_on = stage_due_on(
        stage=stage,
        entered_at=case.stage_entered_at,
        referral_received_at=case.referral_received_at,
        csc_referred_at=case.csc_referred_at,
        region=new.region,
    )
    # The overdue flag stands only if the stage is still late under the new timescale.
    overdue_since = case.stage_overdue_since
    if overdue_since is not None and (due_on is None or breach_moment(due_on) > now):
        overdue_since = None

    # Cancel the stage's armed timer and arm one for the new deadline, as a move does.
    task_rows.rearm_deadline(
        case_id=case.pk,
        work_task_id=case.current_task_id,
        stage_key=stage.key,
        breach_at=breach_moment(due_on) if due_on is not None else None,
        now=now,
    )

    Case.objects.filter(pk=case.pk).update(
        pathway_version=target,
        current_stage=stage,
        stage_due_on=due_on,
        stage_overdue_since=overdue_since,
        lock_version=F("lock_version") + 1,
    )
    StageMove.objects.create(
        case=case,
        kind=MIGRATE,
        from_stage=previous_stage,
        to_stage=stage,
        actor=user_of(actor),
        reason=reason,
        data={"from_version": source.pk, "to_version": target.pk},
        moved_at=now,
        due_on=due_on,
    )
    record_event(
        actor=actor,
        action="case.migrated",
        target=case,
        changes={
            "pathway_version": [source.pk, target.pk],
            "version_number": [source.number, target.number],
            "stage": [previous_stage.key, stage.key],
            "stage_due_on": [_iso(previous_due), _iso(due_on)],
        },
        reason=reason,
    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
