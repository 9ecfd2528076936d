"""YAML import and export of pathway definitions. Export is canonical, so a round trip is exact."""

from typing import Any

import yaml

from core.limits import PATHWAY_YAML_MAX_CHARS, PATHWAY_YAML_MAX_DEPTH

from .definitions import (
    DefinitionShapeError,
    PathwayDefinition,
    definition_from_dict,
    definition_to_dict,
)


class _Dumper(yaml.SafeDumper):
    pass


class _Loader(yaml.SafeLoader):
    """SafeLoader that stops at PATHWAY_YAML_MAX_DEPTH levels: PyYAML composes recursively,
    and a deeply nested document costs seconds before it reaches the recursion limit."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > PATHWAY_YAML_MAX_DEPTH:
                raise _TooDeep()
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _TooDeep(Exception):
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
        data: Any = yaml.load(text, Loader=_Loader)  # noqa: S506  # a SafeLoader
    except (_TooDeep, RecursionError) as exc:
        message = f"YAML nested more than {PATHWAY_YAML_MAX_DEPTH} levels deep."
        raise DefinitionShapeError([{"path": "$", "message": message}]) from exc
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
