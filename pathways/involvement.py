"""Whose route a stage or transition is: the child displaying HSB, the child harmed, or both.

Each child in a referral has a case of their own, and the pathway routes each by their own
involvement: the continuum of sexual behaviours describes the behaviour of the child
displaying HSB, never the child harmed, whose route is support, safety planning and
therapeutic referral (the serious case reviews warn that one child's behaviour can distract
from another child's needs). Pathway data names these keys; cases use the same choices.
"""

from django.db import models


class Involvement(models.TextChoices):
    DISPLAYING_HSB = "displaying_hsb", "Child displaying HSB"
    HARMED = "harmed", "Child harmed"


def every_involvement() -> list[str]:
    """A stage's or transition's involvements when the pathway names none: every child's."""
    return list(Involvement.values)


def involvement_label(key: str) -> str:
    """'a child displaying HSB' / 'a child harmed', for messages."""
    if key not in Involvement.values:
        return f"'{key}'"
    return "a " + str(Involvement(key).label).replace("Child", "child", 1)
