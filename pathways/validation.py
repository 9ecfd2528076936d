"""Validation of a pathway definition. Every message names the stage or transition at fault.

`validate_definition` runs the rules below in a fixed order (the pathway editor lists the
problems in that order): the pathway's own key and name, unique keys, each stage, each
transition, then the rules about the graph as a whole. Each rule yields its problems.
"""

import re
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from agencies.roles import ROLE_KEYS
from core.limits import PATHWAY_KEY_MAX_LENGTH, PATHWAY_NAME_MAX_LENGTH

from .artefacts import ARTEFACTS
from .closure import CLOSURE_REASON_CHOICES, CLOSURE_REASONS, SupportClosureReason, is_census
from .definitions import TIER_KEYS, PathwayDefinition, StageDefinition, TransitionDefinition
from .guards import GUARDS
from .involvement import Involvement, involvement_label
from .models import TimescaleFrom, TransitionKind

KEY_PATTERN = re.compile(rf"^[a-z0-9][a-z0-9_-]{{0,{PATHWAY_KEY_MAX_LENGTH - 1}}}$")
# More than four years of working days is certainly a typing error.
MAX_TIMESCALE = 1000


@dataclass(frozen=True)
class Problem:
    code: str
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "path": self.path, "message": self.message}


Stages = dict[str, StageDefinition]
StageRule = Callable[[str, StageDefinition], Iterator[Problem]]
TransitionRule = Callable[[str, TransitionDefinition, Stages], Iterator[Problem]]
DefinitionRule = Callable[[PathwayDefinition, Stages], Iterator[Problem]]


def validate_definition(definition: PathwayDefinition) -> list[Problem]:
    """Return every problem found; an empty list means the definition can be published."""
    problems = list(_key_and_name("key", "Pathway", definition.key, definition.name))
    if not definition.stages:
        # Every other rule is about stages: with none, this is the one thing to say.
        problems.append(Problem("no_stages", "stages", "A pathway needs at least one stage."))
        return problems
    # A key used twice is reported by `_unique_keys`; the rules below see its last stage.
    stages = {stage.key: stage for stage in definition.stages}
    for rule in DEFINITION_RULES:
        problems.extend(rule(definition, stages))
    return problems


def _key_and_name(path: str, what: str, key: str, name: str) -> Iterator[Problem]:
    if not KEY_PATTERN.match(key):
        yield Problem(
            "invalid_key",
            path,
            f"{what} key '{key[:80]}' must be 1-{PATHWAY_KEY_MAX_LENGTH} lower-case letters, "
            "digits, '_' or '-'.",
        )
    if not name.strip() or len(name) > PATHWAY_NAME_MAX_LENGTH:
        yield Problem(
            "invalid_name",
            path,
            f"{what} '{key[:80]}' needs a name of 1-{PATHWAY_NAME_MAX_LENGTH} characters.",
        )


# Keys


def _unique_keys(definition: PathwayDefinition, stages: Stages) -> Iterator[Problem]:
    for key, count in Counter(s.key for s in definition.stages).items():
        if count > 1:
            yield Problem("duplicate_key", "stages", f"Stage key '{key}' is used {count} times.")
    for key, count in Counter(t.key for t in definition.transitions).items():
        if count > 1:
            yield Problem(
                "duplicate_key", "transitions", f"Transition key '{key}' is used {count} times."
            )


# Each stage


def _stage_path(index: int, stage: StageDefinition) -> str:
    return f"stages[{index}] '{stage.key}'"


def _stage_key_and_name(path: str, stage: StageDefinition) -> Iterator[Problem]:
    yield from _key_and_name(path, "Stage", stage.key, stage.name)


def _stage_tier(path: str, stage: StageDefinition) -> Iterator[Problem]:
    if stage.tier not in TIER_KEYS:
        yield Problem(
            "unknown_tier",
            path,
            f"Stage '{stage.key}' has unknown tier '{stage.tier}' "
            f"(expected one of {', '.join(TIER_KEYS)}).",
        )


def _stage_role(path: str, stage: StageDefinition) -> Iterator[Problem]:
    if stage.responsible_role not in ROLE_KEYS:
        yield Problem(
            "unknown_role",
            path,
            f"Stage '{stage.key}' names role '{stage.responsible_role}', which does not exist.",
        )


