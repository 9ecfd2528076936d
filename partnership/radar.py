"""The audit's radar graph (the framework's "star"), laid out here and drawn twice from the same
geometry: as SVG by `templates/partnership/includes/radar.svg` and with reportlab graphics in
the PDF export.

Two views: one axis per domain (the average agreed score of its statements) and one axis per
scored statement (its agreed score). Each round is one polygon, so two rounds overlay (T1
against T2). A statement or domain without an agreed score is a gap, not a 0: no point on its
axis, and the round's outline is broken there (lines join only neighbouring scored axes). A
domain averaged over only some of its statements says so beside its point ("3.0 (1 of 8
scored)"), drawn hollow, since the average of a partial round overstates or understates the
domain.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from .models import MAX_SCORE, AuditRound
from .selectors import agreed_scores_by_round, domains, scored_statements

VIEWS = ("domains", "statements")
COLOURS = ("#2b6cb0", "#c05621", "#2f855a", "#6b46c1")
SIZE = 520
RADIUS = 180


@dataclass(frozen=True)
class Axis:
    key: str
    label: str
    title: str
    x: float
    y: float
    label_x: float
    label_y: float
    anchor: str


@dataclass(frozen=True)
class Vertex:
    x: float
    y: float
    axis: str
    value: float | None
    # How many of the axis's statements have an agreed score, of how many (1 of 1 per
    # statement).
    scored: int = 0
    of: int = 1

    @property
    def partial(self) -> bool:
        return self.value is not None and self.scored < self.of

    @property
    def text(self) -> str:
        if self.value is None:
            return "not scored"
        if self.partial:
            return f"{self.value:.1f} ({self.scored} of {self.of} scored)"
        return f"{self.value:.1f}"


@dataclass(frozen=True)
class Series:
    label: str
    colour: str
    vertices: tuple[Vertex, ...]

    @property
    def points(self) -> str:
        return " ".join(f"{v.x:.1f},{v.y:.1f}" for v in self.vertices)

    @property
    def complete(self) -> bool:
        """Every axis scored: the round is one closed polygon."""
        return all(v.value is not None for v in self.vertices)

    @property
    def runs(self) -> tuple[str, ...]:
        """With a gap, the outline as open lines through each run of neighbouring scored
        axes (around the circle; a lone scored axis is its point only)."""
        vertices = list(self.vertices)
        gaps = [i for i, v in enumerate(vertices) if v.value is None]
        if not gaps:
            return ()
        start = gaps[0] + 1  # begin after a gap, so a run across the first axis stays whole
        ordered = vertices[start:] + vertices[:start]
        runs: list[list[Vertex]] = [[]]
        for vertex in ordered:
            if vertex.value is None:
                runs.append([])
            else:
                runs[-1].append(vertex)
        return tuple(" ".join(f"{v.x:.1f},{v.y:.1f}" for v in run) for run in runs if len(run) >= 2)


@dataclass(frozen=True)
class Ring:
    value: int
    points: str
    label_x: float
    label_y: float


@dataclass(frozen=True)
class Radar:
    title: str
    view: str
    width: int
    height: int
    cx: float
    cy: float
    axes: tuple[Axis, ...]
    rings: tuple[Ring, ...]
    series: tuple[Series, ...] = field(default=())


def _point(index: int, count: int, radius: float) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * index / count
    return SIZE / 2 + radius * math.cos(angle), SIZE / 2 + radius * math.sin(angle)


def layout(
    *,
    title: str,
    view: str,
    axes: Sequence[tuple[str, str, str]],
    series: Sequence[tuple[str, dict[str, float | None]]],
    scored: Sequence[dict[str, tuple[int, int]]] = (),
) -> Radar:
    """Axes are (key, short label, full title); each series maps axis keys to 0-4 values (an
    axis without one is a gap); `scored`, per series, (statements scored, of how many) per
    axis where that is more than one."""
    count = max(len(axes), 3)
    laid_axes = []
    for index, (key, label, full) in enumerate(axes):
        x, y = _point(index, count, RADIUS)
        label_x, label_y = _point(index, count, RADIUS + 22)
        cos = math.cos(-math.pi / 2 + 2 * math.pi * index / count)
        anchor = "middle" if abs(cos) < 0.2 else ("start" if cos > 0 else "end")
        laid_axes.append(Axis(key, label, full, x, y, label_x, label_y + 4, anchor))
    rings = []
    for value in range(1, MAX_SCORE + 1):
        corners = [_point(i, count, RADIUS * value / MAX_SCORE) for i in range(len(axes))]
        rings.append(
            Ring(
                value,
                " ".join(f"{x:.1f},{y:.1f}" for x, y in corners),
                SIZE / 2 + 4,
                SIZE / 2 - RADIUS * value / MAX_SCORE - 2,
            )
        )
    laid_series = []
    for number, (label, values) in enumerate(series):
        counted = scored[number] if number < len(scored) else {}
        vertices = []
        for index, (key, short, _) in enumerate(axes):
            score = values.get(key)
            if score is None:  # a gap: no point; placed at the centre, never drawn
                x, y = SIZE / 2, SIZE / 2
            else:
                x, y = _point(index, count, RADIUS * score / MAX_SCORE)
            hits, of = counted.get(key, (0 if score is None else 1, 1))
            vertices.append(Vertex(x, y, short, score, hits, of))
        laid_series.append(Series(label, COLOURS[number % len(COLOURS)], tuple(vertices)))
    return Radar(
        title=title,
        view=view,
        width=SIZE,
        height=SIZE,
        cx=SIZE / 2,
        cy=SIZE / 2,
        axes=tuple(laid_axes),
        rings=tuple(rings),
        series=tuple(laid_series),
    )


def round_radar(rounds: Sequence[AuditRound], view: str = "domains") -> Radar:
    """The radar of one round, or several overlaid: three queries."""
    if view not in VIEWS:
        view = "domains"
    agreed = agreed_scores_by_round(rounds)
    statements = list(scored_statements())
    labels = " and ".join(audit_round.label for audit_round in rounds)
    if view == "statements":
        axes = [(s.ref, s.ref, s.text) for s in statements]
        series: list[tuple[str, dict[str, float | None]]] = [
            (
                audit_round.label,
                {ref: float(score) for ref, score in agreed[audit_round.pk].items()},
            )
            for audit_round in rounds
        ]
        return layout(
            title=f"Agreed score per statement: {labels}", view=view, axes=axes, series=series
        )
    domain_of = {s.ref: s.domain.number for s in statements}
    in_domain: dict[str, int] = {}
    for number in domain_of.values():
        in_domain[str(number)] = in_domain.get(str(number), 0) + 1
    domain_axes = [(str(d.number), f"{d.number} {d.short}", d.title) for d in domains()]
    series = []
    scored: list[dict[str, tuple[int, int]]] = []
    for audit_round in rounds:
        totals: dict[str, list[int]] = {}
        for ref, score in agreed[audit_round.pk].items():
            if ref in domain_of:
                totals.setdefault(str(domain_of[ref]), []).append(score)
        averages: dict[str, float | None] = {
            key: round(sum(scores) / len(scores), 2) for key, scores in totals.items() if scores
        }
        series.append((audit_round.label, averages))
        scored.append(
            {
                key: (len(totals.get(key, [])), statements_of)
                for key, statements_of in in_domain.items()
            }
        )
    return layout(
        title=f"Average agreed score per domain: {labels}",
        view=view,
        axes=domain_axes,
        series=series,
        scored=scored,
    )
