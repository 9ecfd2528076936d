"""The case page's age-related notices, computed from the date of birth on the day shown."""

from django import template
from django.utils import timezone

from cases.ages import AdultTransition, adult_transition
from cases.models import Case

register = template.Library()


@register.simple_tag
def adult_transition_of(case: Case) -> AdultTransition | None:
    """`{% adult_transition_of case as transition %}`: the transition to adult services the
    open case of a child displaying HSB calls for once the child is 18 (`cases.ages`)."""
    return adult_transition(
        date_of_birth=case.child.date_of_birth,
        involvement=case.involvement,
        closed=case.closed_at is not None,
        today=timezone.localdate(),
    )
