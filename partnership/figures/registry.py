"""The figure registry: what a figure is (`Figure`, its `Cell`s), how it is registered
(`register_figure`, keyed in `FIGURES`) with the function computing it and the one giving
the cases behind each of its parts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from cases.models import Case

from ..exceptions import InvalidDashboardFilter
from .scope import Scope

CASES = "cases"
REFERRALS = "referrals of children"
ASSESSMENTS = "assessments"
CHILDREN = "children"
OPEN_CASES = "open cases"


@dataclass(frozen=True)
class Cell:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Figure:
    """One figure: what it counts and of what, the statement it informs, and how it is read.

    `cells` break down the numerator when there is one, else the denominator.
    """

    key: str
    statement: str
    domain: int
    label: str
    definition: str
    unit: str
    numerator: int | None
    denominator: int | None
    value: float | None = None
    value_label: str = ""
    # How many rows the median is taken over (it is withheld with them when few).
    value_count: int | None = None
    cells: tuple[Cell, ...] = ()
    higher_is_better: bool | None = True

    @property
    def cell_base(self) -> int | None:
        return self.numerator if self.numerator is not None else self.denominator


@dataclass(frozen=True)
class FigureSpec:
    key: str
    statement: str
    label: str
    definition: str
    unit: str
    compute: Callable[[Scope], Figure]
    cases: Callable[[Scope, str, str], QuerySet[Case]]
    value_label: str = ""
    higher_is_better: bool | None = True

    @property
    def domain(self) -> int:
        return int(self.statement.split(".")[0])


FIGURES: dict[str, FigureSpec] = {}
PARTS = ("numerator", "denominator", "cell")


def make_figure(
    key: str,
    *,
    numerator: int | None,
    denominator: int | None,
    value: float | None = None,
    value_count: int | None = None,
    cells: Iterable[Cell] = (),
) -> Figure:
    spec = FIGURES[key]
    return Figure(
        key=key,
        statement=spec.statement,
        domain=spec.domain,
        label=spec.label,
        definition=spec.definition,
        unit=spec.unit,
        numerator=numerator,
        denominator=denominator,
        value=value,
        value_label=spec.value_label,
        value_count=value_count,
        cells=tuple(cells),
        higher_is_better=spec.higher_is_better,
    )


def register_figure(
    key: str,
    *,
    statement: str,
    label: str,
    definition: str,
    unit: str,
    cases: Callable[[Scope, str, str], QuerySet[Case]],
    value_label: str = "",
    higher_is_better: bool | None = True,
) -> Callable[[Callable[[Scope], Figure]], Callable[[Scope], Figure]]:
    def register(compute: Callable[[Scope], Figure]) -> Callable[[Scope], Figure]:
        FIGURES[key] = FigureSpec(
            key=key,
            statement=statement,
            label=label,
            definition=definition,
            unit=unit,
            compute=compute,
            cases=cases,
            value_label=value_label,
            higher_is_better=higher_is_better,
        )
        return compute

    return register


def cases_of_part(
    part: str,
    cell: str,
    *,
    numerator: Callable[[], QuerySet[Case]] | None,
    denominator: Callable[[], QuerySet[Case]] | None,
    cells: Callable[[str], QuerySet[Case]] | None = None,
) -> QuerySet[Case]:
    if part == "numerator" and numerator is not None:
        return numerator()
    if part == "denominator" and denominator is not None:
        return denominator()
    if part == "cell" and cells is not None:
        return cells(cell)
    raise InvalidDashboardFilter(
        "This figure has no such part.", fields={"part": [f"'{part}' is not available."]}
    )
