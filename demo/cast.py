"""The demo's children: invented names, and ages and sexes like a partnership's caseload.

From the framework (shared/domain/hsb-framework-2019.txt): "the vast majority of adolescents
engaging in HSB are male" (97.4 per cent of 1,600 in Ryan et al, 1996), while "there are a
substantial number of young girls as well as young boys among younger children with
problematic sexual behaviours" (Chaffin et al, 2008); abusive behaviour is mostly an
adolescent's, problematic and inappropriate behaviour more often a younger child's. Children
harmed are known to the child displaying HSB, often younger (an average age just over eight,
Taylor 2003), about twice as many girls as boys.

Every name is invented: common first names that match the child's sex, each used once, with
made-up surnames, each family's its own. The draws come from the loader's seeded generator,
so the demo is the same on every load.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from cases.codes import Gender

# Children displaying HSB in the demo are 5-16 at referral, inside intake's 4-17.
YOUNGEST_DISPLAYING_HSB = 5
OLDEST_DISPLAYING_HSB = 16
ADOLESCENT_FROM = 12
# Ages at referral by the behaviour's continuum level (inclusive).
AGE_BANDS: dict[str, tuple[int, int]] = {
    "normal": (5, 10),
    "inappropriate": (7, 15),
    "problematic": (5, 12),
    "abusive": (11, 16),
    "violent": (13, 16),
}
# One child displaying HSB in so many is a girl: few adolescents, more younger children.
GIRL_EVERY = {"adolescent": 25, "younger": 3}
HARMED_BOY_EVERY = 3  # two girls harmed for every boy
YOUNGEST_HARMED = 4

BOY_NAMES = [
    "Oliver", "Noah", "Leo", "Arthur", "Oscar", "Theo", "Harry", "Jack", "Finley", "Archie",
    "Henry", "Alfie", "Freddie", "Charlie", "Reuben", "Ezra", "Jude", "Kai", "Rory", "Elliot",
    "Mason", "Louis", "Isaac", "Toby", "Zain", "Ibrahim", "Kayden", "Ronan", "Callum", "Dylan",
    "Tyler", "Jayden", "Owen", "Ethan", "Lewis", "Aaron", "Kian", "Bilal", "Declan", "Samuel",
]  # fmt: skip
GIRL_NAMES = [
    "Amelia", "Isla", "Ava", "Freya", "Mia", "Evie", "Layla", "Zara", "Maya", "Nia",
    "Poppy", "Ruby", "Grace", "Daisy", "Phoebe", "Aisha", "Sienna", "Erin", "Holly", "Imogen",
    "Lily", "Rosie", "Esme", "Hana", "Leah", "Megan", "Chloe", "Eliza", "Tilly", "Niamh",
    "Skye", "Jasmine", "Maryam", "Keira", "Lola", "Bethany", "Alys", "Heidi", "Orla", "Safa",
]  # fmt: skip
# Surnames made of a stem and an ending: 240 invented families, none repeated.
SURNAME_STEMS = [
    "Alder", "Bram", "Cran", "Dun", "Elm", "Fern", "Gorse", "Hazel", "Ivel", "Kes",
    "Lark", "Moss", "Nether", "Orm", "Pem", "Quen", "Rook", "Sedge", "Thorn", "Wil",
]  # fmt: skip
SURNAME_ENDINGS = [
    "by", "combe", "dale", "field", "ford", "hurst", "ley", "mere", "stow", "thorpe", "well",
    "wick",
]  # fmt: skip


@dataclass(frozen=True)
class CastMember:
    first_name: str
    last_name: str
    gender: str
    age: int  # whole years on the day the referral is received


def family_name(number: int) -> str:
    """The `number`th invented surname; the first 240 are all different."""
    stems, endings = len(SURNAME_STEMS), len(SURNAME_ENDINGS)
    stem = number % stems
    # For one stem, successive numbers take successive endings: no pair repeats.
    ending = (number // stems + 5 * stem) % endings
    return SURNAME_STEMS[stem] + SURNAME_ENDINGS[ending]


class Cast:
    """Hands out the demo's children in order: each first name once per sex (while the lists
    last) and each child a family of their own."""

    def __init__(self) -> None:
        self._named: dict[str, int] = {Gender.BOY: 0, Gender.GIRL: 0}
        self._families = 0
        self._harmed = 0
        self._displaying = {"adolescent": 0, "younger": 0}

    def _member(self, gender: str, age: int) -> CastMember:
        names = BOY_NAMES if gender == Gender.BOY else GIRL_NAMES
        first = names[self._named[gender] % len(names)]
        self._named[gender] += 1
        last = family_name(self._families)
        self._families += 1
        return CastMember(first_name=first, last_name=last, gender=gender, age=age)

    def displaying_hsb(self, rng: random.Random, level: str) -> CastMember:
        low, high = AGE_BANDS.get(level, (YOUNGEST_DISPLAYING_HSB, OLDEST_DISPLAYING_HSB))
        age = rng.randint(low, high)
        band = "adolescent" if age >= ADOLESCENT_FROM else "younger"
        self._displaying[band] += 1
        # In turn rather than drawn, so the ratio holds in any run of the demo.
        girl = self._displaying[band] % GIRL_EVERY[band] == GIRL_EVERY[band] // 2
        return self._member(Gender.GIRL if girl else Gender.BOY, age)

    def harmed(self, rng: random.Random, other_age: int) -> CastMember:
        # Usually younger than the child displaying HSB, sometimes a peer.
        age = rng.randint(max(YOUNGEST_HARMED, other_age - 6), max(YOUNGEST_HARMED, other_age))
        self._harmed += 1
        gender = Gender.BOY if self._harmed % HARMED_BOY_EVERY == 0 else Gender.GIRL
        return self._member(gender, age)
