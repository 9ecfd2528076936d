"""Timescale anchors and closure reasons in the pathway definition (issue 16, items 4 and 6).

A stage counts its timescale from its entry, the referral, or the referral to children's
social care (a named event, recorded as a case enters a statutory stage); a closing transition
or a step-down lists the closure reasons it allows: census codes (RC1-RC9) only where a
children's social care episode can end, plain reasons where a case closes outside one.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from pathways.deadlines import stage_due_on
from pathways.definitions import definition_from_dict, definition_to_dict
from pathways.models import Stage, TimescaleFrom
from pathways.tests.factories import default_definition
from pathways.validation import validate_definition

LONDON = ZoneInfo("Europe/London")
REFERRED = datetime(2024, 12, 20, 10, 0, tzinfo=LONDON)  # a Friday
STEPPED_UP = datetime(2025, 3, 3, 11, 0, tzinfo=LONDON)  # a Monday, ten weeks later


def _data():
    return definition_to_dict(default_definition())


def _stage(data, key):
    return next(stage for stage in data["stages"] if stage["key"] == key)


def _transition(data, key):
    return next(transition for transition in data["transitions"] if transition["key"] == key)


def _problems(data):
    return [(p.code, p.path, p.message) for p in validate_definition(definition_from_dict(data))]


def _index(data, key):
    return next(i for i, stage in enumerate(data["stages"]) if stage["key"] == key)


def _t_index(data, key):
    return next(i for i, t in enumerate(data["transitions"]) if t["key"] == key)


# --- the anchors ----------------------------------------------------------------------------------


def test_the_default_pathway_counts_the_csc_assessment_from_the_referral_to_csc():
    stages = {stage.key: stage for stage in default_definition().stages}

    assert (
        stages["initial_decision"].timescale_working_days,
        stages["initial_decision"].timescale_from,
    ) == (
        1,
        "referral",
    )
    assert (
        stages["csc_assessment"].timescale_working_days,
        stages["csc_assessment"].timescale_from,
    ) == (
        45,
        "csc_referral",
    )


def test_a_stage_counted_from_the_referral_to_csc_is_due_45_working_days_after_it():
    stage = Stage(key="csc_assessment", timescale_working_days=45, timescale_from="csc_referral")

    due = stage_due_on(
        stage=stage,
        entered_at=STEPPED_UP,
        referral_received_at=REFERRED,
        csc_referred_at=STEPPED_UP,
        region="ENG",
    )

    # 45 working days from Monday 3 March 2025 (Good Friday, Easter Monday and the early May
    # bank holiday fall between).
    assert due == date(2025, 5, 8)
    # Counted from the HSB referral instead, the same assessment was overdue on arrival.
    from_referral = Stage(key="s", timescale_working_days=45, timescale_from="referral")
    assert stage_due_on(
        stage=from_referral, entered_at=STEPPED_UP, referral_received_at=REFERRED, region="ENG"
    ) == date(2025, 2, 26)


def test_a_stage_counted_from_the_referral_to_csc_falls_back_to_the_referral_when_unrecorded():
    stage = Stage(key="s", timescale_working_days=1, timescale_from=TimescaleFrom.CSC_REFERRAL)
    late = datetime(2025, 7, 17, 23, 30, tzinfo=UTC)  # Friday 18 July in London

    assert stage_due_on(
        stage=stage, entered_at=STEPPED_UP, referral_received_at=late, region="ENG"
    ) == date(2025, 7, 21)


def test_stage_timescale_anchor_validated():
    data = _data()
    _stage(data, "review")["timescale"] = {"working_days": 10, "from": "csc_referral"}
    _stage(data, "initial_decision")["timescale"] = {"working_days": 1, "from": "csc_referral"}
    _stage(data, "hsb_panel")["timescale"] = {"working_days": 5, "from": "strategy_meeting"}

    problems = _problems(data)

    assert (
        "invalid_timescale",
        f"stages[{_index(data, 'hsb_panel')}] 'hsb_panel'",
        "Stage 'hsb_panel' counts its timescale from 'strategy_meeting' "
        "(expected one of stage_entry, referral, csc_referral).",
    ) in problems
    anchors = [p for p in problems if p[0] == "timescale_anchor_unknown"]
    assert anchors == [
        (
            "timescale_anchor_unknown",
            "stages[0] 'initial_decision'",
            "Stage 'initial_decision' is the first stage, entered on the referral itself: count "
            "its timescale from 'referral', not from the referral to children's social care.",
        ),
        (
            "timescale_anchor_unknown",
            f"stages[{_index(data, 'review')}] 'review'",
            "Stage 'review' counts its timescale from the referral to children's social care, "
            "which is recorded only as a case enters a statutory stage; 'review' is a "
            "specialist stage.",
        ),
    ]


# --- closure reasons ---------------------------------------------------------------------------


def test_the_default_pathway_lists_census_codes_only_where_a_csc_episode_ends():
    reasons = {t.key: t.closure_reasons for t in default_definition().transitions}

    assert reasons["no_further_action"] == ["no_further_action"]
    assert reasons["close_universal_support"] == ["advice_given", "support_declined", "moved_away"]
    assert not any(r.startswith("RC") for r in reasons["close_early_help"])
    assert reasons["csc_steps_down_to_early_help"] == ["RC9"]
    assert reasons["close_after_csc_assessment"] == [f"RC{n}" for n in range(1, 9)]
    # A review may close a children's social care episode or a specialist plan.
    assert "RC7" in reasons["close_after_review"]
    assert "support_completed" in reasons["close_after_review"]
    assert reasons["panel_steps_down_to_early_help"] == []


def test_census_codes_are_refused_where_no_csc_episode_can_be_open():
    data = _data()
    _transition(data, "close_early_help")["closure_reasons"] = ["RC7", "support_completed"]
    _transition(data, "panel_steps_down_to_early_help")["closure_reasons"] = ["RC9"]

    assert _problems(data) == [
        (
            "census_code_outside_csc",
            f"transitions[{_t_index(data, 'close_early_help')}] 'close_early_help'",
            "Transition 'close_early_help' lists census closure reason(s) RC7, but no "
            "children's social care episode can be open at 'early_help': census codes "
            "(RC1-RC9) are only for ending one.",
        ),
        (
            "census_code_outside_csc",
            f"transitions[{_t_index(data, 'panel_steps_down_to_early_help')}] "
            "'panel_steps_down_to_early_help'",
            "Transition 'panel_steps_down_to_early_help' lists census closure reason(s) RC9, "
            "but no children's social care episode can be open at 'hsb_panel': census codes "
            "(RC1-RC9) are only for ending one.",
        ),
    ]


def test_a_transition_that_can_end_a_csc_episode_must_list_a_census_code():
    data = _data()
    _transition(data, "close_after_csc_assessment")["closure_reasons"] = ["support_completed"]
    _transition(data, "close_after_review")["closure_reasons"] = ["RC7"]

    path = (
        f"transitions[{_t_index(data, 'close_after_csc_assessment')}] 'close_after_csc_assessment'"
    )
    review = f"transitions[{_t_index(data, 'close_after_review')}] 'close_after_review'"
    assert _problems(data) == [
        (
            "census_code_missing",
            path,
            "Transition 'close_after_csc_assessment' can end a children's social care episode "
            "open at 'csc_assessment' but lists no census closure reason (RC1-RC9).",
        ),
        (
            "plain_reason_inside_csc",
            path,
            "Transition 'close_after_csc_assessment' lists support_completed, but a case at "
            "'csc_assessment' is always in a children's social care episode, which ends with a "
            "census code (RC1-RC9).",
        ),
        (
            "plain_reason_missing",
            review,
            "Close transition 'close_after_review' lists no closure reason for a case outside "
            "children's social care at 'review' (such as 'support_completed').",
        ),
    ]


def test_closure_reasons_belong_to_closing_transitions_and_step_downs():
    data = _data()
    _transition(data, "route_to_early_help")["closure_reasons"] = ["support_completed"]
    _transition(data, "csc_steps_down_to_early_help")["closure_reasons"] = ["RC9", "advice_given"]
    _transition(data, "close_early_help")["closure_reasons"] = ["finished"]

    problems = _problems(data)

    assert (
        "closure_reason_not_closing",
        f"transitions[{_t_index(data, 'route_to_early_help')}] 'route_to_early_help'",
        "Transition 'route_to_early_help' is a route: only a closing transition or a step-down "
        "lists closure reasons.",
    ) in problems
    assert (
        "plain_reason_on_step_down",
        f"transitions[{_t_index(data, 'csc_steps_down_to_early_help')}] "
        "'csc_steps_down_to_early_help'",
        "Step-down 'csc_steps_down_to_early_help' lists advice_given: a step-down records only "
        "the census code (RC1-RC9) that ends a children's social care episode.",
    ) in problems
    unknown = [p for p in problems if p[0] == "unknown_closure_reason"]
    assert len(unknown) == 1
    assert unknown[0][2].startswith(
        "Transition 'close_early_help' lists unknown closure reason 'finished' (known: RC1, "
    )
    assert unknown[0][2].endswith("moved_away, adult_services).")


@pytest.mark.django_db
def test_the_version_page_shows_each_anchor_and_closure_reasons(
    client, default_version, coordinator
):
    client.force_login(coordinator)

    page = client.get(f"/pathways_app/versions/{default_version.pk}/").content.decode()

    assert "45 working days from referral to children&#x27;s social care" in page
    assert "1 working day from referral received" in page
    assert "closure reasons: no_further_action" in page
