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


def test_a_definition_with_many_faults_lists_them_in_rule_order():
    # Pinned before validate_definition was split into one function per rule: the pathway
    # editor shows the problems in this order, so the split must keep it.
    data = _default_data()
    data["name"] = " "
    _stage(data, "closed")["terminal"] = False
    _stage(data, "early_help").update(
        tier="tertiary", responsible_role="social_worker", requires=["safety_plan"]
    )
    _stage(data, "review")["timescale"] = {"working_days": 0, "from": "yesterday"}
    _stage(data, "hsb_panel")["timescale"] = {"working_days": 5000, "from": "stage_entry"}
    data["stages"].append(dict(_stage(data, "review"), name="Second review"))
    data["stages"].append(
        {"key": "Orphan Stage", "name": "", "tier": "universal", "responsible_role": "dsl"}
    )
    _transition(data, "route_to_early_help").update(to="early_help_hub", kind="detour")
    _transition(data, "refer_to_hsb_panel")["roles"] = []
    _transition(data, "open_csc_assessment")["roles"] = ["dsl", "duty_worker"]
    _transition(data, "step_up_to_hsb_panel")["guards"] = {
        "risk_score_above": 5,
        "continuum_level_in": [],
    }
    _transition(data, "continue_plan")["kind"] = "step_up"
    _transition(data, "panel_refers_to_csc")["kind"] = "step_down"
    _transition(data, "close_after_csc_assessment")["to"] = "review"
    data["transitions"].append(dict(_transition(data, "reopen"), name="Reopen again"))
    _transition(data, "reopen")["from"] = "review"
    data["transitions"] = [t for t in data["transitions"] if t["from"] != "universal_support"]

    problems = validate_definition(definition_from_dict(data))

    assert [(p.code, p.path, p.message) for p in problems] == [
        ("invalid_name", "key", "Pathway 'default' needs a name of 1-200 characters."),
        ("duplicate_key", "stages", "Stage key 'review' is used 2 times."),
        ("duplicate_key", "transitions", "Transition key 'reopen' is used 2 times."),
        ("unknown_tier", "stages[2] 'early_help'",
         "Stage 'early_help' has unknown tier 'tertiary' "
         "(expected one of universal, early_help, specialist, statutory)."),
        ("unknown_role", "stages[2] 'early_help'",
         "Stage 'early_help' names role 'social_worker', which does not exist."),
        ("unknown_artefact", "stages[2] 'early_help'",
         "Stage 'early_help' requires unknown artefact 'safety_plan' "
         "(known: lead_practitioner, authorised_assessment, closure_reason)."),
        ("invalid_timescale", "stages[3] 'hsb_panel'",
         "Stage 'hsb_panel' has a timescale of 5000 working days; the most allowed is 1000."),
        ("invalid_timescale", "stages[7] 'review'",
         "Stage 'review' has a timescale of 0 working days; it must be at least 1."),
        ("invalid_timescale", "stages[7] 'review'",
         "Stage 'review' counts its timescale from 'yesterday' "
         "(expected one of stage_entry, referral, csc_referral)."),
        ("invalid_timescale", "stages[12] 'review'",
         "Stage 'review' has a timescale of 0 working days; it must be at least 1."),
        ("invalid_timescale", "stages[12] 'review'",
         "Stage 'review' counts its timescale from 'yesterday' "
         "(expected one of stage_entry, referral, csc_referral)."),
        ("invalid_key", "stages[13] 'Orphan Stage'",
         "Stage key 'Orphan Stage' must be 1-64 lower-case letters, digits, '_' or '-'."),
        ("invalid_name", "stages[13] 'Orphan Stage'",
         "Stage 'Orphan Stage' needs a name of 1-200 characters."),
        ("unknown_stage", "transitions[1] 'route_to_early_help'",
         "Transition 'route_to_early_help' goes to unknown stage 'early_help_hub'."),
        ("unknown_kind", "transitions[1] 'route_to_early_help'",
         "Transition 'route_to_early_help' has unknown kind 'detour' "
         "(expected one of route, step_up, step_down, close, reopen)."),
        ("no_roles", "transitions[2] 'refer_to_hsb_panel'",
         "Transition 'refer_to_hsb_panel' names no role that may take it."),
        ("unknown_role", "transitions[3] 'open_csc_assessment'",
         "Transition 'open_csc_assessment' names role 'duty_worker', which does not exist."),
        ("close_to_open_stage", "transitions[4] 'no_further_action'",
         "Close transition 'no_further_action' leads to 'closed', which is not terminal."),
        ("unknown_guard", "transitions[5] 'step_up_to_hsb_panel'",
         "Transition 'step_up_to_hsb_panel' uses unknown guard 'risk_score_above' "
         "(known: continuum_level_in, significant_harm_suspected)."),
        ("invalid_guard", "transitions[5] 'step_up_to_hsb_panel'",
         "Guard 'continuum_level_in' on 'step_up_to_hsb_panel' "
         "expects a non-empty list of continuum levels."),
        ("close_to_open_stage", "transitions[7] 'close_early_help'",
         "Close transition 'close_early_help' leads to 'closed', which is not terminal."),
        ("step_down_not_falling", "transitions[10] 'panel_refers_to_csc'",
         "Step-down 'panel_refers_to_csc' goes from specialist ('hsb_panel') to statutory "
         "('csc_assessment'), which is not a lower tier."),
        ("close_to_open_stage", "transitions[15] 'close_after_csc_assessment'",
         "Close transition 'close_after_csc_assessment' leads to 'review', which is not terminal."),
        ("step_up_not_rising", "transitions[17] 'continue_plan'",
         "Step-up 'continue_plan' goes from specialist ('review') to specialist "
         "('plan_and_intervention'), which is not a higher tier."),
        ("close_to_open_stage", "transitions[21] 'close_after_review'",
         "Close transition 'close_after_review' leads to 'closed', which is not terminal."),
        ("reopen_from_open_stage", "transitions[22] 'reopen'",
         "Reopen transition 'reopen' starts from 'review', which is not terminal."),
        # The child harmed's two closing transitions (appended after 'reopen').
        ("close_to_open_stage", "transitions[35] 'close_harmed_support'",
         "Close transition 'close_harmed_support' leads to 'closed', which is not terminal."),
        ("close_to_open_stage", "transitions[36] 'close_therapeutic_referral'",
         "Close transition 'close_therapeutic_referral' leads to 'closed', which is not "
         "terminal."),
        ("reopen_from_open_stage", "transitions[37] 'reopen'",
         "Reopen transition 'reopen' starts from 'closed', which is not terminal."),
        ("no_terminal_stage", "stages", "No stage is terminal, so no case could ever close."),
        ("no_way_out", "stages[1] 'universal_support'",
         "Stage 'universal_support' is not terminal but has no transition out of it."),
        ("no_way_out", "stages[13] 'Orphan Stage'",
         "Stage 'Orphan Stage' is not terminal but has no transition out of it."),
        ("unreachable_stage", "stages[13] 'Orphan Stage'",
         "Stage 'Orphan Stage' cannot be reached from the first stage 'initial_decision'."),
    ]  # fmt: skip


def test_a_pathway_without_stages_stops_after_its_own_key_and_name():
    data = _default_data()
    data["key"] = "Bad Key"
    data["stages"] = []

    assert [(p.code, p.path, p.message) for p in validate_definition(
        definition_from_dict(data)
    )] == [
        ("invalid_key", "key",
         "Pathway key 'Bad Key' must be 1-64 lower-case letters, digits, '_' or '-'."),
        ("no_stages", "stages", "A pathway needs at least one stage."),
    ]  # fmt: skip