def _stage_timescale(path: str, stage: StageDefinition) -> Iterator[Problem]:
    days = stage.timescale_working_days
    if days is not None and days <= 0:
        yield Problem(
            "invalid_timescale",
            path,
            f"Stage '{stage.key}' has a timescale of {days} working days; it must be at least 1.",
        )
    elif (days or 0) > MAX_TIMESCALE:
        yield Problem(
            "invalid_timescale",
            path,
            f"Stage '{stage.key}' has a timescale of {days} "
            f"working days; the most allowed is {MAX_TIMESCALE}.",
        )
    if stage.timescale_from not in TimescaleFrom.values:
        yield Problem(
            "invalid_timescale",
            path,
            f"Stage '{stage.key}' counts its timescale from '{stage.timescale_from}' "
            f"(expected one of {', '.join(TimescaleFrom.values)}).",
        )


def _stage_requirements(path: str, stage: StageDefinition) -> Iterator[Problem]:
    for artefact in stage.requires:
        if artefact not in ARTEFACTS:
            yield Problem(
                "unknown_artefact",
                path,
                f"Stage '{stage.key}' requires unknown artefact '{artefact}' "
                f"(known: {', '.join(ARTEFACTS)}).",
            )


def _stage_involvements(path: str, stage: StageDefinition) -> Iterator[Problem]:
    yield from _known_involvements(path, "Stage", stage.key, stage.involvements)


def _known_involvements(
    path: str, what: str, key: str, involvements: list[str]
) -> Iterator[Problem]:
    unknown = [value for value in involvements if value not in Involvement.values]
    if unknown:
        yield Problem(
            "unknown_involvement",
            path,
            f"{what} '{key}' names unknown involvement(s) {', '.join(map(str, unknown))} "
            f"(expected {' or '.join(Involvement.values)}).",
        )
    elif not involvements and what == "Stage":
        yield Problem(
            "no_involvement",
            path,
            f"Stage '{key}' is on no child's route: name displaying_hsb, harmed or both.",
        )


STAGE_RULES: tuple[StageRule, ...] = (
    _stage_key_and_name,
    _stage_tier,
    _stage_role,
    _stage_timescale,
    _stage_requirements,
    _stage_involvements,
)


def _each_stage(definition: PathwayDefinition, stages: Stages) -> Iterator[Problem]:
    # Stage by stage, so the problems of one stage are listed together.
    for index, stage in enumerate(definition.stages):
        path = _stage_path(index, stage)
        for rule in STAGE_RULES:
            yield from rule(path, stage)


# Each transition


def _transition_key_and_name(
    path: str, transition: TransitionDefinition, stages: Stages
) -> Iterator[Problem]:
    yield from _key_and_name(path, "Transition", transition.key, transition.name)


def _transition_ends(
    path: str, transition: TransitionDefinition, stages: Stages
) -> Iterator[Problem]:
    for end, stage_key in (("from", transition.from_stage), ("to", transition.to_stage)):
        if stage_key not in stages:
            yield Problem(
                "unknown_stage",
                path,
                f"Transition '{transition.key}' goes {end} unknown stage '{stage_key}'.",
            )


def _transition_kind(
    path: str, transition: TransitionDefinition, stages: Stages
) -> Iterator[Problem]:
    if transition.kind not in TransitionKind.values:
        yield Problem(
            "unknown_kind",
            path,
            f"Transition '{transition.key}' has unknown kind '{transition.kind}' "
            f"(expected one of {', '.join(TransitionKind.values)}).",
        )


def _transition_roles(
    path: str, transition: TransitionDefinition, stages: Stages
) -> Iterator[Problem]:
    if not transition.roles:
        yield Problem(
            "no_roles", path, f"Transition '{transition.key}' names no role that may take it."
        )
    for role in transition.roles:
        if role not in ROLE_KEYS:
            yield Problem(
                "unknown_role",
                path,
                f"Transition '{transition.key}' names role '{role}', which does not exist.",
            )


