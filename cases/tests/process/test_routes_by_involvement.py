"""Each child is routed by their own involvement (issue 16, item 1), a move into a stage that
needs a lead practitioner names one in the same step, and a step-up records the continuum
level that justifies it, past a tier only with a reason (item 10, and item 5's skip).
"""

from dataclasses import replace

import pytest
from viewflow.workflow.models import Task

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory, UserFactory
from audit.models import AuditEvent
from cases.exceptions import InvalidLeadPractitioner, LeadPractitionerNotFound
from cases.models import Case, LeadDesignation, StageMove
from cases.process.engine import take_transition, transitions_for
from cases.tests.factories import open_case
from pathways.exceptions import InvalidTransitionData, LeadPractitionerRequired, NotForThisChild
from pathways.services import create_draft_version, publish_version
from pathways.tests.factories import default_definition

pytestmark = pytest.mark.django_db


def _snapshot(case):
    return (
        Case.objects.filter(pk=case.pk).values().get(),
        sorted(Task.objects.filter(process_id=case.pk).values_list("pk", "status")),
        StageMove.objects.filter(case_id=case.pk).count(),
        LeadDesignation.objects.filter(case_id=case.pk).count(),
        AuditEvent.objects.count(),
    )


def _refused(error, case, **kwargs):
    """Take the transition, expect `error` and that nothing was written; the error."""
    before = _snapshot(case)
    with pytest.raises(error) as refused:
        take_transition(case=case, **kwargs)
    assert _snapshot(case) == before, "a refused move writes nothing"
    assert refused.value.status_code in (400, 403, 404)
    return refused.value


@pytest.fixture
def harmed_case(default_version, front_door):
    return open_case(version=default_version, actor=front_door, involvement="harmed")


@pytest.fixture
def hsb_case(default_version, front_door):
    return open_case(version=default_version, actor=front_door)


@pytest.fixture
def universal_case(hsb_case, front_door):
    return take_transition(
        case=hsb_case,
        transition="route_to_universal_support",
        actor=front_door,
        data={"continuum_level": "normal"},
    )


# --- item 1: the child harmed's own route ------------------------------------------------------


def test_child_harmed_case_offers_no_continuum_routes(harmed_case, front_door):
    options = transitions_for(case=harmed_case, actor=front_door)

    assert [option.transition.key for option in options] == [
        "open_csc_assessment",
        "no_further_action",
        "support_child_harmed",
        "plan_safety_for_child_harmed",
    ]
    assert not any("continuum_level_in" in option.transition.guards for option in options)
    assert not any("continuum_level" in option.asks for option in options)
    # Support needs a lead practitioner, named with the routing.
    support = options[2]
    assert support.asks == ("reason", "lead_practitioner")
    assert support.needs == ("lead_practitioner",)


def test_child_harmed_routed_without_continuum_level(harmed_case, front_door, lead_practitioner):
    case = take_transition(
        case=harmed_case,
        transition="support_child_harmed",
        actor=front_door,
        data={"lead_practitioner": lead_practitioner.pk},
    )

    case.refresh_from_db()
    assert case.current_stage.key == "harmed_support"
    assert case.confirmed_continuum_level == ""
    assert case.lead_practitioner == lead_practitioner
    keys = [option.transition.key for option in transitions_for(case=case, actor=lead_practitioner)]
    assert keys == [
        "agree_safety_plan",
        "refer_for_therapeutic_support",
        "support_steps_up_to_csc",
        "close_harmed_support",
    ]


def test_a_continuum_route_on_a_child_harmed_case_is_refused_naming_the_rule(
    harmed_case, front_door
):
    refused = _refused(
        NotForThisChild,
        harmed_case,
        transition="route_to_universal_support",
        actor=front_door,
        data={},
    )

    assert refused.status_code == 400
    assert refused.code == "not_for_this_child"
    assert refused.fields == {
        "transition": [
            "'Universal advice (normal behaviour)' is on the route of a child displaying HSB; "
            "this case is about a child harmed, and each child is routed by their own "
            "involvement."
        ]
    }


def test_no_continuum_level_is_recorded_for_a_child_harmed(
    harmed_case, front_door, lead_practitioner
):
    refused = _refused(
        InvalidTransitionData,
        harmed_case,
        transition="support_child_harmed",
        actor=front_door,
        data={"continuum_level": "normal", "lead_practitioner": lead_practitioner.pk},
    )

    assert refused.fields == {
        "continuum_level": [
            "A continuum level describes the behaviour of a child displaying HSB: none is "
            "recorded for a child harmed."
        ]
    }


