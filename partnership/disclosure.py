"""What a figure may show to whom: small-number suppression and case pseudonyms.

For analysts (`permissions.sees_suppressed_figures`):
- every count from 1 to 4 shows as "<5" (zero stays 0: it discloses no one), in numerators,
  denominators and breakdown cells alike, and the API sends no number for it;
- a share or median computed from a suppressed count shows as "—";
- secondary suppression, as statistical offices do it (`secondary_suppression`): the figures
  shown together are tied by linear relations (a numerator and its complement make the
  denominator; a breakdown's cells make its total; the same count shown in several figures,
  such as a shared denominator, is one count; the education figure's numerator is the schools
  and education-services cells of the referral sources). A count from 1 to 4, shown or not
  (the complement of a numerator is never shown, but is worked out as denominator minus
  numerator), must not follow from the shown counts by adding and subtracting
  (`differencing.determined`); while one does, the smallest count in a relation with it is
  withheld too ("[c]"), preferring a cell or a numerator to a denominator. So 6 of 8 beside
  6 of 8 no longer shows: the 2 not counted would be a small count given away;
- cases are named by a keyed pseudonym: HMAC-SHA256 under the site's SECRET_KEY of the case
  id, truncated, "Case 7F3C-91A2". It is stable (the same case has the same pseudonym on
  every page and export) but cannot be turned back into the case id, the child's reference,
  name or date of birth without the key.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.crypto import salted_hmac

from .differencing import determined
from .figures import EDUCATION_SOURCES, Figure

SUPPRESSED = "<5"
WITHHELD = "[c]"
NOT_SHOWN = "—"
SMALL_MAX = 4
PSEUDONYM_SALT = "partnership.case-pseudonym"


def is_small(count: int | None) -> bool:
    return count is not None and 1 <= count <= SMALL_MAX


def pseudonym(case_id: int) -> str:
    digest = salted_hmac(PSEUDONYM_SALT, str(case_id), algorithm="sha256").hexdigest()
    code = digest[:8].upper()
    return f"Case {code[:4]}-{code[4:]}"


@dataclass(frozen=True)
class Shown:
    """A count or share as a reader sees it: the number (None when withheld) and its text."""

    value: float | int | None
    display: str
    withheld: bool = False


def show_count(count: int | None, *, suppress: bool) -> Shown:
    if count is None:
        return Shown(None, NOT_SHOWN)
    if suppress and is_small(count):
        return Shown(None, SUPPRESSED, withheld=True)
    return Shown(count, f"{count:,}")


def show_share(numerator: Shown, denominator: Shown) -> Shown:
    if numerator.value is None or denominator.value is None or not denominator.value:
        return Shown(None, NOT_SHOWN, withheld=numerator.withheld or denominator.withheld)
    share = round(100 * numerator.value / denominator.value, 1)
    return Shown(share, f"{share:g}%")


@dataclass(frozen=True)
class ShownCell:
    key: str
    label: str
    count: Shown
    share: Shown


@dataclass(frozen=True)
class ShownFigure:
    """A figure ready for a page or the API, with what the reader may not see withheld."""

    figure: Figure
    numerator: Shown
    denominator: Shown
    share: Shown
    value: Shown
    cells: tuple[ShownCell, ...]
    suppressed: bool

    def __getattr__(self, name: str) -> Any:
        # key, statement, label, definition, unit, value_label … come from the figure.
        if name == "figure":
            raise AttributeError(name)
        return getattr(self.figure, name)

    @property
    def any_withheld(self) -> bool:
        return (
            self.numerator.withheld
            or self.denominator.withheld
            or any(cell.count.withheld for cell in self.cells)
        )


# --- secondary suppression ----------------------------------------------------------------

# A shown part of a figure: (figure key, "numerator" | "denominator" | "cell", cell key).
Part = tuple[str, str, str]
# The education figure's numerator is these cells of the referral sources.
EDUCATION_CELLS = tuple(str(source) for source in EDUCATION_SOURCES)


@dataclass
class DisclosureModel:
    """The counts a set of figures shows and the relations a reader knows between them."""

    values: dict[Hashable, int] = field(default_factory=dict)
    parts: dict[Part, Hashable] = field(default_factory=dict)
    # Counts never shown but known to exist: complements and breakdown remainders.
    implicit: set[Hashable] = field(default_factory=set)
    relations: list[dict[Hashable, int]] = field(default_factory=list)

    def relate(self, *terms: tuple[Hashable, int]) -> None:
        relation: dict[Hashable, int] = {}
        for variable, coefficient in terms:
            relation[variable] = relation.get(variable, 0) + coefficient
        relation = {variable: c for variable, c in relation.items() if c}
        if relation:
            self.relations.append(relation)

    def show(self, part: Part, variable: Hashable, count: int) -> Hashable:
        self.values[variable] = count
        self.parts[part] = variable
        return variable

    def hide(self, variable: Hashable, count: int) -> Hashable:
        self.values[variable] = count
        self.implicit.add(variable)
        return variable


def disclosure_model(figures: Iterable[Figure]) -> DisclosureModel:
    """What a reader of these figures, shown together, can relate.

    Numerators and denominators are keyed by their value: two equal totals are taken to be
    the same count (a shared denominator is; a coincidence is treated as one, which can only
    withhold more, never less).
    """
    model = DisclosureModel()
    by_key = {figure.key: figure for figure in figures}
    for figure in by_key.values():
        n = d = None
        if figure.numerator is not None:
            n = model.show(
                (figure.key, "numerator", ""), ("count", figure.numerator), figure.numerator
            )
        if figure.denominator is not None:
            d = model.show(
                (figure.key, "denominator", ""), ("count", figure.denominator), figure.denominator
            )
        if figure.numerator is not None and figure.denominator is not None:
            rest = model.hide(("complement", figure.key), figure.denominator - figure.numerator)
            model.relate((n, 1), (rest, 1), (d, -1))
        base, base_count = (n, figure.numerator) if n is not None else (d, figure.denominator)
        if not figure.cells or base is None or base_count is None:
            continue
        cells = [
            model.show((figure.key, "cell", cell.key), ("cell", figure.key, cell.key), cell.count)
            for cell in figure.cells
        ]
        remainder = base_count - sum(cell.count for cell in figure.cells)
        if remainder < 0:
            continue  # cells that overlap make no sum a reader could use
        terms = [(cell, 1) for cell in cells] + [(base, -1)]
        if remainder:
            terms.append((model.hide(("remainder", figure.key), remainder), 1))
        model.relate(*terms)
    education, sources = by_key.get("education_share"), by_key.get("referral_sources")
    if education is not None and sources is not None and education.numerator is not None:
        counts = {cell.key: cell.count for cell in sources.cells}
        if education.numerator == sum(counts.get(code, 0) for code in EDUCATION_CELLS):
            model.relate(
                (model.parts[("education_share", "numerator", "")], 1),
                *[(("cell", "referral_sources", c), -1) for c in EDUCATION_CELLS if c in counts],
            )
    return model


@dataclass(frozen=True)
class Suppression:
    primary: frozenset[Part]
    secondary: frozenset[Part]


def secondary_suppression(figures: Iterable[Figure]) -> Suppression:
    """The parts to show as "<5" (primary) and as "[c]" (secondary) so that no count from 1
    to 4 follows from the shown ones."""
    model = disclosure_model(figures)
    sensitive = {variable for variable, count in model.values.items() if is_small(count)}
    shown_variables = set(model.parts.values())
    primary = shown_variables & sensitive
    secondary: set[Hashable] = set()
    while True:
        unknown = primary | secondary | model.implicit
        known = {v: count for v, count in model.values.items() if v not in unknown}
        exposed = determined(model.relations, known, unknown) & sensitive
        if not exposed:
            break
        choice = _complementary(model, exposed, unknown)
        if choice is None:
            break  # everything related is withheld already
        secondary.add(choice)
    return Suppression(
        primary=frozenset(p for p, v in model.parts.items() if v in primary),
        secondary=frozenset(p for p, v in model.parts.items() if v in secondary),
    )


def _complementary(
    model: DisclosureModel, exposed: set[Hashable], unknown: set[Hashable]
) -> Hashable | None:
    """The count to withhold next: in a relation with an exposed count (or, failing that,
    one step further through withheld counts), the smallest non-zero shown one, a cell or a
    numerator before a denominator, which would withhold more figures."""
    denominators = {v for (_, part, _), v in model.parts.items() if part == "denominator"}
    shown = set(model.parts.values()) - unknown
    frontier, seen = set(exposed), set(exposed)
    while frontier:
        relations = [r for r in model.relations if frontier & r.keys()]
        candidates = {v for r in relations for v in r if v in shown and model.values[v]}
        if candidates:
            return min(candidates, key=lambda v: (v in denominators, model.values[v], repr(v)))
        frontier = {v for r in relations for v in r if v in unknown} - seen
        seen |= frontier
    return None


def show_figures(figures: Iterable[Figure], *, suppress: bool) -> list[ShownFigure]:
    """Figures shown together, with secondary suppression across all of them for analysts.

    Every page, export or text that shows an analyst figures goes through here with the
    whole dashboard, so the same count is withheld everywhere it appears.
    """
    figures = list(figures)
    if not suppress:
        return [show_figure(figure, suppress=False) for figure in figures]
    suppression = secondary_suppression(figures)
    return [show_figure(figure, suppress=True, withheld=suppression) for figure in figures]


def withheld_parts(figures: Iterable[Figure]) -> frozenset[Part]:
    suppression = secondary_suppression(figures)
    return suppression.primary | suppression.secondary


def _show_part(
    count: int | None, part: Part, *, suppress: bool, withheld: Suppression | None
) -> Shown:
    if suppress and withheld is not None and count is not None:
        if part in withheld.primary:
            return Shown(None, SUPPRESSED, withheld=True)
        if part in withheld.secondary:
            return Shown(None, WITHHELD, withheld=True)
    return show_count(count, suppress=suppress)


def _cells(
    figure: Figure, base: Shown, *, suppress: bool, withheld: Suppression
) -> tuple[ShownCell, ...]:
    cells = []
    for cell in figure.cells:
        shown = _show_part(
            cell.count, (figure.key, "cell", cell.key), suppress=suppress, withheld=withheld
        )
        cells.append(ShownCell(cell.key, cell.label, shown, show_share(shown, base)))
    return tuple(cells)


def show_figure(
    figure: Figure, *, suppress: bool, withheld: Suppression | None = None
) -> ShownFigure:
    """One figure. For analysts, `withheld` comes from `secondary_suppression` over every
    figure shown beside it; alone, the figure is protected against its own relations only."""
    if suppress and withheld is None:
        withheld = secondary_suppression([figure])
    withheld = withheld or Suppression(frozenset(), frozenset())
    numerator = _show_part(
        figure.numerator, (figure.key, "numerator", ""), suppress=suppress, withheld=withheld
    )
    denominator = _show_part(
        figure.denominator, (figure.key, "denominator", ""), suppress=suppress, withheld=withheld
    )
    base = numerator if figure.numerator is not None else denominator
    if figure.value is None:
        value = Shown(None, NOT_SHOWN)
    elif suppress and (is_small(figure.value_count)):
        value = Shown(None, NOT_SHOWN, withheld=True)
    else:
        value = Shown(figure.value, f"{figure.value:g}")
    return ShownFigure(
        figure=figure,
        numerator=numerator,
        denominator=denominator,
        share=show_share(numerator, denominator),
        value=value,
        cells=_cells(figure, base, suppress=suppress, withheld=withheld),
        suppressed=suppress,
    )
