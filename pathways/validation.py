"""Validation of a pathway definition. Every message names the stage or transition at fault."""

import re
from collections import Counter, deque
from dataclasses import dataclass

from agencies.roles import ROLE_KEYS

from .artefacts import ARTEFACTS
from .definitions import TIER_KEYS, PathwayDefinition
from .guards import GUARDS
from .models import TimescaleFrom, TransitionKind

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_NAME = 200
# More than four years of working days is certainly a typing error.
MAX_TIMESCALE = 1000


@dataclass(frozen=True)
class Problem:
    code: str
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "path": self.path, "message": self.message}


def validate_definition(definition: PathwayDefinition) -> list[Problem]:
    """Return every problem found; an empty list means the definition can be published."""
    problems: list[Problem] = []

    def add(code: str, path: str, message: str) -> None:
        problems.append(Problem(code, path, message))

    def check_key_and_name(path: str, what: str, key: str, name: str) -> None:
        if not KEY_PATTERN.match(key):
            add(
                "invalid_key",
                path,
                f"{what} key '{key[:80]}' must be 1-64 lower-case letters, digits, '_' or '-'.",
            )
        if not name.strip() or len(name) > MAX_NAME:
            add(
                "invalid_name",
                path,
                f"{what} '{key[:80]}' needs a name of 1-{MAX_NAME} characters.",
            )

    check_key_and_name("key", "Pathway", definition.key, definition.name)
    if not definition.stages:
        add("no_stages", "stages", "A pathway needs at least one stage.")
        return problems

    for key, count in Counter(s.key for s in definition.stages).items():
        if count > 1:
            add("duplicate_key", "stages", f"Stage key '{key}' is used {count} times.")
    for key, count in Counter(t.key for t in definition.transitions).items():
        if count > 1:
            add("duplicate_key", "transitions", f"Transition key '{key}' is used {count} times.")

    stages = {s.key: s for s in definition.stages}
    for i, stage in enumerate(definition.stages):
        path = f"stages[{i}] '{stage.key}'"
        check_key_and_name(path, "Stage", stage.key, stage.name)
        if stage.tier not in TIER_KEYS:
            add(
                "unknown_tier",
                path,
                f"Stage '{stage.key}' has unknown tier '{stage.tier}' "
                f"(expected one of {', '.join(TIER_KEYS)}).",
            )
        if stage.responsible_role not in ROLE_KEYS:
            add(
                "unknown_role",
                path,
                f"Stage '{stage.key}' names role '{stage.responsible_role}', which does not exist.",
            )
        if stage.timescale_working_days is not None and stage.timescale_working_days <= 0:
            add(
                "invalid_timescale",
                path,
                f"Stage '{stage.key}' has a timescale of {stage.timescale_working_days} "
                "working days; it must be at least 1.",
            )
        elif (stage.timescale_working_days or 0) > MAX_TIMESCALE:
            add(
                "invalid_timescale",
                path,
                f"Stage '{stage.key}' has a timescale of {stage.timescale_working_days} "
                f"working days; the most allowed is {MAX_TIMESCALE}.",
            )
        if stage.timescale_from not in TimescaleFrom.values:
            add(
                "invalid_timescale",
                path,
                f"Stage '{stage.key}' counts its timescale from '{stage.timescale_from}' "
                "(expected stage_entry or referral).",
            )
        for artefact in stage.requires:
            if artefact not in ARTEFACTS:
                add(
                    "unknown_artefact",
                    path,
                    f"Stage '{stage.key}' requires unknown artefact '{artefact}' "
                    f"(known: {', '.join(ARTEFACTS)}).",
                )

    for i, transition in enumerate(definition.transitions):
        path = f"transitions[{i}] '{transition.key}'"
        check_key_and_name(path, "Transition", transition.key, transition.name)
        for end, stage_key in (("from", transition.from_stage), ("to", transition.to_stage)):
            if stage_key not in stages:
                add(
                    "unknown_stage",
                    path,
                    f"Transition '{transition.key}' goes {end} unknown stage '{stage_key}'.",
                )
        if transition.kind not in TransitionKind.values:
            add(
                "unknown_kind",
                path,
                f"Transition '{transition.key}' has unknown kind '{transition.kind}' "
                f"(expected one of {', '.join(TransitionKind.values)}).",
            )
        if not transition.roles:
            add("no_roles", path, f"Transition '{transition.key}' names no role that may take it.")
        for role in transition.roles:
            if role not in ROLE_KEYS:
                add(
                    "unknown_role",
                    path,
                    f"Transition '{transition.key}' names role '{role}', which does not exist.",
                )
        for guard, argument in transition.guards.items():
            if guard not in GUARDS:
                add(
                    "unknown_guard",
                    path,
                    f"Transition '{transition.key}' uses unknown guard '{guard}' "
                    f"(known: {', '.join(GUARDS)}).",
                )
            elif (error := GUARDS[guard].validate_argument(argument)) is not None:
                add("invalid_guard", path, f"Guard '{guard}' on '{transition.key}' {error}.")
        source, target = stages.get(transition.from_stage), stages.get(transition.to_stage)
        if source and target and source.tier in TIER_KEYS and target.tier in TIER_KEYS:
            rise = TIER_KEYS[target.tier] - TIER_KEYS[source.tier]
            if transition.kind == TransitionKind.STEP_UP and rise <= 0:
                add(
                    "step_up_not_rising",
                    path,
                    f"Step-up '{transition.key}' goes from {source.tier} ('{source.key}') to "
                    f"{target.tier} ('{target.key}'), which is not a higher tier.",
                )
            if transition.kind == TransitionKind.STEP_DOWN and rise >= 0:
                add(
                    "step_down_not_falling",
                    path,
                    f"Step-down '{transition.key}' goes from {source.tier} ('{source.key}') to "
                    f"{target.tier} ('{target.key}'), which is not a lower tier.",
                )
        if transition.kind == TransitionKind.CLOSE and target and not target.terminal:
            add(
                "close_to_open_stage",
                path,
                f"Close transition '{transition.key}' leads to '{target.key}', "
                "which is not terminal.",
            )
        if transition.kind == TransitionKind.REOPEN and source and not source.terminal:
            add(
                "reopen_from_open_stage",
                path,
                f"Reopen transition '{transition.key}' starts from '{source.key}', "
                "which is not terminal.",
            )

    if not any(stage.terminal for stage in definition.stages):
        add("no_terminal_stage", "stages", "No stage is terminal, so no case could ever close.")

    exits = {key: 0 for key in stages}
    graph: dict[str, list[str]] = {key: [] for key in stages}
    for transition in definition.transitions:
        if transition.from_stage in stages and transition.to_stage in stages:
            exits[transition.from_stage] += 1
            graph[transition.from_stage].append(transition.to_stage)
    for i, stage in enumerate(definition.stages):
        if not stage.terminal and stages.get(stage.key) is stage and exits[stage.key] == 0:
            add(
                "no_way_out",
                f"stages[{i}] '{stage.key}'",
                f"Stage '{stage.key}' is not terminal but has no transition out of it.",
            )

    initial = definition.stages[0].key
    reached = {initial}
    queue = deque([initial])
    while queue:
        for nxt in graph[queue.popleft()]:
            if nxt not in reached:
                reached.add(nxt)
                queue.append(nxt)
    for i, stage in enumerate(definition.stages):
        if stage.key not in reached:
            add(
                "unreachable_stage",
                f"stages[{i}] '{stage.key}'",
                f"Stage '{stage.key}' cannot be reached from the first stage '{initial}'.",
            )
    return problems
