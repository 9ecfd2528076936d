"""The case page's closure reasons: only those the move allows (pathways.closure holds the rule;
the engine checks it again when the move is taken)."""

from dataclasses import dataclass

from django import template

from cases.models import Case
from pathways.closure import allowed_closure_reasons, closure_reason_label, ends_csc_episode
from pathways.models import Transition

register = template.Library()


@dataclass(frozen=True)
class ClosureChoices:
    choices: list[tuple[str, str]]
    # The move ends a children's social care episode: a census code is recorded.
    ends_csc_episode: bool


@register.simple_tag
def closure_choices(transition: Transition, case: Case) -> ClosureChoices | None:
    """`{% closure_choices t case as closure %}`: the reasons the transition takes for this
    case, or None when the move records no closure reason."""
    allowed = allowed_closure_reasons(transition, case)
    if allowed is None:
        return None
    return ClosureChoices(
        choices=[(reason, closure_reason_label(reason)) for reason in allowed],
        ends_csc_episode=ends_csc_episode(transition, case),
    )
