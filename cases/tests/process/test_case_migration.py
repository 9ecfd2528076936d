"""Moving open cases to a later published version: the dry run, the move, and the refusals."""

from dataclasses import replace
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from audit.models import AuditEvent
from cases.models import Case, StageMove
from cases.process.engine import take_transition, transitions_for
from cases.process.flow import PathwayFlow
from cases.process.migration import apply_case_migration, plan_case_migration
from cases.tests.factories import open_case
from pathways.deadlines import breach_moment, local_date
from pathways.exceptions import MigrationNotPossible, StaleCase
from pathways.models import Pathway, PathwayVersion, VersionStatus
from pathways.services import create_draft_version, publish_version
from pathways.tests.factories import DEFAULT_PATHWAY_YAML, default_definition
from pathways.working_days import add_working_days

pytestmark = pytest.mark.django_db

SAME = {"initial_decision": "initial_decision", "early_help": "early_help"}
MAPPING = SAME | {"hsb_panel": "multi_agency_panel"}


def _renamed_panel_definition(*, early_help_days=40):
    """Version 2: the panel stage gets a new key, early help gets a longer timescale."""
    definition = default_definition()

    def rename(key):
        return "multi_agency_panel" if key == "hsb_panel" else key

    stages = []
    for stage in definition.stages:
        stage = replace(stage, key=rename(stage.key))
        if stage.key == "early_help":
            stage = replace(stage, timescale_working_days=early_help_days)
        stages.append(stage)
    transitions = [
        replace(t, from_stage=rename(t.from_stage), to_stage=rename(t.to_stage))
        for t in definition.transitions
    ]
    return replace(definition, stages=stages, transitions=transitions)


@pytest.fixture
def next_version(area, front_door, default_version):
    draft = create_draft_version(area=area, definition=_renamed_panel_definition(), actor=None)
    return publish_version(version=draft, actor=None)


def _at(stage, *, version, front_door, lead, coordinator=None):
    """A case on `version` at `stage` (initial_decision, early_help, hsb_panel or closed)."""
    case = open_case(version=version, actor=front_door)
    if stage == "initial_decision":
        return case
    case = take_transition(
        case=case,
        transition="route_to_early_help",
        actor=front_door,
        data={"continuum_level": "problematic", "lead_practitioner": lead.pk},
    )
    if stage == "early_help":
        return case
    if stage == "closed":
        return take_transition(
            case=case,
            transition="close_early_help",
            actor=lead,
            data={"closure_reason": "support_completed"},
        )
    return take_transition(
        case=case,
        transition="step_up_to_hsb_panel",
        actor=lead,
        reason="Escalated",
        data={"continuum_level": "abusive"},
    )


@pytest.fixture
def cases(default_version, front_door, lead_practitioner):
    return {
        stage: _at(stage, version=default_version, front_door=front_door, lead=lead_practitioner)
        for stage in ("initial_decision", "early_help", "hsb_panel", "closed")
    }


def _timers(case):
    return Task.objects.filter(process_id=case.pk, flow_task=PathwayFlow.work_stage__timeout)


def _migrate_moves():
    return StageMove.objects.filter(kind="migrate")


# --- the dry run ---------------------------------------------------------------------------------


def test_the_dry_run_lists_where_each_open_case_would_go(default_version, next_version, cases):
    plan = plan_case_migration(source=default_version, target=next_version, stage_mapping=MAPPING)

    assert plan.problems == []
    assert [(c.case_id, c.from_stage, c.to_stage, c.movable) for c in plan.cases] == [
        (cases["initial_decision"].pk, "initial_decision", "initial_decision", True),
        (cases["early_help"].pk, "early_help", "early_help", True),
        (cases["hsb_panel"].pk, "hsb_panel", "multi_agency_panel", True),
    ]
    assert f"case {cases['hsb_panel'].pk}: hsb_panel -> multi_agency_panel" in plan.report()
    assert "3 open case(s): 3 can move, 0 cannot." in plan.report()
    assert not _migrate_moves().exists()


@pytest.mark.parametrize(
    ("mapping", "problem"),
    [
        (SAME, "unmapped stage 'hsb_panel'"),
        (SAME | {"hsb_panel": "hsb_panel"}, "target stage missing"),
        (SAME | {"hsb_panel": "closed"}, "target stage terminal"),
    ],
)
def test_the_dry_run_says_why_a_case_cannot_move(
    default_version, next_version, cases, mapping, problem
):
    plan = plan_case_migration(source=default_version, target=next_version, stage_mapping=mapping)

    (stuck,) = plan.unmovable
    assert stuck.case_id == cases["hsb_panel"].pk
    assert problem in stuck.problem
    assert len(plan.movable) == 2
    assert problem in plan.report()


