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

from .models import AgeFit, AssessmentType

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
# Catalogue conditions (issue 16), optional in the file: a tool without them has none.
OPTIONAL_FIELDS: dict[str, Any] = {"requires_youth_justice": False, "age_bands": []}
_BOOLEANS = (
    "validated_with_learning_disability",
    "adolescent_only",
    "certification_required",
    "requires_youth_justice",
)
_BAND_KEYS = ("min_age", "max_age", "fit", "guidance")
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


def age_band_problem(bands: Any, *, min_age: int, max_age: int) -> str:
    """What is wrong with a tool's age bands, or "": each a mapping of whole years meeting
    the tool's own range (ages outside it are blocked anyway), a known fit, and the guidance
    that names the tool for those ages (the reason shown with each suggestion). Shared by the
    file's reader and the admin."""
    if not isinstance(bands, list):
        return "age_bands must be a list."
    for number, band in enumerate(bands, start=1):
        where = f"age band {number}"
        if not isinstance(band, dict) or sorted(band) != sorted(_BAND_KEYS):
            return f"{where} needs exactly {', '.join(_BAND_KEYS)}."
        low, high = band["min_age"], band["max_age"]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)):
            return f"{where}: min_age and max_age must be whole numbers of years."
        if low > high:
            return f"{where}: min_age is above max_age."
        if high < min_age or low > max_age:
            return f"{where}: {low}-{high} lies outside the tool's ages {min_age}-{max_age}."
        if band["fit"] not in AgeFit.values:
            return f"{where}: fit must be one of {', '.join(AgeFit.values)}."
        if not isinstance(band["guidance"], str) or not band["guidance"].strip():
            return f"{where}: say which guidance names the tool for these ages."
    return ""


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
        values.update({name: raw.get(name, default) for name, default in OPTIONAL_FIELDS.items()})
        if values["age_bands"] is None:
            values["age_bands"] = []
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
        problem = age_band_problem(
            values["age_bands"], min_age=values["min_age"], max_age=values["max_age"]
        )
        if problem:
            raise CatalogueError(f"{key}: {problem}")
        values["age_bands"] = [
            {**band, "guidance": " ".join(band["guidance"].split())} for band in values["age_bands"]
        ]
        values["position"] = position
        checked.append({"key": key, **values})
    return checked


def load_tools(tool_model: Any, path: Path = TOOLS_YAML) -> LoadResult:
    """Create or update each tool of the file by key. Tools not in the file are kept (an
    assessment may name them, and an administrator may have added a local one)."""
    result = LoadResult()
    # A data migration passes the model as it was then: fields added later are left out.
    known = {f.name for f in tool_model._meta.get_fields()}
    names = [name for name in (*FIELDS, *OPTIONAL_FIELDS, "position") if name in known]
    catalogue = [
        {"key": values["key"], **{name: values[name] for name in names}}
        for values in read_catalogue(path)
    ]
    existing = {tool.key: tool for tool in tool_model.objects.all()}
    for values in catalogue:
        key = values["key"]
        tool = existing.get(key)
        if tool is None:
            tool_model.objects.create(active=True, **values)
            result.created.append(key)
            continue
        changed = [name for name in names if getattr(tool, name) != values[name]]
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