def test_a_child_displaying_hsb_is_not_routed_as_a_child_harmed(
    hsb_case, front_door, lead_practitioner
):
    keys = {option.transition.key for option in transitions_for(case=hsb_case, actor=front_door)}
    assert "support_child_harmed" not in keys

    refused = _refused(
        NotForThisChild,
        hsb_case,
        transition="support_child_harmed",
        actor=front_door,
        data={"lead_practitioner": lead_practitioner.pk},
    )
    assert "is on the route of a child harmed" in refused.fields["transition"][0]


def test_both_children_may_need_childrens_social_care(harmed_case, front_door, lead_practitioner):
    case = take_transition(
        case=harmed_case,
        transition="open_csc_assessment",
        actor=front_door,
        data={"significant_harm_suspected": True, "lead_practitioner": lead_practitioner.pk},
    )

    assert case.current_stage.key == "csc_assessment"
    keys = {option.transition.key for option in transitions_for(case=case, actor=lead_practitioner)}
    assert "csc_steps_down_to_support_child_harmed" in keys
    assert "csc_steps_down_to_early_help" not in keys  # the child displaying HSB's early help


# --- item 10: the lead practitioner named with the routing ---------------------------------------


def test_routing_to_early_help_designates_lead_in_same_step(
    hsb_case, front_door, lead_practitioner
):
    case = take_transition(
        case=hsb_case,
        transition="route_to_early_help",
        actor=front_door,
        data={"continuum_level": "problematic", "lead_practitioner": lead_practitioner.pk},
    )

    saved = Case.objects.get(pk=hsb_case.pk)
    assert saved.current_stage.key == "early_help"
    assert saved.lead_practitioner == lead_practitioner == case.lead_practitioner
    assert saved.lock_version == hsb_case.lock_version + 1
    designation = LeadDesignation.objects.get(case=saved)
    assert designation.practitioner == lead_practitioner
    assert designation.designated_by == front_door
    assert designation.ended_at is None
    assert designation.started_at == saved.stage_entered_at
    move = StageMove.objects.filter(case=saved).last()
    assert move.data == {
        "continuum_level": "problematic",
        "lead_practitioner": lead_practitioner.pk,
    }
    events = AuditEvent.objects.filter(object_type="cases.case", object_id=str(saved.pk))
    route, designated = events.order_by("-id")[:2][::-1]
    assert route.action == "case.route"
    assert route.changes["lead_practitioner"] == [None, lead_practitioner.pk]
    assert designated.action == "case.lead_designated"
    assert designated.changes == {"lead_practitioner": [None, lead_practitioner.pk]}


def test_routing_to_early_help_without_a_lead_is_refused_naming_the_rule(hsb_case, front_door):
    refused = _refused(
        LeadPractitionerRequired,
        hsb_case,
        transition="route_to_early_help",
        actor=front_door,
        data={"continuum_level": "problematic"},
    )

    assert refused.status_code == 400
    assert refused.code == "lead_practitioner_required"
    assert refused.fields == {
        "lead_practitioner": [
            "'Early help' needs a designated lead practitioner: name one with this move."
        ]
    }


def test_a_lead_named_with_the_move_is_checked_as_a_designation_is(hsb_case, front_door, make_user):
    route = {"transition": "route_to_early_help", "actor": front_door}
    elsewhere = UserFactory(
        role=Role.LEAD_PRACTITIONER, agency=AgencyFactory(area=LocalAreaFactory(name="Southmere"))
    )

    another_area = _refused(
        LeadPractitionerNotFound,
        hsb_case,
        data={"continuum_level": "problematic", "lead_practitioner": elsewhere.pk},
        **route,
    )
    assert another_area.status_code == 404
    assert another_area.fields == {
        "lead_practitioner": ["No such practitioner in this case's area."]
    }

    not_a_lead = _refused(
        InvalidLeadPractitioner,
        hsb_case,
        data={"continuum_level": "problematic", "lead_practitioner": make_user(Role.DSL).pk},
        **route,
    )
    assert not_a_lead.fields == {
        "lead_practitioner": ["Choose an active lead practitioner or manager."]
    }

    inactive = make_user(Role.LEAD_PRACTITIONER, is_active=False)
    _refused(
        InvalidLeadPractitioner,
        hsb_case,
        data={"continuum_level": "problematic", "lead_practitioner": inactive.pk},
        **route,
    )


def test_a_case_with_a_lead_enters_early_help_without_naming_another(
    hsb_case, front_door, coordinator, lead_practitioner
):
    case = take_transition(
        case=hsb_case,
        transition="refer_to_hsb_panel",
        actor=front_door,
        data={"continuum_level": "abusive"},
    )
    Case.objects.filter(pk=case.pk).update(lead_practitioner=lead_practitioner)
    case.refresh_from_db()
    step_down = {
        "transition": "panel_steps_down_to_early_help",
        "actor": coordinator,
        "reason": "Panel: early help can hold it",
    }

    refused = _refused(
        InvalidTransitionData, case, data={"lead_practitioner": lead_practitioner.pk}, **step_down
    )
    assert "already has a lead practitioner" in refused.fields["lead_practitioner"][0]

    assert take_transition(case=case, **step_down).current_stage.key == "early_help"