def test_a_version_of_another_pathway_cannot_take_the_cases(
    area, default_version, cases, front_door
):
    other = replace(default_definition(), key="sibling_pathway")
    target = publish_version(
        version=create_draft_version(area=area, definition=other, actor=None), actor=None
    )

    plan = plan_case_migration(source=default_version, target=target, stage_mapping=MAPPING)

    assert any("different pathway" in problem for problem in plan.problems)
    assert not plan.movable
    assert all("different pathway" in case.problem for case in plan.cases)


def test_a_draft_version_cannot_take_the_cases(area, default_version, cases):
    draft = create_draft_version(area=area, definition=_renamed_panel_definition(), actor=None)

    plan = plan_case_migration(source=default_version, target=draft, stage_mapping=MAPPING)

    assert any("target not published" in problem for problem in plan.problems)
    assert len(plan.unmovable) == 3


def test_cases_only_move_forward_to_a_later_version(default_version, next_version, front_door):
    open_case(version=next_version, actor=front_door)

    plan = plan_case_migration(source=next_version, target=default_version, stage_mapping=SAME)

    assert any("not later" in problem for problem in plan.problems)


def test_a_mapping_naming_a_stage_the_source_lacks_is_a_problem(default_version, next_version):
    plan = plan_case_migration(
        source=default_version, target=next_version, stage_mapping={"triage": "initial_decision"}
    )

    assert plan.problems == ["the mapping names stage(s) the source lacks: triage"]


# --- the move ----------------------------------------------------------------------------------


def test_applying_repins_each_open_case_and_recounts_its_deadline(
    default_version, next_version, cases, coordinator
):
    before = {key: Case.objects.get(pk=case.pk) for key, case in cases.items()}
    old_timer = _timers(before["early_help"]).get(status=STATUS.SCHEDULED)

    result = apply_case_migration(
        source=default_version,
        target=next_version,
        stage_mapping=MAPPING,
        actor=coordinator,
        reason="Partnership adopted pathway v2",
    )

    assert [m.case_id for m in result.migrated] == [
        cases[key].pk for key in ("initial_decision", "early_help", "hsb_panel")
    ]
    assert result.skipped == []

    case = Case.objects.select_related("current_stage").get(pk=cases["early_help"].pk)
    old = before["early_help"]
    assert case.pathway_version_id == next_version.pk
    assert case.current_stage.version_id == next_version.pk
    assert case.current_stage.key == "early_help"
    assert case.stage_entered_at == old.stage_entered_at
    assert case.stage_due_on == add_working_days(local_date(old.stage_entered_at), 40, "ENG")
    assert case.stage_due_on != old.stage_due_on
    assert case.lock_version == old.lock_version + 1
    # Same work task, still open; its old timer is off and one new timer guards it.
    assert case.current_task_id == old.current_task_id
    assert Task.objects.get(pk=case.current_task_id).status == STATUS.NEW
    old_timer.refresh_from_db()
    assert old_timer.status == STATUS.CANCELED
    new_timer = _timers(case).get(status=STATUS.SCHEDULED)
    assert new_timer.scheduled == breach_moment(case.stage_due_on)
    assert list(new_timer.previous.values_list("pk", flat=True)) == [case.current_task_id]

    move = _migrate_moves().get(case=case)
    assert (move.from_stage_id, move.to_stage_id) == (old.current_stage_id, case.current_stage_id)
    assert move.transition is None
    assert move.actor == coordinator
    assert move.reason == "Partnership adopted pathway v2"
    assert move.due_on == case.stage_due_on
    event = AuditEvent.objects.get(action="case.migrated", object_id=str(case.pk))
    assert event.changes["pathway_version"] == [default_version.pk, next_version.pk]
    assert event.changes["version_number"] == [1, 2]
    assert event.changes["stage"] == ["early_help", "early_help"]
    assert event.reason == "Partnership adopted pathway v2"

    panel = Case.objects.select_related("current_stage").get(pk=cases["hsb_panel"].pk)
    assert panel.current_stage.key == "multi_agency_panel"
    assert AuditEvent.objects.get(action="case.migrated", object_id=str(panel.pk)).changes[
        "stage"
    ] == ["hsb_panel", "multi_agency_panel"]

    closed = Case.objects.get(pk=cases["closed"].pk)
    assert closed.pathway_version_id == default_version.pk
    assert _migrate_moves().count() == 3


