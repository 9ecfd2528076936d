"""A pathway version as plain data: the one shape shared by YAML, validation, diff and the database.

YAML and the API read and write this shape; `write_definition_rows` turns it into rows and
`definition_from_version` reads it back, so a round trip is exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from core.limits import (
    PATHWAY_MAX_STAGES,
    PATHWAY_MAX_TRANSITIONS,
    STAGE_MAX_REQUIRES,
    TRANSITION_MAX_GUARDS,
    TRANSITION_MAX_ROLES,
)
from core.yaml_schema import ShapeErrors

from .closure import CLOSURE_REASONS
from .involvement import Involvement, every_involvement
from .models import PathwayVersion, ServiceTier, Stage, TimescaleFrom, Transition

TIER_KEYS: dict[str, int] = {
    "universal": ServiceTier.UNIVERSAL,
    "early_help": ServiceTier.EARLY_HELP,
    "specialist": ServiceTier.SPECIALIST,
    "statutory": ServiceTier.STATUTORY,
}
TIER_NAMES: dict[int, str] = {value: key for key, value in TIER_KEYS.items()}


@dataclass
class StageDefinition:
    key: str
    name: str
    tier: str
    responsible_role: str
    timescale_working_days: int | None = None
    timescale_from: str = TimescaleFrom.STAGE_ENTRY
    terminal: bool = False
    requires: list[str] = field(default_factory=list)
    description: str = ""
    # Whose route the stage is on (pathways.involvement); every child's when unnamed.
    involvements: list[str] = field(default_factory=every_involvement)
    # A case entering the stage gets a designated lead practitioner in the same step.
    needs_lead_practitioner: bool = False


@dataclass
class TransitionDefinition:
    key: str
    name: str
    from_stage: str
    to_stage: str
    kind: str
    roles: list[str] = field(default_factory=list)
    guards: dict[str, Any] = field(default_factory=dict)
    reason_required: bool = False
    # Closure reasons it allows (pathways.closure); none: every reason the case's kind needs.
    closure_reasons: list[str] = field(default_factory=list)
    # The children it is offered for; unnamed in YAML, those both its stages serve.
    involvements: list[str] = field(default_factory=every_involvement)


@dataclass
class PathwayDefinition:
    key: str
    name: str
    description: str = ""
    stages: list[StageDefinition] = field(default_factory=list)
    transitions: list[TransitionDefinition] = field(default_factory=list)

    @property
    def initial_stage(self) -> StageDefinition | None:
        # The first stage listed is where every new case starts.
        return self.stages[0] if self.stages else None


def route_of(definition: PathwayDefinition, involvement: str) -> PathwayDefinition:
    """The stages and transitions on one child's route (their involvement): what a case of
    that child can go through, as drawn on its page."""
    return replace(
        definition,
        stages=[s for s in definition.stages if involvement in s.involvements],
        transitions=[t for t in definition.transitions if involvement in t.involvements],
    )


class DefinitionShapeError(ValueError):
    """The document is not a pathway definition at all (wrong types, missing keys)."""

    def __init__(self, errors: list[dict[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{e['path']}: {e['message']}" for e in errors))


def definition_from_dict(data: Any) -> PathwayDefinition:
    """Parse the YAML/JSON shape; raises DefinitionShapeError naming every malformed field."""
    errors = ShapeErrors()
    if not isinstance(data, dict):
        raise DefinitionShapeError([{"path": "$", "message": "Expected a mapping."}])
    key = errors.require(data, "key", str, "$")
    name = errors.require(data, "name", str, "$")
    description = errors.optional(data, "description", str, "", "$")
    stages: list[StageDefinition] = []
    raw_stages = errors.optional(data, "stages", list, [], "$")
    for index, raw in enumerate(errors.at_most(raw_stages, PATHWAY_MAX_STAGES, "$.stages")):
        path = f"stages[{index}]"
        if not isinstance(raw, dict):
            errors.add(path, "Expected a mapping.")
            continue
        timescale = errors.optional(raw, "timescale", dict, {}, path)
        stages.append(
            StageDefinition(
                key=errors.require(raw, "key", str, path),
                name=errors.require(raw, "name", str, path),
                tier=errors.require(raw, "tier", str, path),
                responsible_role=errors.require(raw, "responsible_role", str, path),
                timescale_working_days=errors.optional(
                    timescale, "working_days", int, None, f"{path}.timescale"
                ),
                timescale_from=errors.optional(
                    timescale, "from", str, TimescaleFrom.STAGE_ENTRY, f"{path}.timescale"
                ),
                terminal=errors.optional(raw, "terminal", bool, False, path),
                requires=errors.optional_texts(raw, "requires", path, STAGE_MAX_REQUIRES),
                description=errors.optional(raw, "description", str, "", path),
                involvements=_involvements(errors, raw, path, every_involvement()),
                needs_lead_practitioner=errors.optional(
                    raw, "needs_lead_practitioner", bool, False, path
                ),
            )
        )
    stage_involvements = {stage.key: stage.involvements for stage in stages}
    transitions: list[TransitionDefinition] = []
    raw_transitions = errors.at_most(
        errors.optional(data, "transitions", list, [], "$"),
        PATHWAY_MAX_TRANSITIONS,
        "$.transitions",
    )
    for index, raw in enumerate(raw_transitions):
        path = f"transitions[{index}]"
        if not isinstance(raw, dict):
            errors.add(path, "Expected a mapping.")
            continue
        # In this order, so shape errors are listed key first, as the document reads.
        transition_key = errors.require(raw, "key", str, path)
        transition_name = errors.require(raw, "name", str, path)
        from_stage = errors.require(raw, "from", str, path)
        to_stage = errors.require(raw, "to", str, path)
        transitions.append(
            TransitionDefinition(
                key=transition_key,
                name=transition_name,
                from_stage=from_stage,
                to_stage=to_stage,
                kind=errors.require(raw, "kind", str, path),
                roles=errors.optional_texts(raw, "roles", path, TRANSITION_MAX_ROLES),
                guards=errors.at_most(
                    errors.optional(raw, "guards", dict, {}, path),
                    TRANSITION_MAX_GUARDS,
                    f"{path}.guards",
                ),
                reason_required=errors.optional(raw, "reason_required", bool, False, path),
                closure_reasons=errors.optional_texts(
                    raw, "closure_reasons", path, len(CLOSURE_REASONS)
                ),
                involvements=_involvements(
                    errors,
                    raw,
                    path,
                    _shared(stage_involvements.get(from_stage), stage_involvements.get(to_stage)),
                ),
            )
        )
    if errors:
        raise DefinitionShapeError(errors.errors)
    return PathwayDefinition(
        key=key, name=name, description=description, stages=stages, transitions=transitions
    )


def _involvements(
    errors: ShapeErrors, raw: dict[str, Any], path: str, unnamed: list[str]
) -> list[str]:
    # Not capped by a limit of its own: validation refuses any key but the two involvements.
    if "involvements" not in raw:
        return unnamed
    return list(errors.optional_texts(raw, "involvements", path, len(Involvement.values) + 1))


def _shared(source: list[str] | None, target: list[str] | None) -> list[str]:
    """A transition's involvements when the YAML names none: those both its stages serve
    (every child's while a stage is unknown: validation names the unknown stage)."""
    if source is None or target is None:
        return every_involvement()
    return [key for key in source if key in target]


def definition_to_dict(definition: PathwayDefinition) -> dict[str, Any]:
    """The canonical shape: defaults are written out so export is stable and explicit."""
    return {
        "key": definition.key,
        "name": definition.name,
        "description": definition.description,
        "stages": [
            {
                "key": s.key,
                "name": s.name,
                "description": s.description,
                "tier": s.tier,
                "responsible_role": s.responsible_role,
                "timescale": (
                    {"working_days": s.timescale_working_days, "from": s.timescale_from}
                    if s.timescale_working_days is not None
                    else {}
                ),
                "terminal": s.terminal,
                "requires": list(s.requires),
                "involvements": list(s.involvements),
                "needs_lead_practitioner": s.needs_lead_practitioner,
            }
            for s in definition.stages
        ],
        "transitions": [
            {
                "key": t.key,
                "name": t.name,
                "from": t.from_stage,
                "to": t.to_stage,
                "kind": t.kind,
                "roles": list(t.roles),
                "guards": dict(t.guards),
                "reason_required": t.reason_required,
                "closure_reasons": list(t.closure_reasons),
                "involvements": list(t.involvements),
            }
            for t in definition.transitions
        ],
    }


def definition_from_version(version: PathwayVersion) -> PathwayDefinition:
    stages = list(version.stages.order_by("position"))
    stage_keys = {stage.pk: stage.key for stage in stages}
    transitions = list(version.transitions.order_by("position"))
    return PathwayDefinition(
        key=version.pathway.key,
        name=version.name,
        description=version.description,
        stages=[
            StageDefinition(
                key=s.key,
                name=s.name,
                tier=TIER_NAMES.get(s.tier, str(s.tier)),
                responsible_role=s.responsible_role,
                timescale_working_days=s.timescale_working_days,
                timescale_from=s.timescale_from,
                terminal=s.is_terminal,
                requires=list(s.requires),
                description=s.description,
                involvements=list(s.involvements),
                needs_lead_practitioner=s.needs_lead_practitioner,
            )
            for s in stages
        ],
        transitions=[
            TransitionDefinition(
                key=t.key,
                name=t.name,
                from_stage=stage_keys[t.from_stage_id],
                to_stage=stage_keys[t.to_stage_id],
                kind=t.kind,
                roles=list(t.allowed_roles),
                guards=dict(t.guards),
                reason_required=t.reason_required,
                closure_reasons=list(t.closure_reasons),
                involvements=list(t.involvements),
            )
            for t in transitions
        ],
    )


def write_definition_rows(version: PathwayVersion, definition: PathwayDefinition) -> None:
    """Replace a draft's stages and transitions with the definition's (caller validated it)."""
    version.transitions.all().delete()
    version.stages.all().delete()
    stages = Stage.objects.bulk_create(
        [
            Stage(
                version=version,
                position=position,
                key=s.key,
                name=s.name,
                description=s.description,
                tier=TIER_KEYS[s.tier],
                responsible_role=s.responsible_role,
                timescale_working_days=s.timescale_working_days,
                timescale_from=s.timescale_from,
                is_terminal=s.terminal,
                is_initial=position == 0,
                requires=list(s.requires),
                involvements=list(s.involvements),
                needs_lead_practitioner=s.needs_lead_practitioner,
            )
            for position, s in enumerate(definition.stages)
        ]
    )
    if any(stage.pk is None for stage in stages):  # SQLite before 3.35 returns no ids
        stages = list(version.stages.order_by("position"))
    by_key = {stage.key: stage for stage in stages}
    Transition.objects.bulk_create(
        [
            Transition(
                version=version,
                position=position,
                key=t.key,
                name=t.name,
                kind=t.kind,
                from_stage=by_key[t.from_stage],
                to_stage=by_key[t.to_stage],
                allowed_roles=list(t.roles),
                guards=dict(t.guards),
                reason_required=t.reason_required,
                closure_reasons=list(t.closure_reasons),
                involvements=list(t.involvements),
            )
            for position, t in enumerate(definition.transitions)
        ]
    )
