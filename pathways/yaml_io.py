"""YAML import and export of pathway definitions. Export is canonical, so a round trip is exact."""

from typing import Any

import yaml

from config.limits import PATHWAY_YAML_MAX_CHARS

from .definitions import (
    DefinitionShapeError,
    PathwayDefinition,
    definition_from_dict,
    definition_to_dict,
)


class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def parse_yaml(text: str) -> PathwayDefinition:
    if len(text) > PATHWAY_YAML_MAX_CHARS:
        raise DefinitionShapeError(
            [{"path": "$", "message": f"At most {PATHWAY_YAML_MAX_CHARS} characters of YAML."}]
        )
    try:
        data: Any = yaml.safe_load(text)
    except RecursionError as exc:  # PyYAML composes nested collections recursively
        raise DefinitionShapeError([{"path": "$", "message": "YAML nested too deeply."}]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "$"
        raise DefinitionShapeError(
            [{"path": where, "message": f"Not valid YAML: {getattr(exc, 'problem', exc)}"}]
        ) from exc
    return definition_from_dict(data)


def dump_yaml(definition: PathwayDefinition) -> str:
    return yaml.dump(
        definition_to_dict(definition),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
