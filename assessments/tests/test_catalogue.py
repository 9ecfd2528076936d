"""The tool catalogue as data: the YAML file, the data migration and the refresh command."""

import importlib
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from assessments.catalogue import CatalogueError, load_tools, read_catalogue
from assessments.models import AssessmentTool

pytestmark = pytest.mark.django_db

EXPECTED_KEYS = {
    "brook_traffic_light",
    "csbi",
    "cbcl",
    "aim_under_12s_pattern_mapping",
    "aim_under_12s",
    "aim3",
    "j_soap_ii",
    "erasor",
    "profesor",
    "savry",
    "assetplus",
    "dh_assessment_framework",
}


def test_the_shipped_catalogue_holds_the_framework_tools():
    tools = {tool["key"]: tool for tool in read_catalogue()}

    assert set(tools) == EXPECTED_KEYS
    assert (tools["aim3"]["min_age"], tools["aim3"]["max_age"]) == (12, 18)
    assert tools["aim3"]["certification_required"] and tools["aim3"]["adolescent_only"]
    assert tools["j_soap_ii"]["validated_on_genders"] == ["boy"]
    assert (tools["csbi"]["min_age"], tools["csbi"]["max_age"]) == (2, 12)
    assert (
        tools["aim_under_12s_pattern_mapping"]["max_age"],
        tools["aim_under_12s"]["min_age"],
    ) == (7, 8)
    assert (tools["assetplus"]["min_age"], tools["assetplus"]["max_age"]) == (10, 17)


def test_the_data_migration_loads_the_catalogue():
    AssessmentTool.objects.all().delete()
    migration = importlib.import_module("assessments.migrations.0004_load_assessment_tools")

    migration.load(apps, None)

    assert set(AssessmentTool.objects.values_list("key", flat=True)) == EXPECTED_KEYS


def test_the_command_is_idempotent_and_restores_edited_fields():
    load_tools(AssessmentTool)
    AssessmentTool.objects.filter(key="aim3").update(min_age=9)
    out = StringIO()

    call_command("load_assessment_tools", stdout=out)
    call_command("load_assessment_tools", stdout=(second := StringIO()))

    assert "Updated: aim3" in out.getvalue()
    assert AssessmentTool.objects.get(key="aim3").min_age == 12
    assert "0 created, 0 updated, 12 unchanged." in second.getvalue()
    assert AssessmentTool.objects.count() == 12


def test_a_local_tool_not_in_the_file_is_kept():
    load_tools(AssessmentTool)
    AssessmentTool.objects.create(
        key="local_checklist", name="Local checklist", min_age=5, max_age=17
    )

    result = load_tools(AssessmentTool)

    assert result.not_in_file == ["local_checklist"]
    assert AssessmentTool.objects.filter(key="local_checklist").exists()


def test_a_bad_file_is_refused_by_name(tmp_path):
    bad = tmp_path / "tools.yaml"
    bad.write_text(
        "tools:\n  - {key: x, name: X, description: '', population_notes: '', min_age: 14,"
        " max_age: 12, validated_on_genders: [], validated_with_learning_disability: false,"
        " adolescent_only: false, certification_required: false, suits_levels: [],"
        " assessment_types: []}\n"
    )

    with pytest.raises(CatalogueError, match="x: min_age is above max_age"):
        read_catalogue(bad)
    with pytest.raises(CommandError):
        call_command("load_assessment_tools", str(bad))


def test_the_admin_edits_a_tool_with_known_values_only(admin_client, tools):
    url = f"/admin/assessments/assessmenttool/{tools['erasor'].pk}/change/"

    page = admin_client.get(url)
    response = admin_client.post(
        url,
        {
            "key": "erasor",
            "name": "ERASOR",
            "description": "d",
            "population_notes": "p",
            "min_age": 12,
            "max_age": 18,
            "validated_on_genders": ["boy", "girl"],
            "suits_levels": ["abusive"],
            "assessment_types": ["hsb_focused_risk_assessment"],
            "adolescent_only": "on",
            "active": "on",
            "position": 7,
            "certifications-TOTAL_FORMS": 0,
            "certifications-INITIAL_FORMS": 0,
        },
    )

    assert page.status_code == 200
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AssessmentTool.objects.get(key="erasor").validated_on_genders == ["boy", "girl"]
    # Assessments are case content: the admin does not show them to administrators.
    assert admin_client.get("/admin/assessments/assessment/").status_code == 404
