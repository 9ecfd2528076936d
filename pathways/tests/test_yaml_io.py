"""YAML in and out: the canonical dump reproduces the file exactly; bad input names its place."""

import pytest
import yaml

from pathways.definitions import DefinitionShapeError, definition_from_version, definition_to_dict
from pathways.services import create_draft_version
from pathways.tests.factories import DEFAULT_PATHWAY_YAML, default_definition
from pathways.yaml_io import dump_yaml, parse_yaml

DEFAULT_TEXT = DEFAULT_PATHWAY_YAML.read_text(encoding="utf-8")


def _shape_errors(text):
    with pytest.raises(DefinitionShapeError) as raised:
        parse_yaml(text)
    return raised.value.errors


def _broken(change):
    data = definition_to_dict(default_definition())
    change(data)
    return yaml.safe_dump(data, sort_keys=False)


def test_dumping_the_parsed_default_pathway_gives_back_the_file_byte_for_byte():
    assert dump_yaml(parse_yaml(DEFAULT_TEXT)) == DEFAULT_TEXT


def test_a_multi_line_description_survives_a_round_trip():
    definition = parse_yaml(DEFAULT_TEXT)
    definition.stages[0].description = "First line.\nSecond line: with a colon."

    assert parse_yaml(dump_yaml(definition)) == definition


@pytest.mark.django_db
def test_a_definition_imported_into_the_database_exports_as_the_original_text(area, coordinator):
    version = create_draft_version(
        area=area, definition=parse_yaml(DEFAULT_TEXT), actor=coordinator
    )

    assert dump_yaml(definition_from_version(version)) == DEFAULT_TEXT


@pytest.mark.django_db
def test_the_published_default_version_exports_as_the_original_text(default_version):
    assert dump_yaml(definition_from_version(default_version)) == DEFAULT_TEXT


def test_malformed_yaml_is_a_shape_error_naming_line_and_column():
    errors = _shape_errors("key: default\nstages: [unclosed\n")

    assert len(errors) == 1
    assert errors[0]["path"].startswith("line 3, column ")
    assert errors[0]["message"].startswith("Not valid YAML:")


def test_a_document_that_is_not_a_mapping_is_a_shape_error_at_the_root():
    assert _shape_errors("- initial_decision\n- closed\n") == [
        {"path": "$", "message": "Expected a mapping."}
    ]


def test_an_empty_document_is_a_shape_error_at_the_root():
    assert _shape_errors("") == [{"path": "$", "message": "Expected a mapping."}]


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (lambda d: d.pop("key"), "$.key", "This field is required."),
        (lambda d: d.update(name=["Pathway"]), "$.name", "Expected text."),
        (lambda d: d.update(transitions={"reopen": {}}), "$.transitions", "Expected a list."),
        (lambda d: d["stages"].__setitem__(1, "universal_support"), "stages[1]",
         "Expected a mapping."),
        (lambda d: d["stages"][0].update(tier=3), "stages[0].tier", "Expected text."),
        (lambda d: d["stages"][2]["timescale"].update(working_days="thirty"),
         "stages[2].timescale.working_days", "Expected a whole number."),
        (lambda d: d["stages"][2]["timescale"].update(working_days=True),
         "stages[2].timescale.working_days", "Expected a whole number."),
        (lambda d: d["stages"][8].update(terminal="yes please"), "stages[8].terminal",
         "Expected true or false."),
        (lambda d: d["stages"][2].update(requires=[{"lead_practitioner": True}]),
         "stages[2].requires[0]", "Expected text."),
        (lambda d: d["transitions"][0].pop("from"), "transitions[0].from",
         "This field is required."),
        (lambda d: d["transitions"][0].update(roles="front_door"), "transitions[0].roles",
         "Expected a list."),
        (lambda d: d["transitions"][0].update(roles=[["front_door"]]), "transitions[0].roles[0]",
         "Expected text."),
        (lambda d: d["transitions"][0].update(guards=["continuum_level_in"]),
         "transitions[0].guards", "Expected a mapping."),
    ],
)  # fmt: skip
def test_a_wrong_type_is_a_shape_error_naming_its_path(change, path, message):
    assert _shape_errors(_broken(change)) == [{"path": path, "message": message}]


def test_every_shape_error_is_reported_at_once():
    def change(data):
        data["stages"][0].pop("name")
        data["transitions"][3]["reason_required"] = "sometimes"

    assert _shape_errors(_broken(change)) == [
        {"path": "stages[0].name", "message": "This field is required."},
        {"path": "transitions[3].reason_required", "message": "Expected true or false."},
    ]


def test_the_shape_error_message_lists_each_path():
    error = DefinitionShapeError([{"path": "stages[0].name", "message": "This field is required."}])

    assert str(error) == "stages[0].name: This field is required."
