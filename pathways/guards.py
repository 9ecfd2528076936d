"""Guards: named conditions a transition's pathway data can require.

Each guard reads the facts the actor supplies with the transition (`data`) first, then
what the case already holds, so a decision and its evidence are recorded in one step.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .continuum import ContinuumLevel
from .involvement import Involvement


@dataclass(frozen=True)
class Guard:
    key: str
    description: str
    check: Callable[[Any, dict[str, Any], Any], bool]
    validate_argument: Callable[[Any], str | None]
    # The children whose route may ask it: the continuum describes the behaviour of the
    # child displaying HSB, so no route of a child harmed asks for a level.
    involvements: tuple[str, ...] = tuple(Involvement.values)


def _effective_level(case: Any, data: dict[str, Any]) -> str | None:
    return data.get("continuum_level") or case.confirmed_continuum_level or None


def _levels_argument(argument: Any) -> str | None:
    if not isinstance(argument, list) or not argument:
        return "expects a non-empty list of continuum levels"
    unknown = [level for level in argument if level not in ContinuumLevel.values]
    if unknown:
        return f"names unknown continuum level(s): {', '.join(map(str, unknown))}"
    return None


def _bool_argument(argument: Any) -> str | None:
    return None if isinstance(argument, bool) else "expects true or false"


def _significant_harm(case: Any, data: dict[str, Any], argument: Any) -> bool:
    value = data.get("significant_harm_suspected", case.significant_harm_suspected)
    return bool(value) is argument


GUARDS: dict[str, Guard] = {
    guard.key: guard
    for guard in [
        Guard(
            key="continuum_level_in",
            description="the confirmed continuum level is one of",
            check=lambda case, data, argument: _effective_level(case, data) in argument,
            validate_argument=_levels_argument,
            involvements=(Involvement.DISPLAYING_HSB,),
        ),
        Guard(
            key="significant_harm_suspected",
            description="significant harm is suspected",
            check=_significant_harm,
            validate_argument=_bool_argument,
        ),
    ]
}


def failed_guards(guards: dict[str, Any], case: Any, data: dict[str, Any]) -> list[str]:
    """Keys of the guards that do not hold, in pathway order."""
    return [key for key, argument in guards.items() if not GUARDS[key].check(case, data, argument)]
