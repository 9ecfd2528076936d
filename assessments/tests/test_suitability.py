"""The suitability rules: age (hard block), population (warning), certification, level."""

import datetime

import pytest
from django.utils import timezone

from assessments.exceptions import JustificationRequired, ToolNotSuitable
from assessments.models import AssessmentStatus, ToolCertification
from assessments.services import start_assessment
from assessments.suitability import Verdict, tool_suitability, tools_for, type_findings
from cases.models import age_on

from .factories import child_aged, early_help_case, panel_case, requested

pytestmark = pytest.mark.django_db

PRE_ADOLESCENT_RULE = (
    "Tools designed for adolescents must not be used with pre-adolescents "
    "(HSB framework, NICE NG55)."
)


@pytest.fixture
def nine_year_olds_case(default_version, front_door, lead_practitioner, manager):
    return early_help_case(
        version=default_version,
        front_door=front_door,
        lead=lead_practitioner,
        manager=manager,
        child=child_aged(9, gender="boy"),
        continuum_level="problematic",
    )


def _judge(tool, child, **kwargs):
    kwargs.setdefault("on", timezone.localdate())
    kwargs.setdefault("certifications", [])
    return tool_suitability(tool=tool, child=child, **kwargs)


@pytest.mark.parametrize(
    ("key", "name"), [("aim3", "AIM3"), ("erasor", "ERASOR"), ("j_soap_ii", "J-SOAP-II")]
)
def test_an_adolescent_tool_is_refused_for_a_nine_year_old_naming_the_rule(
    tools, nine_year_olds_case, lead_practitioner, key, name
):
    ToolCertification.objects.create(
        practitioner=lead_practitioner, tool=tools[key], certified_on=datetime.date(2024, 1, 1)
    )
    assessment = requested(nine_year_olds_case, lead_practitioner, "comprehensive_assessment")

    with pytest.raises(ToolNotSuitable) as refused:
        start_assessment(
            assessment=assessment, tool=tools[key], actor=lead_practitioner, justification="x"
        )

    assert str(refused.value) == (
        f"{name} is for ages 12-18; this child is 9 at assessment. {PRE_ADOLESCENT_RULE}"
    )
    assert refused.value.extra["rules"] == ["age_range"]
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.REQUESTED
    assert assessment.tool is None


def test_the_age_is_taken_on_the_assessments_start_date(tools):
    # Twelve on 10 March 2026: too young for ERASOR the day before, old enough that day.
    child = child_aged(0)
    child.date_of_birth = datetime.date(2014, 3, 10)

    day_before = _judge(tools["erasor"], child, on=datetime.date(2026, 3, 9))
    birthday = _judge(tools["erasor"], child, on=datetime.date(2026, 3, 10))

    assert day_before.verdict == Verdict.BLOCKED
    assert day_before.child_age == 11
    assert birthday.child_age == 12
    assert birthday.verdict != Verdict.BLOCKED


def test_age_on_counts_whole_years():
    born = datetime.date(2016, 2, 29)

    assert age_on(born, datetime.date(2025, 2, 28)) == 8
    assert age_on(born, datetime.date(2025, 3, 1)) == 9
    assert age_on(born, datetime.date(2015, 1, 1)) == -2


def test_a_tool_for_young_children_is_refused_for_an_older_child(tools):
    judged = _judge(tools["csbi"], child_aged(14))

    assert judged.verdict == Verdict.BLOCKED
    assert judged.messages == [
        "CSBI is for ages 2-12; this child is 14 at assessment. A tool suits only the ages it "
        "was designed and validated for (HSB framework audit statement 3.1)."
    ]


@pytest.mark.parametrize(
    ("gender", "said"),
    [("girl", "this child is a girl"), ("non_binary", "this child is non-binary")],
)
def test_a_tool_validated_on_boys_warns_for_a_girl_or_a_non_binary_child(tools, gender, said):
    judged = _judge(tools["j_soap_ii"], child_aged(14, gender=gender))

    assert judged.verdict == Verdict.WARNING
    assert [w.rule for w in judged.warnings] == ["gender_validation"]
    assert judged.warnings[0].message.startswith(f"J-SOAP-II was validated with boys; {said}.")


def test_a_boy_raises_no_population_warning_on_a_tool_validated_on_boys(tools):
    assert _judge(tools["j_soap_ii"], child_aged(14, gender="boy")).verdict == Verdict.ALLOWED


def test_a_learning_disability_warns_on_a_tool_not_validated_for_it(tools):
    child = child_aged(14, gender="boy", learning_disability=True)

    erasor = _judge(tools["erasor"], child)
    dh_framework = _judge(tools["dh_assessment_framework"], child)

    assert [w.rule for w in erasor.warnings] == ["learning_disability_validation"]
    assert "learning disability" in erasor.warnings[0].message
    assert dh_framework.verdict == Verdict.ALLOWED


