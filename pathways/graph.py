"""Lay out a pathway version as a stage graph: tiers are columns, stages are boxes.

The layout is computed here and drawn as SVG by `templates/pathways/includes/graph.svg`;
a case's route is laid over it by marking the stages and transitions it took.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agencies.roles import Role

from .definitions import TIER_KEYS, PathwayDefinition

BOX_W, BOX_H = 190, 64
COL_W, ROW_H = 250, 100
MARGIN_X, MARGIN_Y = 20, 50

KIND_COLOURS = {
    "route": "#4a5568",
    "step_up": "#c53030",
    "step_down": "#2f855a",
    "close": "#1a202c",
    "reopen": "#6b46c1",
}


@dataclass
class Box:
    key: str
    name: str
    tier: str
    role: str
    timescale: str
    terminal: bool
    x: int
    y: int
    visited: bool = False
    current: bool = False
    w: int = BOX_W
    h: int = BOX_H

    @property
    def cx(self) -> int:
        return self.x + self.w // 2

    @property
    def cy(self) -> int:
        return self.y + self.h // 2


@dataclass
class Arrow:
    key: str
    name: str
    kind: str
    path: str
    colour: str
    taken: int = 0


@dataclass
class Graph:
    width: int
    height: int
    columns: list[dict[str, Any]]
    boxes: list[Box]
    arrows: list[Arrow] = field(default_factory=list)


def _role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else role


def _timescale(stage: Any) -> str:
    if stage.timescale_working_days is None:
        return "no timescale"
    origin = {"referral": "of referral", "csc_referral": "of referral to social care"}.get(
        stage.timescale_from, "of entry"
    )
    return f"{stage.timescale_working_days} working day(s) {origin}"


def _edge_path(a: Box, b: Box, offset: int) -> str:
    if a is b:
        return f"M{a.x + a.w} {a.cy} c40 -40 40 40 0 0"
    # Leave and enter on the facing sides; curve so parallel edges do not overlap.
    if abs(a.cx - b.cx) > BOX_W:
        x1 = a.x + a.w if b.cx > a.cx else a.x
        x2 = b.x if b.cx > a.cx else b.x + b.w
        y1, y2 = a.cy + offset, b.cy + offset
    else:
        x1, x2 = a.cx + offset, b.cx + offset
        y1 = a.y + a.h if b.cy > a.cy else a.y
        y2 = b.y if b.cy > a.cy else b.y + b.h
    mx, my = (x1 + x2) / 2 + offset * 2, (y1 + y2) / 2 - offset * 2
    return f"M{x1} {y1} Q{mx:.0f} {my:.0f} {x2} {y2}"


def layout(
    definition: PathwayDefinition,
    *,
    visited: set[str] | None = None,
    current: str | None = None,
    taken: dict[str, int] | None = None,
) -> Graph:
    tiers = list(TIER_KEYS)
    rows = dict.fromkeys(tiers, 0)
    boxes: dict[str, Box] = {}
    open_stages = [s for s in definition.stages if not s.terminal]
    terminal = [s for s in definition.stages if s.terminal]
    for stage in open_stages:
        column = tiers.index(stage.tier) if stage.tier in tiers else 0
        boxes[stage.key] = Box(
            key=stage.key,
            name=stage.name,
            tier=stage.tier,
            role=_role_label(stage.responsible_role),
            timescale=_timescale(stage),
            terminal=False,
            x=MARGIN_X + column * COL_W,
            y=MARGIN_Y + rows[stage.tier] * ROW_H,
        )
        rows[stage.tier] = rows.get(stage.tier, 0) + 1
    bottom = MARGIN_Y + max(rows.values(), default=0) * ROW_H
    for index, stage in enumerate(terminal):
        boxes[stage.key] = Box(
            key=stage.key,
            name=stage.name,
            tier=stage.tier,
            role=_role_label(stage.responsible_role),
            timescale="terminal",
            terminal=True,
            x=MARGIN_X + (index + 1) * COL_W,
            y=bottom,
        )
    for key in visited or set():
        if key in boxes:
            boxes[key].visited = True
    if current in boxes:
        boxes[current].current = True
    arrows = []
    seen_pairs: dict[tuple[str, str], int] = {}
    for transition in definition.transitions:
        a, b = boxes.get(transition.from_stage), boxes.get(transition.to_stage)
        if a is None or b is None:
            continue
        pair = (transition.from_stage, transition.to_stage)
        offset = seen_pairs.get(pair, 0) * 8 - 4
        seen_pairs[pair] = seen_pairs.get(pair, 0) + 1
        arrows.append(
            Arrow(
                key=transition.key,
                name=transition.name,
                kind=transition.kind,
                path=_edge_path(a, b, offset),
                colour=KIND_COLOURS.get(transition.kind, "#4a5568"),
                taken=(taken or {}).get(transition.key, 0),
            )
        )
    columns = [
        {"label": tier.replace("_", " ").capitalize(), "x": MARGIN_X + i * COL_W + BOX_W // 2}
        for i, tier in enumerate(tiers)
    ]
    return Graph(
        width=MARGIN_X * 2 + len(tiers) * COL_W,
        height=bottom + ROW_H + MARGIN_Y,
        columns=columns,
        boxes=list(boxes.values()),
        arrows=arrows,
    )
