"""The diff between two definitions says what changed, field by field, old to new."""

import pytest

from pathways.diff import Change, changes_as_text, diff_versions
from pathways.selectors import version_changes
from pathways.services import create_draft_version
from pathways.tests.factories import default_definition


def _stage(definition, key):
    return next(stage for stage in definition.stages if stage.key == key)


def _transition(definition, key):
    return next(t for t in definition.transitions if t.key == key)


def _texts(old, new):
    return [change.text for change in diff_versions(old, new)]


def test_identical_definitions_have_no_changes():
    changes = diff_versions(default_definition(), default_definition())

    assert changes == []
    assert changes_as_text(changes) == "No changes."


def test_a_shorter_timescale_is_one_change_with_old_and_new():
    new = default_definition()
    _stage(new, "early_help").timescale_working_days = 20

    assert diff_versions(default_definition(), new) == [
        Change(
            kind="changed",
            subject="stage",
            key="early_help",
            field="timescale.working_days",
            old=30,
            new=20,
            text="Stage 'early_help': timescale 30 → 20 working days",
        )
    ]


def test_a_timescale_taken_away_reads_as_none():
    new = default_definition()
    _stage(new, "review").timescale_working_days = None

    assert _texts(default_definition(), new) == ["Stage 'review': timescale 10 working days → none"]


def test_each_changed_stage_field_is_its_own_change():
    new = default_definition()
    stage = _stage(new, "hsb_panel")
    stage.name = "HSB panel"
    stage.tier = "statutory"
    stage.responsible_role = "team_manager"
    stage.timescale_from = "referral"
    stage.requires = ["authorised_assessment"]
    stage.description = "Rewritten."

    changes = diff_versions(default_definition(), new)

    assert [(c.field, c.old, c.new) for c in changes] == [
        ("name", "Multi-agency HSB panel", "HSB panel"),
        ("description", _stage(default_definition(), "hsb_panel").description, "Rewritten."),
        ("tier", "specialist", "statutory"),
        ("responsible_role", "hsb_coordinator", "team_manager"),
        ("timescale.from", "stage_entry", "referral"),
        ("requires", [], ["authorised_assessment"]),
    ]
    assert [c.text for c in changes] == [
        "Stage 'hsb_panel': name 'Multi-agency HSB panel' → 'HSB panel'",
        "Stage 'hsb_panel': description changed",
        "Stage 'hsb_panel': tier specialist → statutory",
        "Stage 'hsb_panel': responsible role hsb_coordinator → team_manager",
        "Stage 'hsb_panel': timescale counted from stage_entry → referral",
        "Stage 'hsb_panel': requires none → authorised_assessment",
    ]


def test_a_stage_becoming_terminal_is_a_change():
    new = default_definition()
    _stage(new, "review").terminal = True

    assert _texts(default_definition(), new) == ["Stage 'review': terminal no → yes"]


def test_added_and_removed_stages_are_named_with_a_summary():
    old = default_definition()
    new = default_definition()
    new.stages = [s for s in new.stages if s.key != "review"]
    new.transitions = [t for t in new.transitions if "review" not in (t.from_stage, t.to_stage)]
    added = _stage(default_definition(), "hsb_panel")
    added.key, added.name = "strategy_discussion", "Strategy discussion"
    new.stages.append(added)

    stage_changes = [c for c in diff_versions(old, new) if c.subject == "stage"]

    assert [(c.kind, c.key, c.text) for c in stage_changes] == [
        (
            "added",
            "strategy_discussion",
            "Stage 'strategy_discussion' added: 'Strategy discussion' "
            "(specialist, hsb_coordinator)",
        ),
        ("removed", "review", "Stage 'review' removed: 'Review' (specialist, team_manager)"),
    ]


