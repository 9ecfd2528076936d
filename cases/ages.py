"""A child's age as the HSB pathways use it: who may be referred, and when an open case is due
to move to adult services. An age is computed from the date of birth on the day in question,
never stored, so nothing here goes stale as the child grows older.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from .models import Involvement, age_on

# HSB is "sexual behaviours expressed by children and young people under the age of 18"
# (the framework's definition, after Hackett 2014): at 18 a young person is an adult.
ADULT_AGE = 18
# The youngest child referred as displaying HSB. Sexual behaviour in infancy and early
# childhood is "largely exploratory" (the framework), so a concern about a child under 4 is
# a concern about their care, not a referral of their behaviour.
MIN_AGE_DISPLAYING_HSB = 4
# The framework's transition window: "young people aged 18 to 21" (transition issues).
TRANSITION_LAST_AGE = 21


def referral_age_problem(
    date_of_birth: datetime.date, involvement: str, received_on: datetime.date
) -> str | None:
    """Why a child of this age cannot be named with this involvement in a referral received
    on `received_on`, or None. A child displaying HSB is 4 to 17. A child harmed is a child,
    under 18, with no lower bound: babies can be harmed (an adult harmed is for adult
    safeguarding, not a children's pathway). An involvement not chosen yet (refused by name
    elsewhere) is held to the bound every child shares, under 18."""
    age = age_on(date_of_birth, received_on)
    when = f"this child was {age} when the referral was received"
    if involvement == Involvement.DISPLAYING_HSB:
        if age >= ADULT_AGE:
            return (
                f"A child displaying HSB must be under {ADULT_AGE} at referral: {when}. HSB is "
                f"behaviour of children under {ADULT_AGE}; a young adult's support is a matter "
                "for adult services."
            )
        if age < MIN_AGE_DISPLAYING_HSB:
            return (
                f"A child displaying HSB must be at least {MIN_AGE_DISPLAYING_HSB} at referral: "
                f"{when}. A very young child's sexual behaviour is largely exploratory; raise a "
                "concern about their care instead."
            )
        return None
    if age >= ADULT_AGE:
        who = "A child harmed" if involvement == Involvement.HARMED else "A child"
        return (
            f"{who} must be under {ADULT_AGE} at referral: {when}. An adult harmed is for "
            "adult safeguarding."
        )
    return None


@dataclass(frozen=True)
class AdultTransition:
    """An open case whose child displaying HSB is now an adult: transition to adult services
    is due (18 to 21), or overdue past the framework's window."""

    age: int
    adult_on: datetime.date  # the 18th birthday
    window_ends_on: datetime.date  # the 22nd birthday: the end of "18 to 21"

    @property
    def past_window(self) -> bool:
        return self.age > TRANSITION_LAST_AGE


def _birthday(date_of_birth: datetime.date, age: int) -> datetime.date:
    # A 29 February birthday falls on 1 March in other years, as `age_on` counts it.
    try:
        return date_of_birth.replace(year=date_of_birth.year + age)
    except ValueError:
        return datetime.date(date_of_birth.year + age, 3, 1)


def adult_transition(
    *,
    date_of_birth: datetime.date,
    involvement: str,
    closed: bool,
    today: datetime.date,
) -> AdultTransition | None:
    """The transition to adult services an open case of a child displaying HSB calls for, once
    the child is 18, computed from the date of birth and today; None otherwise. Past 21 it
    stays shown: a case still open then needs the transition more, not less. A child harmed's
    case is not flagged: the framework's transition concerns young people displaying HSB."""
    if closed or involvement != Involvement.DISPLAYING_HSB:
        return None
    age = age_on(date_of_birth, today)
    if age < ADULT_AGE:
        return None
    return AdultTransition(
        age=age,
        adult_on=_birthday(date_of_birth, ADULT_AGE),
        window_ends_on=_birthday(date_of_birth, TRANSITION_LAST_AGE + 1),
    )