def test_the_options_show_what_each_move_needs(universal_case, front_door):
    options = {o.transition.key: o for o in transitions_for(case=universal_case, actor=front_door)}

    assert options["step_up_to_early_help"].needs == (
        "reason",
        "continuum_level",
        "lead_practitioner",
    )
    assert options["step_up_universal_to_hsb_panel"].needs == ("reason", "continuum_level")
    assert options["step_up_universal_to_csc"].asks == (
        "reason",
        "continuum_level",
        "significant_harm_suspected",
        "lead_practitioner",
    )


# --- a step-up records the level that justifies it ----------------------------------------------


def test_step_up_records_higher_level(universal_case, front_door, lead_practitioner):
    case = take_transition(
        case=universal_case,
        transition="step_up_to_early_help",
        actor=front_door,
        reason="Second incident at school",
        data={"continuum_level": "problematic", "lead_practitioner": lead_practitioner.pk},
    )

    saved = Case.objects.get(pk=case.pk)
    assert (saved.current_stage.key, saved.confirmed_continuum_level) == (
        "early_help",
        "problematic",
    )
    event = AuditEvent.objects.filter(action="case.step_up", object_id=str(saved.pk)).get()
    assert event.changes["confirmed_continuum_level"] == ["normal", "problematic"]


def test_a_step_up_without_the_level_that_justifies_it_is_refused(
    universal_case, front_door, lead_practitioner
):
    refused = _refused(
        InvalidTransitionData,
        universal_case,
        transition="step_up_to_early_help",
        actor=front_door,
        reason="Second incident",
        data={"lead_practitioner": lead_practitioner.pk},
    )

    assert refused.fields == {
        "continuum_level": ["A step-up records the continuum level that justifies it."]
    }


def test_a_step_up_cannot_record_a_lower_level(hsb_case, front_door, lead_practitioner, manager):
    case = take_transition(
        case=hsb_case,
        transition="route_to_early_help",
        actor=front_door,
        data={"continuum_level": "problematic", "lead_practitioner": lead_practitioner.pk},
    )

    refused = _refused(
        InvalidTransitionData,
        case,
        transition="step_up_to_csc_assessment",
        actor=manager,
        reason="Disclosure at home",
        data={"continuum_level": "inappropriate", "significant_harm_suspected": True},
    )

    assert refused.fields == {
        "continuum_level": [
            "A step-up cannot record a lower continuum level than the confirmed 'problematic': "
            "a lower level is a step-down."
        ]
    }


@pytest.fixture
def lenient_version(area):
    """The default pathway with the skipping step-up's own reason requirement switched off:
    the engine still asks why a step-up skips a tier."""
    definition = default_definition()
    definition = replace(
        definition,
        transitions=[
            replace(t, reason_required=False) if t.key == "step_up_universal_to_csc" else t
            for t in definition.transitions
        ],
    )
    draft = create_draft_version(area=area, definition=definition, actor=None)
    return publish_version(version=draft, actor=None)


def test_step_up_skipping_tiers_needs_reason(lenient_version, front_door, lead_practitioner):
    case = take_transition(
        case=open_case(version=lenient_version, actor=front_door),
        transition="route_to_universal_support",
        actor=front_door,
        data={"continuum_level": "normal"},
    )
    violent_incident = {
        "continuum_level": "violent",
        "significant_harm_suspected": True,
        "lead_practitioner": lead_practitioner.pk,
    }

    refused = _refused(
        InvalidTransitionData,
        case,
        transition="step_up_universal_to_csc",
        actor=front_door,
        data=violent_incident,
    )
    message = (
        "'Step up to children's social care (skipping tiers)' skips a tier (from universal to "
        "statutory): a step-up past a tier says why."
    )
    assert refused.message == message
    assert refused.fields == {"reason": [message]}

    case = take_transition(
        case=case,
        transition="step_up_universal_to_csc",
        actor=front_door,
        reason="Violent incident at the park; police involved",
        data=violent_incident,
    )
    saved = Case.objects.get(pk=case.pk)
    assert saved.current_stage.key == "csc_assessment"
    assert saved.confirmed_continuum_level == "violent"
    assert saved.lead_practitioner == lead_practitioner
    assert StageMove.objects.filter(case=saved).last().reason.startswith("Violent incident")


def test_the_default_pathways_skipping_step_ups_need_a_reason(universal_case, front_door):
    options = {o.transition.key: o for o in transitions_for(case=universal_case, actor=front_door)}

    assert options["step_up_universal_to_csc"].reason_required
    assert options["step_up_universal_to_hsb_panel"].reason_required