def test_added_and_removed_transitions_are_named_with_their_ends():
    old = default_definition()
    new = default_definition()
    new.transitions = [t for t in new.transitions if t.key != "reopen"]
    added = _transition(default_definition(), "close_after_review")
    added.key, added.from_stage = "close_after_panel", "hsb_panel"
    new.transitions.append(added)

    assert [(c.kind, c.subject, c.key) for c in diff_versions(old, new)] == [
        ("added", "transition", "close_after_panel"),
        ("removed", "transition", "reopen"),
    ]
    assert _texts(old, new) == [
        "Transition 'close_after_panel' added: 'Close after review' (close) "
        "from 'hsb_panel' to 'closed'",
        "Transition 'reopen' removed: 'Reopen the case' (reopen) "
        "from 'closed' to 'initial_decision'",
    ]


def test_each_changed_transition_field_is_its_own_change():
    new = default_definition()
    transition = _transition(new, "route_to_universal_support")
    transition.roles = ["front_door"]
    transition.guards = {"continuum_level_in": ["normal", "inappropriate"]}
    transition.kind = "step_down"
    transition.from_stage = "review"
    transition.to_stage = "closed"
    transition.reason_required = True

    assert _texts(default_definition(), new) == [
        "Transition 'route_to_universal_support': from 'initial_decision' → 'review'",
        "Transition 'route_to_universal_support': to 'universal_support' → 'closed'",
        "Transition 'route_to_universal_support': kind route → step_down",
        "Transition 'route_to_universal_support': roles front_door, team_manager → front_door",
        "Transition 'route_to_universal_support': guards "
        'continuum_level_in=["normal"] → continuum_level_in=["normal", "inappropriate"]',
        "Transition 'route_to_universal_support': reason required no → yes",
    ]


def test_a_guard_taken_away_reads_as_none():
    new = default_definition()
    _transition(new, "open_csc_assessment").guards = {}

    change = diff_versions(default_definition(), new)[0]

    assert (change.field, change.old, change.new) == (
        "guards",
        {"significant_harm_suspected": True},
        {},
    )
    assert change.text == (
        "Transition 'open_csc_assessment': guards significant_harm_suspected=true → none"
    )


def test_reordering_roles_or_listed_rows_is_not_a_change():
    new = default_definition()
    _transition(new, "step_up_to_early_help").roles.reverse()
    new.transitions.reverse()
    new.stages[1:] = reversed(new.stages[1:])

    assert diff_versions(default_definition(), new) == []


def test_a_new_first_stage_is_a_pathway_change_because_new_cases_start_there():
    new = default_definition()
    new.stages.insert(0, new.stages.pop(1))

    assert _texts(default_definition(), new) == [
        "Pathway: first stage initial_decision → universal_support"
    ]


def test_pathway_name_and_description_changes_are_reported():
    new = default_definition()
    new.name = "HSB pathway (2027)"
    new.description = "Shorter."

    changes = diff_versions(default_definition(), new)

    assert [(c.subject, c.field, c.old, c.new) for c in changes] == [
        ("pathway", "name", "Harmful sexual behaviour pathway", "HSB pathway (2027)"),
        ("pathway", "description", default_definition().description, "Shorter."),
    ]
    assert changes_as_text(changes) == (
        "Pathway: name 'Harmful sexual behaviour pathway' → 'HSB pathway (2027)'\n"
        "Pathway: description changed"
    )


def test_a_change_serialises_with_every_field():
    new = default_definition()
    _stage(new, "early_help").timescale_working_days = 20

    assert diff_versions(default_definition(), new)[0].as_dict() == {
        "kind": "changed",
        "subject": "stage",
        "key": "early_help",
        "field": "timescale.working_days",
        "old": 30,
        "new": 20,
        "text": "Stage 'early_help': timescale 30 → 20 working days",
    }


@pytest.mark.django_db
def test_two_stored_versions_are_compared_older_to_newer(area, coordinator, default_version):
    definition = default_definition()
    _stage(definition, "early_help").timescale_working_days = 20
    _transition(definition, "reopen").reason_required = False
    draft = create_draft_version(area=area, definition=definition, actor=coordinator)

    changes = version_changes(actor=coordinator, version=draft, against=default_version)

    assert [c.text for c in changes] == [
        "Stage 'early_help': timescale 30 → 20 working days",
        "Transition 'reopen': reason required yes → no",
    ]
