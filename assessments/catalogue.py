"""The tool catalogue as data: `data/tools.yaml` read, checked and written to `AssessmentTool`.

Used by the data migration that first loads the catalogue and by `load_assessment_tools`,
which refreshes it; both match tools by key, so loading twice changes nothing.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cases.codes import Gender
from core.yaml_schema import read_yaml_list, require_keys, require_true_or_false, require_unique
from pathways.continuum import ContinuumLevel

from .models import AssessmentType

TOOLS_YAML = Path(__file__).resolve().parent / "data" / "tools.yaml"

FIELDS = (
    "name",
    "description",
    "population_notes",
    "min_age",
    "max_age",
    "validated_on_genders",
    "validated_with_learning_disability",
    "adolescent_only",
    "certification_required",
    "suits_levels",
    "assessment_types",
)
_BOOLEANS = (
    "validated_with_learning_disability",
    "adolescent_only",
    "certification_required",
)
_LISTS = {
    "validated_on_genders": Gender.values,
    "suits_levels": ContinuumLevel.values,
    "assessment_types": AssessmentType.values,
}


class CatalogueError(ValueError):
    """The YAML file is not a valid tool catalogue; the message names the tool and field."""


@dataclass
class LoadResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)


def read_catalogue(path: Path = TOOLS_YAML) -> list[dict[str, Any]]:
    """The tools of the file, checked: every field present and every value known."""
    tools = read_yaml_list(path, "tools", CatalogueError)
    seen: set[str] = set()
    checked = []
    for position, raw in enumerate(tools):
        if not isinstance(raw, dict) or not raw.get("key"):
            raise CatalogueError(f"Tool {position + 1}: every tool needs a key.")
        key = str(raw["key"])
        require_unique(key, seen, "key", CatalogueError)
        require_keys(raw, FIELDS, key, CatalogueError)
        values = {name: raw[name] for name in FIELDS}
        for name in ("name", "description", "population_notes"):
            values[name] = str(values[name] or "").strip()
        for name in ("min_age", "max_age"):
            if not isinstance(values[name], int) or not 0 <= values[name] <= 25:
                raise CatalogueError(f"{key}: {name} must be a whole number of years, 0-25.")
        if values["min_age"] > values["max_age"]:
            raise CatalogueError(f"{key}: min_age is above max_age.")
        for name in _BOOLEANS:
            require_true_or_false(values[name], key, name, CatalogueError)
        for name, known in _LISTS.items():
            items = values[name] or []
            unknown = [item for item in items if item not in known]
            if not isinstance(items, list) or unknown:
                raise CatalogueError(
                    f"{key}: {name} has unknown values {unknown}; known: {', '.join(known)}."
                )
            values[name] = list(items)
        values["position"] = position
        checked.append({"key": key, **values})
    return checked


def load_tools(tool_model: Any, path: Path = TOOLS_YAML) -> LoadResult:
    """Create or update each tool of the file by key. Tools not in the file are kept (an
    assessment may name them, and an administrator may have added a local one)."""
    result = LoadResult()
    catalogue = read_catalogue(path)
    existing = {tool.key: tool for tool in tool_model.objects.all()}
    for values in catalogue:
        key = values["key"]
        tool = existing.get(key)
        if tool is None:
            tool_model.objects.create(active=True, **values)
            result.created.append(key)
            continue
        changed = [name for name in (*FIELDS, "position") if getattr(tool, name) != values[name]]
        if changed:
            for name in changed:
                setattr(tool, name, values[name])
            tool.save(update_fields=changed)
            result.updated.append(key)
        else:
            result.unchanged.append(key)
    in_file = {values["key"] for values in catalogue}
    result.not_in_file = sorted(set(existing) - in_file)
    return result
