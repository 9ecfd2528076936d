"""Each child is routed by their own involvement: the pathway says whose route each stage and
transition is on, and validation names a transition that mixes the two children's routes."""

from pathways.definitions import definition_from_dict, definition_to_dict
from pathways.tests.factories import default_definition
from pathways.validation import validate_definition
from pathways.yaml_io import dump_yaml, parse_yaml


def _default_data():
    return definition_to_dict(default_definition())


def _stage(data, key):
    return next(stage for stage in data["stages"] if stage["key"] == key)


def _transition(data, key):
    return next(transition for transition in data["transitions"] if transition["key"] == key)


def _problems(data):
    return [(p.code, p.message) for p in validate_definition(definition_from_dict(data))]


def test_the_default_pathway_has_a_route_for_each_child():
    definition = default_definition()
    harmed = {s.key for s in definition.stages if "harmed" in s.involvements}
    displaying = {s.key for s in definition.stages if "displaying_hsb" in s.involvements}

    # The child harmed: support, safety planning and therapeutic referral, of their own.
    assert {"harmed_support", "safety_planning", "therapeutic_referral"} <= harmed
    assert not {"harmed_support", "safety_planning", "therapeutic_referral"} & displaying
    # The continuum's stages are the child displaying HSB's alone.
    assert {"universal_support", "early_help", "hsb_panel", "specialist_assessment"} <= (
        displaying - harmed
    )
    # Both start at the initial decision and may need children's social care.
    assert {"initial_decision", "csc_assessment", "closed"} <= harmed & displaying


def test_no_transition_of_the_child_harmed_asks_for_a_continuum_level():
    for transition in default_definition().transitions:
        if "harmed" in transition.involvements:
            assert "continuum_level_in" not in transition.guards, transition.key


def test_the_child_harmed_is_not_offered_the_continuum_routes():
    by_key = {t.key: t for t in default_definition().transitions}

    assert by_key["route_to_universal_support"].involvements == ["displaying_hsb"]
    assert by_key["refer_to_hsb_panel"].involvements == ["displaying_hsb"]
    assert by_key["support_child_harmed"].involvements == ["harmed"]
    assert by_key["open_csc_assessment"].involvements == ["displaying_hsb", "harmed"]


def test_a_transitions_involvements_default_to_those_both_its_stages_serve():
    data = _default_data()
    for transition in data["transitions"]:
        del transition["involvements"]

    definition = definition_from_dict(data)

    assert definition.transitions == default_definition().transitions


def test_pathway_validation_names_transition_mixing_involvements():
    data = _default_data()
    # From the child displaying HSB's universal advice into the child harmed's support.
    data["transitions"].append(
        {
            "key": "advice_to_support",
            "name": "Advice, then support",
            "from": "universal_support",
            "to": "harmed_support",
            "kind": "step_up",
            "roles": ["front_door"],
            "reason_required": True,
        }
    )

    assert _problems(data) == [
        (
            "mixed_involvement",
            "Transition 'advice_to_support' mixes the children's routes: 'universal_support' is "
            "for a child displaying HSB and 'harmed_support' for a child harmed.",
        )
    ]


def test_a_transition_naming_a_child_its_stage_does_not_serve_is_named():
    data = _default_data()
    _transition(data, "route_to_universal_support")["involvements"] = ["displaying_hsb", "harmed"]

    assert _problems(data) == [
        (
            "mixed_involvement",
            "Transition 'route_to_universal_support' is for a child harmed, but "
            "'universal_support' is not on that child's route: a transition stays on one "
            "child's route.",
        ),
        (
            "guard_not_for_involvement",
            "Guard 'continuum_level_in' on 'route_to_universal_support' asks about a child "
            "displaying HSB, but the transition is for a child harmed.",
        ),
    ]


def test_a_continuum_guard_on_the_child_harmeds_route_is_named():
    data = _default_data()
    _transition(data, "support_child_harmed")["guards"] = {"continuum_level_in": ["normal"]}

    assert _problems(data) == [
        (
            "guard_not_for_involvement",
            "Guard 'continuum_level_in' on 'support_child_harmed' asks about a child "
            "displaying HSB, but the transition is for a child harmed.",
        )
    ]


def test_the_first_stage_serves_every_child():
    data = _default_data()
    _stage(data, "initial_decision")["involvements"] = ["displaying_hsb"]

    problems = _problems(data)

    assert (
        "first_stage_involvement",
        "The first stage 'initial_decision' is where every case starts, but is not on the "
        "route of a child harmed.",
    ) in problems


def test_an_unknown_involvement_is_named():
    data = _default_data()
    _stage(data, "harmed_support")["involvements"] = ["victim"]

    assert (
        "unknown_involvement",
        "Stage 'harmed_support' names unknown involvement(s) victim "
        "(expected displaying_hsb or harmed).",
    ) in _problems(data)


def test_involvements_and_the_lead_round_trip_through_yaml():
    definition = default_definition()

    again = parse_yaml(dump_yaml(definition))

    assert again == definition
    stages = {s.key: s for s in again.stages}
    assert stages["early_help"].needs_lead_practitioner
    assert stages["harmed_support"].needs_lead_practitioner
    assert not stages["hsb_panel"].needs_lead_practitioner