def test_a_migrated_case_moves_on_along_the_new_versions_transitions(
    default_version, next_version, cases, coordinator
):
    apply_case_migration(
        source=default_version,
        target=next_version,
        stage_mapping=MAPPING,
        actor=coordinator,
        reason="v2",
    )
    case = Case.objects.get(pk=cases["hsb_panel"].pk)

    options = [option.transition for option in transitions_for(case=case, actor=coordinator)]
    assert {t.version_id for t in options} == {next_version.pk}
    case = take_transition(case=case, transition="agree_specialist_assessment", actor=coordinator)

    case.refresh_from_db()
    assert case.current_stage.key == "specialist_assessment"
    assert case.current_stage.version_id == next_version.pk
    assert _timers(case).filter(status=STATUS.SCHEDULED).count() == 1


def test_a_case_loaded_before_the_migration_is_stale(
    default_version, next_version, cases, coordinator
):
    loaded_earlier = Case.objects.get(pk=cases["hsb_panel"].pk)
    apply_case_migration(
        source=default_version,
        target=next_version,
        stage_mapping=MAPPING,
        actor=coordinator,
        reason="v2",
    )

    with pytest.raises(StaleCase) as refused:
        take_transition(
            case=loaded_earlier, transition="agree_specialist_assessment", actor=coordinator
        )

    assert refused.value.extra["current_stage"] == "multi_agency_panel"


def test_an_overdue_stage_that_the_new_timescale_allows_is_no_longer_overdue(
    default_version, next_version, cases, coordinator
):
    # Entered ~33 working days ago: late under 30 working days, in time under 40.
    entered = timezone.now() - timedelta(days=47)
    Case.objects.filter(pk=cases["early_help"].pk).update(
        stage_entered_at=entered, stage_overdue_since=timezone.now()
    )

    apply_case_migration(
        source=default_version,
        target=next_version,
        stage_mapping=MAPPING,
        actor=coordinator,
        reason="v2",
    )

    case = Case.objects.get(pk=cases["early_help"].pk)
    assert case.stage_overdue_since is None
    assert _timers(case).get(status=STATUS.SCHEDULED).scheduled > timezone.now()


def test_a_stage_still_late_under_the_new_timescale_stays_flagged_and_is_not_escalated_twice(
    default_version, next_version, cases, coordinator
):
    flagged_at = timezone.now() - timedelta(days=30)
    Case.objects.filter(pk=cases["early_help"].pk).update(
        stage_entered_at=timezone.now() - timedelta(days=120), stage_overdue_since=flagged_at
    )

    apply_case_migration(
        source=default_version,
        target=next_version,
        stage_mapping=MAPPING,
        actor=coordinator,
        reason="v2",
    )
    call_command("workflow_timers", stdout=StringIO())

    case = Case.objects.get(pk=cases["early_help"].pk)
    assert case.stage_overdue_since == flagged_at
    # The re-armed timer was already due and fired, but the stage had been escalated.
    assert _timers(case).order_by("-pk").first().status == STATUS.DONE
    assert not AuditEvent.objects.filter(
        action="case.stage_overdue", object_id=str(case.pk)
    ).exists()
    assert not Task.objects.filter(process_id=case.pk, status=STATUS.ERROR).exists()


# --- refusals ----------------------------------------------------------------------------------


def test_one_case_that_cannot_move_stops_the_whole_migration(
    default_version, next_version, cases, coordinator
):
    with pytest.raises(MigrationNotPossible) as refused:
        apply_case_migration(
            source=default_version,
            target=next_version,
            stage_mapping=SAME,
            actor=coordinator,
            reason="v2",
        )

    assert "unmapped stage 'hsb_panel'" in refused.value.message
    assert not _migrate_moves().exists()
    assert not AuditEvent.objects.filter(action="case.migrated").exists()
    assert set(Case.objects.values_list("pathway_version_id", flat=True)) == {default_version.pk}
    assert all(
        _timers(case).filter(status=STATUS.SCHEDULED).count() == 1
        for key, case in cases.items()
        if key != "closed"
    )


