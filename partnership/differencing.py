"""Which hidden counts can be worked out from the shown ones by adding and subtracting.

The figures on a dashboard are tied together by linear relations: a numerator and its
complement make the denominator, a breakdown's cells make its total, two figures over the same
rows share one count, the education figure's numerator is two cells of the referral sources.
A reader who knows those relations and the shown counts knows every hidden count that is a
linear combination of them. `determined` finds those exactly (Gauss-Jordan elimination over
the rationals), so `disclosure.secondary_suppression` can keep withholding until no small
count is among them, and the tests can check it from what an analyst is shown.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from fractions import Fraction

# A relation: sum(coefficient * variable) == 0.
Relation = Mapping[Hashable, int]


def determined(
    relations: Iterable[Relation], known: Mapping[Hashable, int], hidden: Iterable[Hashable]
) -> set[Hashable]:
    """The hidden variables whose value follows from the relations and the known values.

    Relations are solved per connected group of hidden variables (mostly one figure each), so
    a whole dashboard costs a few small eliminations, not one large one.
    """
    hidden = set(hidden)
    parent: dict[Hashable, Hashable] = {}

    def root(variable: Hashable) -> Hashable:
        while parent.setdefault(variable, variable) != variable:
            parent[variable] = parent[parent[variable]]
            variable = parent[variable]
        return variable

    reduced: list[tuple[dict[Hashable, int], Fraction]] = []
    for relation in relations:
        terms: dict[Hashable, int] = {}
        constant = Fraction(0)
        for variable, coefficient in relation.items():
            if variable in hidden:
                terms[variable] = terms.get(variable, 0) + coefficient
            else:
                constant -= coefficient * known[variable]
        terms = {variable: c for variable, c in terms.items() if c}
        if not terms:
            continue
        first, *others = terms
        for other in others:
            parent[root(other)] = root(first)
        reduced.append((terms, constant))
    groups: dict[Hashable, list[tuple[dict[Hashable, int], Fraction]]] = {}
    for terms, constant in reduced:
        groups.setdefault(root(next(iter(terms))), []).append((terms, constant))
    found: set[Hashable] = set()
    for group in groups.values():
        variables = list(dict.fromkeys(v for terms, _ in group for v in terms))
        column = {variable: index for index, variable in enumerate(variables)}
        rows = []
        for terms, constant in group:
            row = [Fraction(0)] * (len(variables) + 1)
            for variable, coefficient in terms.items():
                row[column[variable]] = Fraction(coefficient)
            row[-1] = constant
            rows.append(row)
        # In reduced row echelon form, x_i is fixed exactly when a row reads x_i = constant.
        for row_index, col in _reduce(rows, len(variables)):
            if sum(1 for value in rows[row_index][:-1] if value) == 1:
                found.add(variables[col])
    return found


def _reduce(rows: list[list[Fraction]], width: int) -> list[tuple[int, int]]:
    """Gauss-Jordan in place; the (row, column) of each pivot."""
    pivots: list[tuple[int, int]] = []
    top = 0
    for col in range(width):
        found = next((r for r in range(top, len(rows)) if rows[r][col]), None)
        if found is None:
            continue
        rows[top], rows[found] = rows[found], rows[top]
        lead = rows[top][col]
        rows[top] = [value / lead for value in rows[top]]
        for r in range(len(rows)):
            if r != top and rows[r][col]:
                factor = rows[r][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[top], strict=True)]
        pivots.append((top, col))
        top += 1
        if top == len(rows):
            break
    return pivots