def _transition_guards(
    path: str, transition: TransitionDefinition, stages: Stages
) -> Iterator[Problem]:
    for guard, argument in transition.guards.items():
        if guard not in GUARDS:
            yield Problem(
                "unknown_guard",
                path,
                f"Transition '{transition.key}' uses unknown guard '{guard}' "
                f"(known: {', '.join(GUARDS)}).",
            )
        elif (error := GUARDS[guard].validate_argument(argument)) is not None:
            yield Problem("invalid_guard", path, f"Guard '{guard}' on '{transition.key}' {error}.")


def _transition_tier_direction(
    path: str, transition: TransitionDefinition, stages: Stages
) -> Iterator[Problem]:
    source, target = stages.get(transition.from_stage), stages.get(transition.to_stage)
    if not (source and target and source.tier in TIER_KEYS and target.tier in TIER_KEYS):
        return  # an unknown stage or tier is reported by its own rule
    rise = TIER_KEYS[target.tier] - TIER_KEYS[source.tier]
    if transition.kind == TransitionKind.STEP_UP and rise <= 0:
        yield Problem(
            "step_up_not_rising",
            path,
            f"Step-up '{transition.key}' goes from {source.tier} ('{source.key}') to "
            f"{target.tier} ('{target.key}'), which is not a higher tier.",
        )
    if transition.kind == TransitionKind.STEP_DOWN and rise >= 0:
        yield Problem(
            "step_down_not_falling",
            path,
            f"Step-down '{transition.key}' goes from {source.tier} ('{source.key}') to "
            f"{target.tier} ('{target.key}'), which is not a lower tier.",
        )


def _transition_terminal_ends(
    path: str, transition: TransitionDefinition, stages: Stages
) -> Iterator[Problem]:
    source, target = stages.get(transition.from_stage), stages.get(transition.to_stage)
    if transition.kind == TransitionKind.CLOSE and target and not target.terminal:
        yield Problem(
            "close_to_open_stage",
            path,
            f"Close transition '{transition.key}' leads to '{target.key}', which is not terminal.",
        )
    if transition.kind == TransitionKind.REOPEN and source and not source.terminal:
        yield Problem(
            "reopen_from_open_stage",
            path,
            f"Reopen transition '{transition.key}' starts from '{source.key}', "
            "which is not terminal.",
        )


def _transition_involvements(
    path: str, transition: TransitionDefinition, stages: Stages
) -> Iterator[Problem]:
    """A transition is on one child's route: both its stages serve every child it is for. A
    transition from a stage of the child harmed's route to one of the child displaying
    HSB's (or one naming a child a stage does not serve) mixes the two routes."""
    yield from _known_involvements(path, "Transition", transition.key, transition.involvements)
    source, target = stages.get(transition.from_stage), stages.get(transition.to_stage)
    if source is None or target is None:
        return  # an unknown stage is reported by its own rule
    known = [key for key in transition.involvements if key in Involvement.values]
    if not transition.involvements:
        yield Problem(
            "mixed_involvement",
            path,
            f"Transition '{transition.key}' mixes the children's routes: '{source.key}' is "
            f"for {_whose(source.involvements)} and '{target.key}' for "
            f"{_whose(target.involvements)}.",
        )
    for key in known:
        outside = [s.key for s in (source, target) if key not in s.involvements]
        if outside:
            yield Problem(
                "mixed_involvement",
                path,
                f"Transition '{transition.key}' is for {involvement_label(key)}, but "
                f"{' and '.join(repr(k) for k in outside)} is not on that child's route: "
                "a transition stays on one child's route.",
            )
    for guard in transition.guards:
        needs = GUARDS[guard].involvements if guard in GUARDS else tuple(known)
        for key in known:
            if key not in needs:
                yield Problem(
                    "guard_not_for_involvement",
                    path,
                    f"Guard '{guard}' on '{transition.key}' asks about "
                    f"{' or '.join(involvement_label(n) for n in needs)}, but the transition "
                    f"is for {involvement_label(key)}.",
                )


def _whose(involvements: list[str]) -> str:
    return " and ".join(involvement_label(key) for key in involvements) or "no child"