def test_a_population_mismatch_is_accepted_only_with_a_justification(
    tools, default_version, front_door, lead_practitioner, manager
):
    case = panel_case(
        version=default_version,
        front_door=front_door,
        lead=lead_practitioner,
        manager=manager,
        child=child_aged(15, gender="girl"),
    )
    assessment = requested(
        case, lead_practitioner, "hsb_focused_risk_assessment", type_justification=""
    )

    with pytest.raises(JustificationRequired) as refused:
        start_assessment(assessment=assessment, tool=tools["j_soap_ii"], actor=lead_practitioner)
    started = start_assessment(
        assessment=assessment,
        tool=tools["j_soap_ii"],
        actor=lead_practitioner,
        justification="Specialist service advises J-SOAP-II alongside AIM3 formulation.",
    )

    assert refused.value.fields["justification"][0].startswith(
        "J-SOAP-II was validated with boys; this child is a girl."
    )
    assert started.status == AssessmentStatus.STARTED
    assert started.tool_justification.startswith("Specialist service advises")
    assert [w["rule"] for w in started.tool_warnings] == ["gender_validation"]
    assert started.child_age_at_start == 15


def test_a_suitable_tool_needs_no_justification(case, tools, lead_practitioner):
    assessment = requested(case, lead_practitioner)

    started = start_assessment(
        assessment=assessment, tool=tools["brook_traffic_light"], actor=lead_practitioner
    )

    assert started.tool_warnings == []
    assert started.tool_justification == ""


# --- certification ---------------------------------------------------------------------------


@pytest.fixture
def teenager(tools):
    return child_aged(14, gender="boy")


def test_a_certification_only_tool_is_blocked_without_a_current_certification(tools, teenager):
    judged = _judge(tools["aim3"], teenager)

    assert judged.verdict == Verdict.BLOCKED
    assert judged.messages == [
        "Only practitioners with a current AIM3 certification may record AIM3; you hold none."
    ]


def test_an_expired_certification_does_not_count(tools, teenager, lead_practitioner):
    expired = ToolCertification.objects.create(
        practitioner=lead_practitioner,
        tool=tools["aim3"],
        certified_on=datetime.date(2020, 1, 6),
        expires_on=datetime.date(2023, 1, 5),
    )

    judged = _judge(tools["aim3"], teenager, certifications=[expired])

    assert judged.blocks[0].rule == "certification"
    assert judged.blocks[0].message.endswith("; yours expired on 5 January 2023.")


def test_a_current_certification_allows_the_tool(tools, teenager, lead_practitioner):
    current = ToolCertification.objects.create(
        practitioner=lead_practitioner, tool=tools["aim3"], certified_on=datetime.date(2024, 1, 1)
    )

    judged = _judge(tools["aim3"], teenager, certifications=[current])

    assert judged.verdict == Verdict.ALLOWED
    assert judged.certified


def test_only_the_assessors_own_certification_counts_when_starting(
    tools, default_version, front_door, lead_practitioner, manager, coordinator
):
    ToolCertification.objects.create(
        practitioner=coordinator, tool=tools["aim3"], certified_on=datetime.date(2024, 1, 1)
    )
    case = panel_case(
        version=default_version,
        front_door=front_door,
        lead=lead_practitioner,
        manager=manager,
        child=child_aged(14, gender="boy"),
    )
    assessment = requested(case, lead_practitioner, "hsb_focused_risk_assessment")

    with pytest.raises(ToolNotSuitable) as refused:
        start_assessment(assessment=assessment, tool=tools["aim3"], actor=lead_practitioner)

    assert refused.value.extra["rules"] == ["certification"]
    assert refused.value.fields == {
        "tool": [
            "Only practitioners with a current AIM3 certification may record AIM3; you hold none."
        ]
    }


# --- the right level -------------------------------------------------------------------------


def test_a_type_that_does_not_suit_the_cases_level_is_a_warning(case):
    findings = type_findings(assessment_type="specialist_assessment", case=case)

    assert [f.rule for f in findings] == ["type_level"]
    assert findings[0].message.startswith(
        "A specialist assessment suits violent behaviour; this case's confirmed continuum level "
        "is problematic."
    )
    assert type_findings(assessment_type="nice_early_help_assessment", case=case) == []


def test_a_social_care_assessment_suits_any_level_when_significant_harm_is_suspected(case):
    assert type_findings(assessment_type="csc_assessment", case=case)
    case.significant_harm_suspected = True

    assert type_findings(assessment_type="csc_assessment", case=case) == []


def test_tools_for_a_case_lists_the_tools_that_suit_the_child_first_best_fit_first(
    case, tools, lead_practitioner
):
    judged = tools_for(
        case=case,
        practitioner=lead_practitioner,
        on=timezone.localdate(),
        assessment_type="nice_early_help_assessment",
    )
    suited = [item for item in judged if item.suits_child]
    order = [Verdict.ALLOWED, Verdict.WARNING, Verdict.BLOCKED]

    assert judged[: len(suited)] == suited
    assert [(-item.fit, order.index(item.verdict)) for item in suited] == sorted(
        (-item.fit, order.index(item.verdict)) for item in suited
    )
    assert judged[0].tool.key == "brook_traffic_light"  # its 13-17 band, level and type
    by_key = {item.tool.key: item for item in judged}
    assert by_key["brook_traffic_light"].verdict == Verdict.ALLOWED
    assert by_key["aim3"].verdict == Verdict.BLOCKED  # no certification