def test_skipping_unmovable_cases_migrates_the_rest(
    default_version, next_version, cases, coordinator
):
    result = apply_case_migration(
        source=default_version,
        target=next_version,
        stage_mapping=SAME,
        actor=coordinator,
        reason="v2",
        skip_unmovable=True,
    )

    assert [m.case_id for m in result.skipped] == [cases["hsb_panel"].pk]
    assert len(result.migrated) == 2
    assert Case.objects.get(pk=cases["hsb_panel"].pk).pathway_version_id == default_version.pk
    assert Case.objects.get(pk=cases["early_help"].pk).pathway_version_id == next_version.pk


def test_version_problems_cannot_be_skipped(area, default_version, cases, coordinator):
    draft = create_draft_version(area=area, definition=_renamed_panel_definition(), actor=None)

    with pytest.raises(MigrationNotPossible, match="target not published"):
        apply_case_migration(
            source=default_version,
            target=draft,
            stage_mapping=MAPPING,
            actor=coordinator,
            reason="v2",
            skip_unmovable=True,
        )


def test_a_migration_needs_a_reason(default_version, next_version, coordinator):
    with pytest.raises(MigrationNotPossible) as refused:
        apply_case_migration(
            source=default_version,
            target=next_version,
            stage_mapping=MAPPING,
            actor=coordinator,
            reason=" ",
        )

    assert "reason" in refused.value.fields


# --- management commands -----------------------------------------------------------------------


def _migrate_cases(*args):
    out = StringIO()
    call_command("migrate_cases", *args, stdout=out)
    return out.getvalue()


def test_migrate_cases_prints_the_dry_run_and_changes_nothing(default_version, next_version, cases):
    output = _migrate_cases(
        "--from-version",
        str(default_version.pk),
        "--to-version",
        str(next_version.pk),
        "--map",
        "initial_decision=initial_decision",
        "early_help=early_help",
    )

    assert "unmapped stage 'hsb_panel'" in output
    assert "3 open case(s): 2 can move, 1 cannot." in output
    assert "Dry run" in output
    assert not _migrate_moves().exists()


def test_migrate_cases_applies_with_a_reason(default_version, next_version, cases, coordinator):
    output = _migrate_cases(
        "--from-version",
        str(default_version.pk),
        "--to-version",
        str(next_version.pk),
        *[arg for old, new in MAPPING.items() for arg in ("--map", f"{old}={new}")],
        "--apply",
        "--reason",
        "Partnership adopted v2",
        "--actor",
        coordinator.username,
    )

    assert "Migrated 3 case(s)" in output
    assert set(_migrate_moves().values_list("actor_id", flat=True)) == {coordinator.pk}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--map", "early_help", "--apply", "--reason", "x"], "expects old_stage=new_stage"),
        (["--map", "early_help=early_help", "--apply"], "--apply needs --reason"),
        (["--map", "early_help=early_help", "--apply", "--reason", "x"], "Nothing was migrated"),
    ],
)
def test_migrate_cases_refuses_bad_requests(default_version, next_version, cases, extra, message):
    with pytest.raises(CommandError, match=message):
        _migrate_cases(
            "--from-version",
            str(default_version.pk),
            "--to-version",
            str(next_version.pk),
            *extra,
        )
    assert not _migrate_moves().exists()


def test_load_pathway_imports_and_publishes_a_yaml_file(db):
    out = StringIO()
    call_command(
        "load_pathway", str(DEFAULT_PATHWAY_YAML), "--area", "Eastmere", "--publish", stdout=out
    )
    call_command("load_pathway", str(DEFAULT_PATHWAY_YAML), "--area", "Eastmere", stdout=out)

    versions = PathwayVersion.objects.filter(pathway__area__name="Eastmere").order_by("number")
    assert [(v.number, v.status) for v in versions] == [
        (1, VersionStatus.PUBLISHED),
        (2, VersionStatus.DRAFT),
    ]
    assert versions[0].stages.count() == 12
    assert "v1" in out.getvalue() and "published" in out.getvalue()


def test_load_pathway_refuses_a_file_that_is_not_a_pathway(tmp_path: Path, area):
    bad = tmp_path / "bad.yaml"
    bad.write_text("key: broken\nstages: [\n")

    with pytest.raises(CommandError, match="not a pathway definition"):
        call_command("load_pathway", str(bad), stdout=StringIO())
    assert not Pathway.objects.exists()