TRANSITION_RULES: tuple[TransitionRule, ...] = (
    _transition_key_and_name,
    _transition_ends,
    _transition_kind,
    _transition_roles,
    _transition_guards,
    _transition_tier_direction,
    _transition_terminal_ends,
    _transition_involvements,
)


def _each_transition(definition: PathwayDefinition, stages: Stages) -> Iterator[Problem]:
    for index, transition in enumerate(definition.transitions):
        path = f"transitions[{index}] '{transition.key}'"
        for rule in TRANSITION_RULES:
            yield from rule(path, transition, stages)


# The graph as a whole


def _some_stage_is_terminal(definition: PathwayDefinition, stages: Stages) -> Iterator[Problem]:
    if not any(stage.terminal for stage in definition.stages):
        yield Problem(
            "no_terminal_stage", "stages", "No stage is terminal, so no case could ever close."
        )


def _next_stages(definition: PathwayDefinition, stages: Stages) -> dict[str, list[str]]:
    """Each stage's key with the keys its transitions lead to (known stages only)."""
    graph: dict[str, list[str]] = {key: [] for key in stages}
    for transition in definition.transitions:
        if transition.from_stage in stages and transition.to_stage in stages:
            graph[transition.from_stage].append(transition.to_stage)
    return graph


def _every_open_stage_has_a_way_out(
    definition: PathwayDefinition, stages: Stages
) -> Iterator[Problem]:
    graph = _next_stages(definition, stages)
    for index, stage in enumerate(definition.stages):
        # `stages.get(stage.key) is stage`: a key used twice is judged once, by its last stage.
        if not stage.terminal and stages.get(stage.key) is stage and not graph[stage.key]:
            yield Problem(
                "no_way_out",
                _stage_path(index, stage),
                f"Stage '{stage.key}' is not terminal but has no transition out of it.",
            )


def _every_stage_is_reachable(definition: PathwayDefinition, stages: Stages) -> Iterator[Problem]:
    graph = _next_stages(definition, stages)
    initial = definition.stages[0].key
    reached = {initial}
    queue = deque([initial])
    while queue:
        for nxt in graph[queue.popleft()]:
            if nxt not in reached:
                reached.add(nxt)
                queue.append(nxt)
    for index, stage in enumerate(definition.stages):
        if stage.key not in reached:
            yield Problem(
                "unreachable_stage",
                _stage_path(index, stage),
                f"Stage '{stage.key}' cannot be reached from the first stage '{initial}'.",
            )


def _first_stage_serves_every_child(
    definition: PathwayDefinition, stages: Stages
) -> Iterator[Problem]:
    # Every child in a referral opens a case at the first stage.
    first = definition.stages[0]
    missing = [key for key in Involvement.values if key not in first.involvements]
    if missing:
        yield Problem(
            "first_stage_involvement",
            _stage_path(0, first),
            f"The first stage '{first.key}' is where every case starts, but is not on the route "
            f"of {' or '.join(involvement_label(key) for key in missing)}.",
        )


# Timescale anchors and closure reasons (pathways.closure)


def _timescale_anchors(definition: PathwayDefinition, stages: Stages) -> Iterator[Problem]:
    """A stage counting from the referral to children's social care needs that event recorded
    by the time the case enters it: it is recorded as a case enters a statutory stage."""
    for index, stage in enumerate(definition.stages):
        if stage.timescale_from != TimescaleFrom.CSC_REFERRAL:
            continue
        if index == 0:
            yield Problem(
                "timescale_anchor_unknown",
                _stage_path(index, stage),
                f"Stage '{stage.key}' is the first stage, entered on the referral itself: "
                "count its timescale from 'referral', not from the referral to children's "
                "social care.",
            )
        elif stage.tier != "statutory":
            yield Problem(
                "timescale_anchor_unknown",
                _stage_path(index, stage),
                f"Stage '{stage.key}' counts its timescale from the referral to children's "
                "social care, which is recorded only as a case enters a statutory stage; "
                f"'{stage.key}' is a {stage.tier} stage.",
            )


def _reached(
    definition: PathwayDefinition,
    stages: Stages,
    start: set[str],
    follow: Callable[[TransitionDefinition], bool],
) -> set[str]:
    reached = {key for key in start if key in stages}
    queue = deque(reached)
    while queue:
        here = queue.popleft()
        for t in definition.transitions:
            onward = t.from_stage == here and t.to_stage in stages
            if onward and t.to_stage not in reached and follow(t):
                reached.add(t.to_stage)
                queue.append(t.to_stage)
    return reached


