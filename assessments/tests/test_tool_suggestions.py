"""Tool suggestions (issue 16, item 7): the catalogue's conditions (youth-justice involvement,
age bands) order the tools for the child, each with the reason shown, on the page and in the
API alike; a youth-justice tool is refused without youth-justice involvement."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.models import AgencyType
from agencies.tests.factories import AgencyFactory
from assessments.catalogue import CatalogueError, read_catalogue
from assessments.exceptions import ToolNotSuitable
from assessments.models import Assessment, AssessmentStatus, ToolCertification
from assessments.services import start_assessment
from assessments.suitability import Verdict, tools_for, youth_justice_involvement
from audit.models import AuditEvent
from cases.models import Case, Referral
from cases.services import add_team_member

from .factories import child_aged, early_help_case, panel_case, requested

pytestmark = pytest.mark.django_db

YOUTH_JUSTICE_ONLY = "AssetPlus: only where a youth justice service is involved — not here: "
AIM_UNDER_12S_REASON = (
    "AIM Under 12s assessment model: suited to age 11 — the AIM Under 12s model is for ages "
    "8-12; NICE NG55: for under-12s use the relevant aspects of the AIM framework with "
    "clinical judgement"
)


@pytest.fixture
def eleven_year_olds_case(default_version, front_door, lead_practitioner, manager):
    """An 11-year-old boy at the HSB panel (abusive behaviour); no police involvement, no
    youth justice service."""
    return panel_case(
        version=default_version,
        front_door=front_door,
        lead=lead_practitioner,
        manager=manager,
        child=child_aged(11, gender="boy"),
    )


@pytest.fixture
def fourteen_year_olds_case(default_version, front_door, lead_practitioner, manager):
    """A 14-year-old boy in early help (problematic)."""
    return early_help_case(
        version=default_version,
        front_door=front_door,
        lead=lead_practitioner,
        manager=manager,
        child=child_aged(14, gender="boy"),
    )


def _suggested(case, practitioner, assessment_type):
    return tools_for(
        case=case,
        practitioner=practitioner,
        on=timezone.localdate(),
        assessment_type=assessment_type,
    )


def _with_youth_justice_on_team(case, area, actor):
    service = AgencyFactory(
        area=area, name="Northwold Youth Justice Service", agency_type=AgencyType.YOUTH_JUSTICE
    )
    add_team_member(case=case, agency=service, role_on_case="Youth justice worker", actor=actor)
    return service


def _with_police_involved(case, area):
    referral = Referral.objects.create(
        received_at=timezone.now(),
        source="6",
        description="Invented referral from the police.",
        police_involved=True,
        area=area,
    )
    Case.objects.filter(pk=case.pk).update(referral=referral)
    case.referral = referral


# --- youth-justice involvement ------------------------------------------------------------------


def test_assetplus_not_suggested_without_youth_justice_involvement(
    tools, eleven_year_olds_case, lead_practitioner
):
    judged = _suggested(eleven_year_olds_case, lead_practitioner, "comprehensive_assessment")
    by_key = {item.tool.key: item for item in judged}
    assetplus = by_key["assetplus"]

    assert assetplus.verdict == Verdict.BLOCKED
    assert not assetplus.suits_child
    assert [f.rule for f in assetplus.blocks] == ["youth_justice"]
    assert assetplus.reason == (
        YOUTH_JUSTICE_ONLY + "no youth justice service is on the team around the child and the "
        "police are not involved (HSB framework: youth justice assessments such as AssetPlus "
        "are completed by youth justice practitioners)."
    )
    # Listed after every tool that suits the child, not first.
    suited = [item for item in judged if item.suits_child]
    assert judged[: len(suited)] == suited
    assert judged.index(assetplus) >= len(suited)


def test_assetplus_is_refused_at_the_start_without_youth_justice_involvement(
    tools, eleven_year_olds_case, lead_practitioner
):
    assessment = requested(eleven_year_olds_case, lead_practitioner, "comprehensive_assessment")

    with pytest.raises(ToolNotSuitable) as refused:
        start_assessment(
            assessment=assessment,
            tool=tools["assetplus"],
            actor=lead_practitioner,
            justification="x",
        )

    assert refused.value.fields["tool"][0].startswith(YOUTH_JUSTICE_ONLY)
    assert refused.value.extra["rules"] == ["youth_justice"]
    assert Assessment.objects.get(pk=assessment.pk).status == AssessmentStatus.REQUESTED
    assert not AuditEvent.objects.filter(action="assessment.started").exists()


def test_police_involvement_alone_is_not_youth_justice_involvement(
    tools, area, eleven_year_olds_case, lead_practitioner
):
    _with_police_involved(eleven_year_olds_case, area)

    involvement = youth_justice_involvement(eleven_year_olds_case)
    judged = _suggested(eleven_year_olds_case, lead_practitioner, "comprehensive_assessment")
    assetplus = next(item for item in judged if item.tool.key == "assetplus")

    assert involvement.police_involved and not involvement.involved
    assert assetplus.verdict == Verdict.BLOCKED
    assert assetplus.reason.startswith(
        YOUTH_JUSTICE_ONLY + "the police are involved, but no youth justice service is on the "
        "team around the child; add the service to the team if it is working with the child"
    )


def test_assetplus_leads_when_the_youth_justice_service_is_on_the_team(
    tools, area, fourteen_year_olds_case, lead_practitioner
):
    _with_youth_justice_on_team(fourteen_year_olds_case, area, lead_practitioner)
    assessment = requested(fourteen_year_olds_case, lead_practitioner, "comprehensive_assessment")

    judged = _suggested(fourteen_year_olds_case, lead_practitioner, "comprehensive_assessment")
    started = start_assessment(
        assessment=assessment, tool=tools["assetplus"], actor=lead_practitioner
    )

    first = judged[0]
    assert first.tool.key == "assetplus"
    assert first.verdict == Verdict.ALLOWED
    assert first.reason.startswith("AssetPlus: suited to age 14 — every child entering the youth")
    assert (
        "youth_justice",
        "A youth justice service is involved: Northwold Youth Justice Service is on the team "
        "around the child.",
    ) in [(f.rule, f.message) for f in first.reasons]
    assert started.status == AssessmentStatus.STARTED


def test_a_youth_justice_service_that_made_the_referral_counts(
    tools, area, fourteen_year_olds_case
):
    service = AgencyFactory(area=area, agency_type=AgencyType.YOUTH_JUSTICE, name="YJS North")
    referral = Referral.objects.create(
        received_at=timezone.now(),
        source="5B",
        description="Invented referral from the youth justice service.",
        referring_agency=service,
        area=area,
    )
    Case.objects.filter(pk=fourteen_year_olds_case.pk).update(referral=referral)

    involvement = youth_justice_involvement(fourteen_year_olds_case)

    assert involvement.involved
    assert involvement.referred_by == "YJS North"


# --- age bands ----------------------------------------------------------------------------------


def test_aim_under_12s_leads_for_an_eleven_year_old(
    tools, eleven_year_olds_case, lead_practitioner
):
    judged = _suggested(eleven_year_olds_case, lead_practitioner, "comprehensive_assessment")

    first = judged[0]
    assert first.tool.key == "aim_under_12s"
    assert first.reason == AIM_UNDER_12S_REASON
    # Led by the guidance even though this practitioner holds no AIM certification: a
    # certified colleague may complete it; the block says so.
    assert [f.rule for f in first.blocks] == ["certification"]
    assert first.suits_child
    keys = [item.tool.key for item in judged]
    assert keys.index("aim_under_12s") < keys.index("cbcl") < keys.index("brook_traffic_light")
    # Adolescent tools and the under-7s pattern mapping do not suit an 11-year-old.
    unsuited = {item.tool.key for item in judged if not item.suits_child}
    assert unsuited == {
        "aim_under_12s_pattern_mapping",
        "aim3",
        "j_soap_ii",
        "erasor",
        "profesor",
        "savry",
        "assetplus",
    }


def test_a_certified_practitioner_may_use_the_tool_that_leads(
    tools, eleven_year_olds_case, lead_practitioner
):
    ToolCertification.objects.create(
        practitioner=lead_practitioner,
        tool=tools["aim_under_12s"],
        certified_on=datetime.date(2024, 1, 1),
    )

    first = _suggested(eleven_year_olds_case, lead_practitioner, "comprehensive_assessment")[0]

    assert (first.tool.key, first.verdict) == ("aim_under_12s", Verdict.ALLOWED)


def test_a_tool_the_guidance_suggests_among_others_may_be_considered(
    tools, eleven_year_olds_case, lead_practitioner
):
    judged = _suggested(eleven_year_olds_case, lead_practitioner, "comprehensive_assessment")
    by_key = {item.tool.key: item for item in judged}

    assert by_key["cbcl"].reason == (
        "CBCL: may be considered at age 11 — NICE NG55 suggests it for pre-adolescent children "
        "or those under 12"
    )
    assert by_key["dh_assessment_framework"].reason == (
        "DH Assessment Framework: usable at age 11 (ages 0-18)"
    )
    assert by_key["aim3"].reason == "AIM3: for ages 12-18, not age 11"


def test_an_age_band_outside_the_tools_ages_is_refused_by_name(tmp_path):
    bad = tmp_path / "tools.yaml"
    bad.write_text(
        "tools:\n  - {key: x, name: X, description: '', population_notes: '', min_age: 12,"
        " max_age: 18, validated_on_genders: [], validated_with_learning_disability: false,"
        " adolescent_only: false, certification_required: false, suits_levels: [],"
        " assessment_types: [], requires_youth_justice: false,"
        " age_bands: [{min_age: 8, max_age: 11, fit: lead, guidance: g}]}\n"
    )

    with pytest.raises(
        CatalogueError, match="x: age band 1: 8-11 lies outside the tool's ages 12-18"
    ):
        read_catalogue(bad)


def test_the_shipped_catalogue_holds_the_conditions():
    tools = {tool["key"]: tool for tool in read_catalogue()}

    assert [key for key, tool in tools.items() if tool["requires_youth_justice"]] == ["assetplus"]
    assert tools["aim_under_12s"]["age_bands"][0]["fit"] == "lead"
    assert (tools["csbi"]["age_bands"][0]["min_age"], tools["csbi"]["age_bands"][0]["max_age"]) == (
        2,
        11,
    )


# --- the API and the page show the same order and reasons ---------------------------------------


def test_the_api_lists_the_suggestions_in_order_with_the_reason(
    tools, eleven_year_olds_case, lead_practitioner
):
    api = APIClient()
    api.force_authenticate(lead_practitioner)

    response = api.get(
        reverse("api:assessments:tool-list"),
        {"case": eleven_year_olds_case.pk, "assessment_type": "comprehensive_assessment"},
    )

    assert response.status_code == 200
    body = response.json()
    expected = _suggested(eleven_year_olds_case, lead_practitioner, "comprehensive_assessment")
    assert [tool["key"] for tool in body] == [item.tool.key for item in expected]
    assert body[0]["suitability"]["reason"] == AIM_UNDER_12S_REASON
    assert body[0]["suitability"]["suits_child"] is True
    assetplus = next(tool for tool in body if tool["key"] == "assetplus")
    assert assetplus["requires_youth_justice"] is True
    assert assetplus["suitability"]["reason"].startswith(YOUTH_JUSTICE_ONLY)
    assert assetplus["suitability"]["fit"] == 0


def test_the_api_refuses_assetplus_without_youth_justice_involvement(
    tools, eleven_year_olds_case, lead_practitioner
):
    assessment = requested(eleven_year_olds_case, lead_practitioner, "comprehensive_assessment")
    api = APIClient()
    api.force_authenticate(lead_practitioner)

    response = api.post(
        reverse("api:assessments:assessment-start", args=[assessment.pk]),
        {"tool": "assetplus", "justification": "x"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "tool_not_suitable"
    assert response.json()["fields"]["tool"][0].startswith(YOUTH_JUSTICE_ONLY)
    assert Assessment.objects.get(pk=assessment.pk).status == AssessmentStatus.REQUESTED


def test_the_page_shows_the_suggestions_in_the_same_order_with_the_reason(
    client, tools, eleven_year_olds_case, lead_practitioner
):
    assessment = requested(eleven_year_olds_case, lead_practitioner, "comprehensive_assessment")
    client.force_login(lead_practitioner)

    content = client.get(
        reverse("assessments:assessment_detail", args=[assessment.pk])
    ).content.decode()

    expected = _suggested(eleven_year_olds_case, lead_practitioner, "comprehensive_assessment")
    shown = [key for key in (item.tool.key for item in expected) if f'data-tool="{key}"' in content]
    assert shown == [item.tool.key for item in expected]
    assert sorted(shown, key=lambda key: content.index(f'data-tool="{key}"')) == shown
    assert AIM_UNDER_12S_REASON in content
    assert "AssetPlus: only where a youth justice service is involved — not here" in content
    assert '<input type="radio" name="start-tool" value="assetplus" disabled>' in content


def test_the_admin_refuses_an_age_band_outside_the_tools_ages(admin_client, tools):
    url = f"/admin/assessments/assessmenttool/{tools['aim3'].pk}/change/"

    response = admin_client.post(
        url,
        {
            "key": "aim3",
            "name": "AIM3",
            "min_age": 12,
            "max_age": 18,
            "age_bands": '[{"min_age": 8, "max_age": 11, "fit": "lead", "guidance": "g"}]',
            "requires_youth_justice": "",
            "active": "on",
            "position": 5,
            "certifications-TOTAL_FORMS": 0,
            "certifications-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 200
    assert "age band 1: 8-11 lies outside the tool&#x27;s ages 12-18." in response.content.decode()
    assert tools["aim3"].age_bands == type(tools["aim3"]).objects.get(key="aim3").age_bands
