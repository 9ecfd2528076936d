"""Shape checks for data read from YAML: one home for the three documents the project reads
as data, a pathway definition (`pathways/definitions.py`), the tool catalogue
(`assessments/catalogue.py`) and the framework's audit statements (`partnership/statements.py`).

Two styles, because the readers answer different people:

- A pathway definition comes from a user (the editor, the API, an import): every malformed
  field is reported at once, each as `{"path", "message"}`, so `ShapeErrors` collects them
  while the reader goes on.
- The catalogue and the statements ship with the code and are loaded by a migration or a
  management command: the first fault stops the load, with a message naming the tool or ref,
  raised as the caller's own error class (`read_yaml_list`, `require_keys`, `require_unique`,
  `require_true_or_false`).

Both share what a type means: `is_kind` (true/false is not a whole number, though Python's
`bool` is an `int`) and the words for it (`kind_name`).
"""

from pathlib import Path
from typing import Any

import yaml

Kind = type | tuple[type, ...]

_KIND_NAMES: dict[type, str] = {
    str: "text",
    int: "a whole number",
    bool: "true or false",
    list: "a list",
    dict: "a mapping",
}


def kind_name(kind: Kind) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds)


def is_kind(value: Any, kind: Kind) -> bool:
    """`isinstance`, except that true or false is not accepted as a whole number."""
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


class ShapeErrors:
    """Reads fields out of loaded YAML, collecting an error for each one of the wrong shape
    (a default stands in for it, so reading goes on and every fault is reported)."""

    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []

    def __bool__(self) -> bool:
        return bool(self.errors)

    def add(self, path: str, message: str) -> None:
        self.errors.append({"path": path, "message": message})

    def require(self, mapping: Any, key: str, kind: Kind, path: str) -> Any:
        value = mapping.get(key) if isinstance(mapping, dict) else None
        if value is None:
            self.add(f"{path}.{key}", "This field is required.")
            return None
        if not is_kind(value, kind):
            self.add(f"{path}.{key}", f"Expected {kind_name(kind)}.")
            return None
        return value

    def optional(self, mapping: dict, key: str, kind: Kind, default: Any, path: str) -> Any:
        value = mapping.get(key, default)
        if value is None:
            return default
        if not is_kind(value, kind):
            self.add(f"{path}.{key}", f"Expected {kind_name(kind)}.")
            return default
        return value

    def at_most(self, values: Any, maximum: int, path: str) -> Any:
        # Every list (and mapping) has a documented maximum (core.limits): a huge document
        # is refused before anything else is checked.
        if isinstance(values, (list, dict)) and len(values) > maximum:
            self.add(path, f"At most {maximum} items.")
            return type(values)()
        return values

    def optional_texts(
        self, mapping: dict, key: str, path: str, maximum: int | None = None
    ) -> list:
        # Items are used as set and dict keys later: a nested list or mapping would crash
        # whatever reads them next.
        values = self.optional(mapping, key, list, [], path)
        if maximum is not None:
            values = self.at_most(values, maximum, f"{path}.{key}")
        for index, item in enumerate(values):
            if not isinstance(item, str):
                self.add(f"{path}.{key}[{index}]", "Expected text.")
        return values


def read_yaml_list(path: Path, key: str, error: type[Exception]) -> list[Any]:
    """The non-empty list under `key` in the YAML file at `path`; else `error` naming the file."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML ({exc}).") from exc
    items = document.get(key) if isinstance(document, dict) else None
    if not isinstance(items, list) or not items:
        raise error(f"{path}: expected a non-empty '{key}' list.")
    return items


def require_keys(mapping: dict, keys: tuple[str, ...], where: str, error: type[Exception]) -> None:
    missing = [key for key in keys if key not in mapping]
    if missing:
        raise error(f"{where}: missing {', '.join(missing)}.")


def require_unique(value: Any, seen: set, what: str, error: type[Exception]) -> None:
    """`value` not met before (then remembered); else `error`: "<value>: the <what> is used
    twice."."""
    if value in seen:
        raise error(f"{value}: the {what} is used twice.")
    seen.add(value)


def require_true_or_false(value: Any, where: str, name: str, error: type[Exception]) -> bool:
    if not isinstance(value, bool):
        raise error(f"{where}: {name} must be true or false.")
    return value
