"""Artefacts: what must exist before a case leaves a stage (pathway data names them by key)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .continuum import ClosureReason


@dataclass(frozen=True)
class Artefact:
    key: str
    description: str
    present: Callable[[Any, dict[str, Any]], bool]


def _authorised_assessment(case: Any, data: dict[str, Any]) -> bool:
    from assessments.selectors import case_has_authorised_assessment

    return case_has_authorised_assessment(case=case, since=case.stage_entered_at)


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
            present=_authorised_assessment,
        ),
        Artefact(
            key="closure_reason",
            description="a census closure reason (RC1-RC9)",
            present=lambda case, data: data.get("closure_reason") in ClosureReason.values,
        ),
    ]
}


def missing_artefacts(keys: list[str], case: Any, data: dict[str, Any]) -> list[str]:
    return [key for key in keys if not ARTEFACTS[key].present(case, data)]