def _episode_stages(definition: PathwayDefinition, stages: Stages) -> tuple[set[str], set[str]]:
    """Where a children's social care episode may be open (a statutory stage and whatever a
    route or step-up leads on to), and where a case may be outside one (from the first stage
    or a step-down, short of a statutory stage)."""
    statutory = {key for key, stage in stages.items() if stage.tier == "statutory"}
    onwards = (TransitionKind.ROUTE, TransitionKind.STEP_UP)
    inside = _reached(definition, stages, statutory, lambda t: t.kind in onwards)
    starts = {definition.stages[0].key} | {
        t.to_stage for t in definition.transitions if t.kind == TransitionKind.STEP_DOWN
    }
    outside = _reached(definition, stages, starts, lambda t: t.to_stage not in statutory)
    return inside, outside - statutory


def _closure_reasons(definition: PathwayDefinition, stages: Stages) -> Iterator[Problem]:
    """Census codes only where a children's social care episode can end; plain reasons only
    where a case can close outside one."""
    inside, outside = _episode_stages(definition, stages)
    for index, t in enumerate(definition.transitions):
        path = f"transitions[{index}] '{t.key}'"
        for reason in t.closure_reasons:
            if reason not in CLOSURE_REASONS:
                yield Problem(
                    "unknown_closure_reason",
                    path,
                    f"Transition '{t.key}' lists unknown closure reason '{reason}' "
                    f"(known: {', '.join(value for value, _ in CLOSURE_REASON_CHOICES)}).",
                )
        known = [reason for reason in t.closure_reasons if reason in CLOSURE_REASONS]
        census = [reason for reason in known if is_census(reason)]
        plain = [reason for reason in known if not is_census(reason)]
        if known and t.kind not in (TransitionKind.CLOSE, TransitionKind.STEP_DOWN):
            yield Problem(
                "closure_reason_not_closing",
                path,
                f"Transition '{t.key}' is a {t.kind}: only a closing transition or a step-down "
                "lists closure reasons.",
            )
            continue
        if census and t.from_stage not in inside:
            yield Problem(
                "census_code_outside_csc",
                path,
                f"Transition '{t.key}' lists census closure reason(s) {', '.join(census)}, but "
                f"no children's social care episode can be open at '{t.from_stage}': census "
                "codes (RC1-RC9) are only for ending one.",
            )
        if known and not census and t.from_stage in inside:
            yield Problem(
                "census_code_missing",
                path,
                f"Transition '{t.key}' can end a children's social care episode open at "
                f"'{t.from_stage}' but lists no census closure reason (RC1-RC9).",
            )
        if plain and t.kind == TransitionKind.STEP_DOWN:
            yield Problem(
                "plain_reason_on_step_down",
                path,
                f"Step-down '{t.key}' lists {', '.join(plain)}: a step-down records only the "
                "census code (RC1-RC9) that ends a children's social care episode.",
            )
        elif plain and t.from_stage not in outside:
            yield Problem(
                "plain_reason_inside_csc",
                path,
                f"Transition '{t.key}' lists {', '.join(plain)}, but a case at "
                f"'{t.from_stage}' is always in a children's social care episode, which ends "
                "with a census code (RC1-RC9).",
            )
        if known and not plain and t.kind == TransitionKind.CLOSE and t.from_stage in outside:
            yield Problem(
                "plain_reason_missing",
                path,
                f"Close transition '{t.key}' lists no closure reason for a case outside "
                f"children's social care at '{t.from_stage}' (such as "
                f"'{SupportClosureReason.SUPPORT_COMPLETED.value}').",
            )


DEFINITION_RULES: tuple[DefinitionRule, ...] = (
    _unique_keys,
    _each_stage,
    _each_transition,
    _some_stage_is_terminal,
    _every_open_stage_has_a_way_out,
    _every_stage_is_reachable,
    _timescale_anchors,
    _closure_reasons,
    _first_stage_serves_every_child,
)
