"""What changed between two pathway definitions, field by field, in words a partnership can read.

The diff is semantic: it compares stages and transitions by key, so reordering the YAML
is not a change, but moving the first stage is (new cases start there). Role and artefact
lists are compared as sets: their order means nothing to the engine.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from .definitions import PathwayDefinition, StageDefinition, TransitionDefinition

ChangeKind = Literal["added", "removed", "changed"]
Subject = Literal["pathway", "stage", "transition"]


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    subject: Subject
    key: str
    field: str = ""
    old: Any = None
    new: Any = None
    text: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "key": self.key,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "text": self.text,
        }


@dataclass(frozen=True)
class _Field:
    """One compared field: its name in the YAML, how to read it, and how to say a value."""

    name: str
    label: str
    read: Callable[[Any], Any]
    say: Callable[[Any], str]
    same: Callable[[Any, Any], bool] = lambda old, new: old == new


def _quoted(value: Any) -> str:
    return f"'{value}'"


def _plain(value: Any) -> str:
    return "none" if value in (None, "") else str(value)


def _yes_no(value: Any) -> str:
    return "yes" if value else "no"


def _listed(values: Any) -> str:
    return ", ".join(map(str, values)) if values else "none"


def _guards(guards: Any) -> str:
    if not guards:
        return "none"
    return ", ".join(f"{key}={json.dumps(argument)}" for key, argument in guards.items())


def _same_members(old: Any, new: Any) -> bool:
    return sorted(map(str, old)) == sorted(map(str, new))


def _changed_text(label: str, old: str, new: str) -> str:
    return f"{label} {old} → {new}"


def _timescale_text(label: str, old: Any, new: Any) -> str:
    # "timescale 30 → 20 working days" reads better than repeating the unit on both sides.
    if old is not None and new is not None:
        return f"{label} {old} → {new} working days"
    return f"{label} {_days(old)} → {_days(new)}"


def _days(value: Any) -> str:
    return "none" if value is None else f"{value} working days"


_LONG_TEXT = "description"

STAGE_FIELDS = [
    _Field("name", "name", lambda s: s.name, _quoted),
    _Field("description", "description", lambda s: s.description, _quoted),
    _Field("tier", "tier", lambda s: s.tier, _plain),
    _Field("responsible_role", "responsible role", lambda s: s.responsible_role, _plain),
    _Field("timescale.working_days", "timescale", lambda s: s.timescale_working_days, _plain),
    _Field("timescale.from", "timescale counted from", lambda s: s.timescale_from, _plain),
    _Field("terminal", "terminal", lambda s: s.terminal, _yes_no),
    _Field("requires", "requires", lambda s: list(s.requires), _listed, _same_members),
    _Field("involvements", "for", lambda s: list(s.involvements), _listed, _same_members),
    _Field(
        "needs_lead_practitioner",
        "needs a lead practitioner",
        lambda s: s.needs_lead_practitioner,
        _yes_no,
    ),
]

TRANSITION_FIELDS = [
    _Field("name", "name", lambda t: t.name, _quoted),
    _Field("from", "from", lambda t: t.from_stage, _quoted),
    _Field("to", "to", lambda t: t.to_stage, _quoted),
    _Field("kind", "kind", lambda t: t.kind, _plain),
    _Field("roles", "roles", lambda t: list(t.roles), _listed, _same_members),
    _Field("guards", "guards", lambda t: dict(t.guards), _guards),
    _Field("reason_required", "reason required", lambda t: t.reason_required, _yes_no),
    _Field(
        "closure_reasons",
        "closure reasons",
        lambda t: list(t.closure_reasons),
        _listed,
        _same_members,
    ),
    _Field("involvements", "for", lambda t: list(t.involvements), _listed, _same_members),
]

_Part = TypeVar("_Part", StageDefinition, TransitionDefinition)


def diff_versions(old: PathwayDefinition, new: PathwayDefinition) -> list[Change]:
    """Every difference from `old` to `new`: the pathway first, then stages, then transitions."""
    changes = _pathway_changes(old, new)
    changes += _part_changes("stage", "Stage", old.stages, new.stages, STAGE_FIELDS, _stage_summary)
    changes += _part_changes(
        "transition",
        "Transition",
        old.transitions,
        new.transitions,
        TRANSITION_FIELDS,
        _transition_summary,
    )
    return changes


def changes_as_text(changes: Iterable[Change]) -> str:
    lines = [change.text for change in changes]
    return "\n".join(lines) if lines else "No changes."


def _pathway_changes(old: PathwayDefinition, new: PathwayDefinition) -> list[Change]:
    changes: list[Change] = []
    first_old = old.initial_stage.key if old.initial_stage else None
    first_new = new.initial_stage.key if new.initial_stage else None
    for name, label, before, after, say in (
        ("key", "key", old.key, new.key, _quoted),
        ("name", "name", old.name, new.name, _quoted),
        ("description", "description", old.description, new.description, _quoted),
        ("initial_stage", "first stage", first_old, first_new, _plain),
    ):
        if before != after:
            if name == _LONG_TEXT:
                text = f"Pathway: {label} changed"
            else:
                text = f"Pathway: {_changed_text(label, say(before), say(after))}"
            changes.append(Change("changed", "pathway", new.key, name, before, after, text))
    return changes


def _part_changes(
    subject: Subject,
    noun: str,
    old_parts: list[_Part],
    new_parts: list[_Part],
    fields: list[_Field],
    summary: Callable[[_Part], str],
) -> list[Change]:
    old_by_key = _by_key(old_parts)
    new_by_key = _by_key(new_parts)
    changes: list[Change] = []
    for key, part in new_by_key.items():
        before = old_by_key.get(key)
        if before is None:
            changes.append(
                Change("added", subject, key, text=f"{noun} '{key}' added: {summary(part)}")
            )
            continue
        for field in fields:
            old_value, new_value = field.read(before), field.read(part)
            if field.same(old_value, new_value):
                continue
            changes.append(
                Change(
                    "changed",
                    subject,
                    key,
                    field.name,
                    old_value,
                    new_value,
                    f"{noun} '{key}': {_field_text(field, old_value, new_value)}",
                )
            )
    for key, part in old_by_key.items():
        if key not in new_by_key:
            changes.append(
                Change("removed", subject, key, text=f"{noun} '{key}' removed: {summary(part)}")
            )
    return changes


def _field_text(field: _Field, old: Any, new: Any) -> str:
    if field.name == _LONG_TEXT:
        return f"{field.label} changed"
    if field.name == "timescale.working_days":
        return _timescale_text(field.label, old, new)
    return _changed_text(field.label, field.say(old), field.say(new))


def _by_key(parts: list[_Part]) -> dict[str, _Part]:
    # A definition with a duplicate key is invalid anyway; the first one listed stands for it.
    found: dict[str, _Part] = {}
    for part in parts:
        found.setdefault(part.key, part)
    return found


def _stage_summary(stage: StageDefinition) -> str:
    terminal = ", terminal" if stage.terminal else ""
    return f"'{stage.name}' ({stage.tier}, {stage.responsible_role}{terminal})"


def _transition_summary(transition: TransitionDefinition) -> str:
    return (
        f"'{transition.name}' ({transition.kind}) "
        f"from '{transition.from_stage}' to '{transition.to_stage}'"
    )
