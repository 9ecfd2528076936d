"""Each validation rule, broken once in an otherwise valid default pathway, names what is wrong."""

import pytest

from pathways.definitions import definition_from_dict, definition_to_dict
from pathways.tests.factories import default_definition
from pathways.validation import validate_definition


def _default_data():
    return definition_to_dict(default_definition())


def _stage(data, key):
    return next(stage for stage in data["stages"] if stage["key"] == key)


def _transition(data, key):
    return next(transition for transition in data["transitions"] if transition["key"] == key)


def _problems(data):
    return [(p.code, p.message) for p in validate_definition(definition_from_dict(data))]


def test_the_default_pathway_is_valid():
    assert validate_definition(default_definition()) == []


def test_a_transition_to_an_unknown_stage_is_named():
    data = _default_data()
    _transition(data, "route_to_early_help")["to"] = "early_help_hub"

    assert _problems(data) == [
        (
            "unknown_stage",
            "Transition 'route_to_early_help' goes to unknown stage 'early_help_hub'.",
        )
    ]


def test_a_transition_from_an_unknown_stage_is_named():
    data = _default_data()
    _transition(data, "reopen")["from"] = "archived"

    assert (
        "unknown_stage",
        "Transition 'reopen' goes from unknown stage 'archived'.",
    ) in _problems(data)


def test_a_stage_no_transition_leads_to_is_unreachable():
    data = _default_data()
    data["stages"].insert(
        2,
        {
            "key": "youth_justice_liaison",
            "name": "Youth justice liaison",
            "tier": "specialist",
            "responsible_role": "hsb_coordinator",
        },
    )
    data["transitions"].append(
        {
            "key": "close_liaison",
            "name": "Close liaison",
            "from": "youth_justice_liaison",
            "to": "closed",
            "kind": "close",
            "roles": ["hsb_coordinator"],
        }
    )

    assert _problems(data) == [
        (
            "unreachable_stage",
            "Stage 'youth_justice_liaison' cannot be reached from the first stage "
            "'initial_decision'.",
        )
    ]


def test_a_stage_that_is_not_terminal_needs_a_way_out():
    data = _default_data()
    data["transitions"] = [t for t in data["transitions"] if t["from"] != "review"]

    assert _problems(data) == [
        ("no_way_out", "Stage 'review' is not terminal but has no transition out of it.")
    ]


def test_a_pathway_without_a_terminal_stage_could_never_close_a_case():
    data = _default_data()
    data["stages"] = [
        {"key": "screening", "name": "Screening", "tier": "universal", "responsible_role": "dsl"},
        {"key": "support", "name": "Support", "tier": "universal", "responsible_role": "dsl"},
    ]
    data["transitions"] = [
        {"key": "offer", "name": "Offer", "from": "screening", "to": "support", "kind": "route",
         "roles": ["dsl"]},
        {"key": "rescreen", "name": "Rescreen", "from": "support", "to": "screening",
         "kind": "route", "roles": ["dsl"]},
    ]  # fmt: skip

    assert _problems(data) == [
        ("no_terminal_stage", "No stage is terminal, so no case could ever close.")
    ]


def test_a_step_up_must_rise_in_tier():
    data = _default_data()
    _transition(data, "continue_plan")["kind"] = "step_up"

    assert _problems(data) == [
        (
            "step_up_not_rising",
            "Step-up 'continue_plan' goes from specialist ('review') to specialist "
            "('plan_and_intervention'), which is not a higher tier.",
        )
    ]


def test_a_step_down_must_fall_in_tier():
    data = _default_data()
    _transition(data, "step_up_to_hsb_panel")["kind"] = "step_down"

    assert _problems(data) == [
        (
            "step_down_not_falling",
            "Step-down 'step_up_to_hsb_panel' goes from early_help ('early_help') to "
            "specialist ('hsb_panel'), which is not a lower tier.",
        )
    ]


def test_a_stage_key_used_twice_is_named():
    data = _default_data()
    data["stages"].append(dict(_stage(data, "review"), name="Second review"))

    assert _problems(data) == [("duplicate_key", "Stage key 'review' is used 2 times.")]


def test_a_transition_key_used_twice_is_named():
    data = _default_data()
    data["transitions"].append(dict(_transition(data, "reopen"), name="Reopen again"))

    assert _problems(data) == [("duplicate_key", "Transition key 'reopen' is used 2 times.")]


@pytest.mark.parametrize("days", [0, -5])
def test_a_timescale_must_be_at_least_one_working_day(days):
    data = _default_data()
    _stage(data, "early_help")["timescale"]["working_days"] = days

    assert _problems(data) == [
        (
            "invalid_timescale",
            f"Stage 'early_help' has a timescale of {days} working days; it must be at least 1.",
        )
    ]


def test_a_stage_naming_an_unknown_role_is_refused():
    data = _default_data()
    _stage(data, "early_help")["responsible_role"] = "social_worker"

    assert _problems(data) == [
        ("unknown_role", "Stage 'early_help' names role 'social_worker', which does not exist.")
    ]


def test_a_transition_naming_an_unknown_role_is_refused():
    data = _default_data()
    _transition(data, "route_to_early_help")["roles"] = ["front_door", "duty_worker"]

    assert _problems(data) == [
        (
            "unknown_role",
            "Transition 'route_to_early_help' names role 'duty_worker', which does not exist.",
        )
    ]


def test_a_transition_using_an_unknown_guard_is_refused():
    data = _default_data()
    _transition(data, "step_up_to_hsb_panel")["guards"] = {"risk_score_above": 5}

    assert _problems(data) == [
        (
            "unknown_guard",
            "Transition 'step_up_to_hsb_panel' uses unknown guard 'risk_score_above' "
            "(known: continuum_level_in, significant_harm_suspected).",
        )
    ]


def test_a_stage_requiring_an_unknown_artefact_is_refused():
    data = _default_data()
    _stage(data, "early_help")["requires"] = ["lead_practitioner", "safety_plan"]

    assert _problems(data) == [
        (
            "unknown_artefact",
            "Stage 'early_help' requires unknown artefact 'safety_plan' "
            "(known: lead_practitioner, authorised_assessment, closure_reason).",
        )
    ]


def test_every_problem_is_reported_not_just_the_first():
    data = _default_data()
    _stage(data, "early_help")["responsible_role"] = "social_worker"
    _transition(data, "step_up_to_hsb_panel")["guards"] = {"risk_score_above": 5}

    assert [code for code, _ in _problems(data)] == ["unknown_role", "unknown_guard"]


def test_a_key_that_is_not_a_short_slug_is_named():
    data = _default_data()
    _stage(data, "review")["key"] = "Review Meeting"
    for transition in data["transitions"]:
        for end in ("from", "to"):
            if transition[end] == "review":
                transition[end] = "Review Meeting"

    assert (
        "invalid_key",
        "Stage key 'Review Meeting' must be 1-64 lower-case letters, digits, '_' or '-'.",
    ) in _problems(data)


def test_a_name_longer_than_the_database_allows_is_named():
    data = _default_data()
    _transition(data, "review_plan")["name"] = "x" * 201

    assert _problems(data) == [
        ("invalid_name", "Transition 'review_plan' needs a name of 1-200 characters.")
    ]


def test_an_implausibly_long_timescale_is_named():
    data = _default_data()
    _stage(data, "review")["timescale"]["working_days"] = 100_000

    assert _problems(data) == [
        (
            "invalid_timescale",
            "Stage 'review' has a timescale of 100000 working days; the most allowed is 1000.",
        )
    ]
