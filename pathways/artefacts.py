"""Artefacts: what must exist before a case leaves a stage (pathway data names them by key)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .closure import CLOSURE_REASONS


@dataclass(frozen=True)
class Artefact:
    key: str
    description: str
    present: Callable[[Any, dict[str, Any]], bool]


RequirementCheck = Callable[[Any, dict[str, Any]], bool]

# Requirements only a higher app can check (assessments: "authorised_assessment"), registered
# from its AppConfig.ready(): pathways sits below them and never imports them.
_REQUIREMENT_CHECKS: dict[str, RequirementCheck] = {}


def register_requirement_check(key: str, check: RequirementCheck) -> None:
    """Say how a requirement named in pathway data is checked: `check(case, data)`."""
    _REQUIREMENT_CHECKS[key] = check


def _registered(key: str) -> RequirementCheck:
    def present(case: Any, data: dict[str, Any]) -> bool:
        check = _REQUIREMENT_CHECKS.get(key)
        # No app registered a check: the requirement is never met, so no case leaves a stage
        # on a requirement nobody checked.
        return check is not None and check(case, data)

    return present


ARTEFACTS: dict[str, Artefact] = {
    artefact.key: artefact
    for artefact in [
        Artefact(
            key="lead_practitioner",
            description="a designated lead practitioner",
            present=lambda case, data: case.lead_practitioner_id is not None,
        ),
        Artefact(
            key="authorised_assessment",
            description="an assessment authorised at this stage",
            present=_registered("authorised_assessment"),
        ),
        Artefact(
            key="closure_reason",
            # Which reason fits the move is the closure rule's (pathways.closure).
            description="a closure reason",
            present=lambda case, data: data.get("closure_reason") in CLOSURE_REASONS,
        ),
    ]
}


def missing_artefacts(keys: list[str], case: Any, data: dict[str, Any]) -> list[str]:
    return [key for key in keys if not ARTEFACTS[key].present(case, data)]
