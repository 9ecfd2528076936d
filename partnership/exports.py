"""A round's exports: XLSX (through `core.spreadsheets.xlsx_bytes`, formulas neutralised) and
a printable PDF with the radar drawn by reportlab graphics and the protective marking.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.text import slugify

from core.pdf import MarkedDocument
from core.spreadsheets import xlsx_bytes

from .models import AuditRound
from .radar import Radar, round_radar
from .selectors import RoundOverview, round_agency_scores, round_overview

STATEMENT_HEADER_BEFORE = ("Domain", "Ref", "Statement")
STATEMENT_HEADER_AFTER = ("Lowest agency score", "Agreed score", "Basis", "Rationale")


@dataclass(frozen=True)
class Export:
    content: bytes
    filename: str
    content_type: str


def _stem(audit_round: AuditRound) -> str:
    return slugify(f"hsb-framework-audit-{audit_round.label}-{timezone.localdate():%Y-%m-%d}")


def statement_rows(overview: RoundOverview) -> tuple[list[str], list[list[Any]]]:
    """The 'Statements' sheet: one row per scored statement, a column per agency."""
    header = [
        *STATEMENT_HEADER_BEFORE,
        *(agency.name for agency in overview.agencies),
        *STATEMENT_HEADER_AFTER,
    ]
    rows = []
    for block in overview.blocks:
        for row in block.rows:
            scores = [row.score_for(agency.pk) for agency in overview.agencies]
            rows.append(
                [
                    f"{block.domain.number} {block.domain.short}",
                    row.statement.ref,
                    row.statement.text,
                    *(score.score if score else None for score in scores),
                    row.lowest,
                    row.agreed.score if row.agreed else None,
                    row.agreed.get_basis_display() if row.agreed else "",
                    row.agreed.rationale if row.agreed else "",
                ]
            )
    return header, rows


def round_xlsx(audit_round: AuditRound) -> Export:
    """Statements with each agency's score, the agreed score and rationale; every agency
    score with its evidence; the domain averages."""
    overview = round_overview(audit_round)
    evidence = [
        [
            score.statement.ref,
            score.agency.name,
            score.score,
            score.evidence,
            score.assurance,
            score.comments,
            str(score.scored_by),
            f"{timezone.localtime(score.scored_at):%Y-%m-%d %H:%M}",
        ]
        for score in round_agency_scores(audit_round)
    ]
    domains = [
        [f"{block.domain.number} {block.domain.short}", block.average, len(block.rows)]
        for block in overview.blocks
    ]
    content = xlsx_bytes(
        {
            "Statements": statement_rows(overview),
            "Agency scores": (
                (
                    "Ref",
                    "Agency",
                    "Score",
                    "Evidence",
                    "Assurance",
                    "Comments",
                    "Scored by",
                    "Scored at",
                ),
                evidence,
            ),
            "Domains": (("Domain", "Average agreed score", "Scored statements"), domains),
            "Round": (
                ("Round", "Period start", "Period end", "Status"),
                [
                    [
                        audit_round.label,
                        audit_round.period_start.isoformat(),
                        audit_round.period_end.isoformat(),
                        audit_round.get_status_display(),
                    ]
                ],
            ),
        }
    )
    return Export(
        content,
        f"{_stem(audit_round)}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def radar_drawing(radar: Radar, *, scale: float = 0.62) -> Any:
    """The radar as reportlab graphics (y grows upwards there, so it is flipped)."""
    # reportlab when a PDF is made, not at start-up (see core/pdf.py).
    from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, PolyLine, String
    from reportlab.lib import colors

    height = radar.height + 40

    def flip(x: float, y: float) -> tuple[float, float]:
        return x * scale, (height - y) * scale

    drawing = Drawing(radar.width * scale, height * scale)
    for ring in radar.rings:
        points = [float(v) for pair in ring.points.split() for v in pair.split(",")]
        flat: list[float] = []
        for x, y in zip(points[::2], points[1::2], strict=True):
            flat.extend(flip(x, y))
        drawing.add(Polygon(flat, strokeColor=colors.HexColor("#cbd5e0"), fillColor=None))
    for axis in radar.axes:
        drawing.add(
            Line(
                *flip(radar.cx, radar.cy),
                *flip(axis.x, axis.y),
                strokeColor=colors.HexColor("#a0aec0"),
            )
        )
        anchor = {"start": "start", "end": "end"}.get(axis.anchor, "middle")
        drawing.add(
            String(
                *flip(axis.label_x, axis.label_y),
                axis.label,
                fontSize=6 if radar.view == "statements" else 8,
                textAnchor=anchor,
            )
        )
    for number, series in enumerate(radar.series):
        colour = colors.HexColor(series.colour)
        if series.complete:
            flat = []
            for vertex in series.vertices:
                flat.extend(flip(vertex.x, vertex.y))
            drawing.add(
                Polygon(
                    flat, strokeColor=colour, strokeWidth=1.5, fillColor=colour, fillOpacity=0.15
                )
            )
        else:  # gaps where an axis is not scored: open lines through the scored runs
            for run in series.runs:
                flat = []
                for pair in run.split():
                    flat.extend(flip(*(float(v) for v in pair.split(","))))
                drawing.add(PolyLine(flat, strokeColor=colour, strokeWidth=1.5))
        for vertex in series.vertices:
            if vertex.value is None:
                continue  # a gap, not a 0
            drawing.add(
                Circle(
                    *flip(vertex.x, vertex.y),
                    2.2 if vertex.partial else 1.6,
                    fillColor=colors.white if vertex.partial else colour,
                    strokeColor=colour,
                )
            )
            if vertex.partial:
                x, y = flip(vertex.x, vertex.y - 8)
                drawing.add(
                    String(x, y, vertex.text, fontSize=6, textAnchor="middle", fillColor=colour)
                )
        legend_x = (16 + 110 * number) * scale
        drawing.add(
            Polygon(
                [legend_x, 8, legend_x + 9, 8, legend_x + 9, 17, legend_x, 17],
                fillColor=colour,
                strokeColor=colour,
                fillOpacity=0.5,
            )
        )
        drawing.add(String(legend_x + 13, 9, series.label, fontSize=8))
    return drawing


def round_pdf(audit_round: AuditRound, compare: Sequence[AuditRound] = ()) -> Export:
    """The round on paper: both radars (overlaid with the rounds compared), the statements
    with each agency's score, the agreed score and its rationale."""
    # reportlab when a PDF is made, not at start-up (see core/pdf.py).
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable, PageBreak, Spacer, Table

    pdf = MarkedDocument(
        title=f"HSB framework audit {audit_round.label}",
        footer=f"HSB framework audit {audit_round.label}",
        font_size=7.5,
        leading=9.5,
    )
    styles, header, paragraph = pdf.styles, pdf.header, pdf.paragraph
    page_width = pdf.page_width
    rounds = [audit_round, *[other for other in compare if other.pk != audit_round.pk]]
    overview = round_overview(audit_round)
    story: list[Any] = [
        paragraph(f"HSB framework audit: round {audit_round.label}", styles["Title"]),
        paragraph(
            f"Period {audit_round.period_start:%d %B %Y} to {audit_round.period_end:%d %B %Y} · "
            f"{audit_round.get_status_display()} · generated {timezone.localtime():%d %B %Y %H:%M}"
            + (
                f" · compared with {', '.join(r.label for r in rounds[1:])}"
                if len(rounds) > 1
                else ""
            ),
            styles["Normal"],
        ),
        Spacer(1, 4 * mm),
        Table(
            [
                [
                    radar_drawing(round_radar(rounds, "domains")),
                    radar_drawing(round_radar(rounds, "statements")),
                ]
            ]
        ),
        PageBreak(),
    ]
    statements_header, statement_data = statement_rows(overview)
    agency_count = len(overview.agencies)
    rows: list[list[Any]] = [[paragraph(text, header) for text in statements_header]]
    for values in statement_data:
        rows.append(
            [paragraph("" if value is None else str(value)) for value in values[:-2]]
            + [paragraph(values[-2]), paragraph(values[-1])]
        )
    available = page_width - 30 * mm
    fixed = [20 * mm, 10 * mm]  # domain, ref
    trailing = [14 * mm, 12 * mm, 26 * mm, 50 * mm]  # lowest, agreed, basis, rationale
    room_for_agencies = available - sum(fixed) - sum(trailing) - 70 * mm
    agency_width = min(16 * mm, room_for_agencies / max(agency_count, 1))
    statement_width = available - sum(fixed) - sum(trailing) - agency_width * agency_count
    widths = [*fixed, statement_width, *([agency_width] * agency_count), *trailing]
    table = LongTable(rows, colWidths=widths, repeatRows=1, splitInRow=1)
    table.setStyle(pdf.table_style())
    story.append(table)
    return Export(pdf.build(story), f"{_stem(audit_round)}.pdf", "application/pdf")
