"""What a figure may show to whom: small-number suppression and case pseudonyms.

For analysts (`permissions.sees_suppressed_figures`):
- every count from 1 to 4 shows as "<5" (zero stays 0: it discloses no one), in numerators,
  denominators and breakdown cells alike, and the API sends no number for it;
- a share or median computed from a suppressed count shows as "—";
- in a breakdown with exactly one suppressed cell, the smallest other non-zero cell is
  withheld too ("[c]"), or the suppressed count could be worked out from the total;
- cases are named by a keyed pseudonym: HMAC-SHA256 under the site's SECRET_KEY of the case
  id, truncated, "Case 7F3C-91A2". It is stable (the same case has the same pseudonym on
  every page and export) but cannot be turned back into the case id, the child's reference,
  name or date of birth without the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.crypto import salted_hmac

from .selectors import Figure

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


def _cells(figure: Figure, base: Shown, *, suppress: bool) -> tuple[ShownCell, ...]:
    counts = [show_count(cell.count, suppress=suppress) for cell in figure.cells]
    if suppress and sum(1 for shown in counts if shown.withheld) == 1 and base.value is not None:
        # One suppressed cell is the total minus the others: withhold the next smallest.
        candidates = [
            (cell.count, index)
            for index, (cell, shown) in enumerate(zip(figure.cells, counts, strict=True))
            if not shown.withheld and cell.count
        ]
        if candidates:
            _, index = min(candidates)
            counts[index] = Shown(None, WITHHELD, withheld=True)
    return tuple(
        ShownCell(cell.key, cell.label, shown, show_share(shown, base))
        for cell, shown in zip(figure.cells, counts, strict=True)
    )


def show_figure(figure: Figure, *, suppress: bool) -> ShownFigure:
    numerator = show_count(figure.numerator, suppress=suppress)
    denominator = show_count(figure.denominator, suppress=suppress)
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
        cells=_cells(figure, base, suppress=suppress),
        suppressed=suppress,
    )
