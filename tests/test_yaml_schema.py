"""The three YAML documents read as data share their shape checks (core/yaml_schema.py); each
reader keeps its own messages, pinned here for the faults the shared checks catch."""

import pytest

from assessments.catalogue import CatalogueError, read_catalogue
from core.yaml_schema import ShapeErrors, is_kind, kind_name
from partnership.statements import StatementsError, read_statements
from pathways.definitions import DefinitionShapeError, definition_from_dict

_TOOL = (
    "  - {{key: {key}, name: X, description: '', population_notes: '', min_age: 12,"
    " max_age: 17, validated_on_genders: [], validated_with_learning_disability: {ld},"
    " adolescent_only: false, certification_required: false, suits_levels: [],"
    " assessment_types: []}}\n"
)


def _file(tmp_path, text):
    path = tmp_path / "data.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("read", "error", "key"),
    [(read_catalogue, CatalogueError, "tools"), (read_statements, StatementsError, "domains")],
)
def test_a_file_that_is_not_yaml_or_has_no_list_is_refused_by_name(tmp_path, read, error, key):
    not_yaml = _file(tmp_path, "tools: [unclosed\n")
    with pytest.raises(error, match=rf"^{not_yaml}: not valid YAML \("):
        read(not_yaml)
    for text in ("", "other: 1\n", f"{key}: []\n", f"{key}: text\n", "- a list\n"):
        path = _file(tmp_path, text)
        with pytest.raises(error) as raised:
            read(path)
        assert str(raised.value) == f"{path}: expected a non-empty '{key}' list."


def test_a_tool_key_used_twice_a_missing_field_and_a_non_boolean_are_named(tmp_path):
    twice = _file(tmp_path, "tools:\n" + _TOOL.format(key="x", ld="false") * 2)
    with pytest.raises(CatalogueError, match=r"^x: the key is used twice\.$"):
        read_catalogue(twice)
    missing = _file(tmp_path, "tools:\n  - {key: y, name: Y, min_age: 1}\n")
    with pytest.raises(CatalogueError) as raised:
        read_catalogue(missing)
    assert str(raised.value) == (
        "y: missing description, population_notes, max_age, validated_on_genders, "
        "validated_with_learning_disability, adolescent_only, certification_required, "
        "suits_levels, assessment_types."
    )
    not_boolean = _file(tmp_path, "tools:\n" + _TOOL.format(key="z", ld="'yes'"))
    with pytest.raises(CatalogueError) as raised:
        read_catalogue(not_boolean)
    assert str(raised.value) == "z: validated_with_learning_disability must be true or false."


def test_a_statement_ref_used_twice_and_a_non_boolean_scored_are_named(tmp_path):
    twice = _file(
        tmp_path,
        "domains:\n  - {number: 1, short: S, title: T, statements: "
        "[{ref: '1.1', text: A}, {ref: '1.1', text: B}]}\n",
    )
    with pytest.raises(StatementsError) as raised:
        read_statements(twice)
    assert str(raised.value) == "1.1: the ref is used twice."
    not_boolean = _file(
        tmp_path,
        "domains:\n  - {number: 1, short: S, title: T, statements: "
        "[{ref: '1.1', text: A, scored: 'no'}]}\n",
    )
    with pytest.raises(StatementsError) as raised:
        read_statements(not_boolean)
    assert str(raised.value) == "1.1: scored must be true or false."


def test_a_pathway_definition_reports_every_malformed_field_at_once():
    with pytest.raises(DefinitionShapeError) as raised:
        definition_from_dict(
            {
                "name": 5,
                "stages": [
                    "stage",
                    {"key": "a", "name": "A", "tier": "universal", "responsible_role": "dsl",
                     "timescale": {"working_days": True}, "requires": [["x"]]},
                ],
                "transitions": [{"key": "t"}] * 201,
            }
        )  # fmt: skip

    assert raised.value.errors == [
        {"path": "$.key", "message": "This field is required."},
        {"path": "$.name", "message": "Expected text."},
        {"path": "stages[0]", "message": "Expected a mapping."},
        {"path": "stages[1].timescale.working_days", "message": "Expected a whole number."},
        {"path": "stages[1].requires[0]", "message": "Expected text."},
        {"path": "$.transitions", "message": "At most 200 items."},
    ]


def test_true_or_false_is_not_a_whole_number():
    assert is_kind(3, int) and not is_kind(True, int) and is_kind(True, bool)
    assert kind_name((str, int)) == "text or a whole number"
    errors = ShapeErrors()
    assert errors.optional({"n": False}, "n", int, 7, "$") == 7
    assert errors.errors == [{"path": "$.n", "message": "Expected a whole number."}]
