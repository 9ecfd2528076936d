"""The continuum of sexual behaviours (Hackett 2010), as used by guards and referrals."""

from django.db import models


class ContinuumLevel(models.TextChoices):
    NORMAL = "normal", "Normal"
    INAPPROPRIATE = "inappropriate", "Inappropriate"
    PROBLEMATIC = "problematic", "Problematic"
    ABUSIVE = "abusive", "Abusive"
    VIOLENT = "violent", "Violent"


class ClosureReason(models.TextChoices):
    # DfE Children in Need census closure reasons (practice reference).
    RC1 = "RC1", "RC1 Adopted"
    RC2 = "RC2", "RC2 Died"
    RC3 = "RC3", "RC3 Child arrangements order"
    RC4 = "RC4", "RC4 Special guardianship order"
    RC5 = "RC5", "RC5 Transferred to another local authority"
    RC6 = "RC6", "RC6 Transferred to adult social care"
    RC7 = "RC7", "RC7 Services ceased for any other reason, including child no longer in need"
    RC8 = "RC8", "RC8 Closed after assessment, no further action"
    RC9 = "RC9", "RC9 Closed after assessment, referred to early help"


# The Brook traffic light colour that fits each continuum level, as the framework relates the
# two (hsb-framework-2019, "the Brook traffic light"; shared/domain/continuum.yaml): green
# behaviours are normal; amber ones inappropriate or problematic; red ones abusive or violent.
# The colour is recorded as the referrer read it off Brook's tool, and checked against the
# level here (`brook_colour_problem`), so the two scales never contradict each other.
BROOK_COLOUR: dict[str, str] = {
    ContinuumLevel.NORMAL: "green",
    ContinuumLevel.INAPPROPRIATE: "amber",
    ContinuumLevel.PROBLEMATIC: "amber",
    ContinuumLevel.ABUSIVE: "red",
    ContinuumLevel.VIOLENT: "red",
}


def brook_colour_guide() -> str:
    """Which levels each colour fits, in words: "green: normal; amber: inappropriate or
    problematic; red: abusive or violent"."""
    levels_of: dict[str, list[str]] = {}
    for level, colour in BROOK_COLOUR.items():
        levels_of.setdefault(colour, []).append(ContinuumLevel(level).label.lower())
    return "; ".join(f"{colour}: {' or '.join(levels)}" for colour, levels in levels_of.items())


def brook_colour_problem(level: str, colour: str) -> str | None:
    """Why a behaviour at `level` cannot carry the traffic light `colour`, or None when the
    colour fits the level (or either is not one of the known values: refused by name elsewhere)."""
    fits = BROOK_COLOUR.get(level)
    if fits is None or colour == fits or colour not in BROOK_COLOUR.values():
        return None
    article = "An" if level[0] in "aeiou" else "A"
    return (
        f"{article} {level} behaviour cannot be {colour}: on the Brook traffic light it is "
        f"{fits} ({brook_colour_guide()})."
    )
