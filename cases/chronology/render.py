"""The chronology on paper: CSV for spreadsheets, PDF to print (with the protective marking),
and the line that says which filters a view or an export shows."""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone

from cases.models import Child
from core.pdf import MarkedDocument
from core.spreadsheets import csv_text

from .entries import ChronologyEntry, EntryKind

CSV_HEADER = ("When", "Age", "Kind", "What happened", "Detail", "By", "Case")


def _when(at: datetime) -> str:
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M}"


def chronology_csv(entries: Iterable[ChronologyEntry]) -> str:
    return csv_text(
        CSV_HEADER,
        (
            (
                _when(entry.at),
                "" if entry.age is None else str(entry.age),
                entry.kind_label,
                entry.title,
                entry.detail,
                entry.actor,
                str(entry.case_id),
            )
            for entry in entries
        ),
    )


def chronology_pdf(
    child: Child, entries: Iterable[ChronologyEntry], *, subtitle: str = ""
) -> bytes:
    """A printable chronology: the child's name and reference, one table row per entry, the
    protective marking at the top and bottom of every page, and "Page n of m"."""
    # reportlab when a PDF is made, not at start-up (see core/pdf.py).
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable, Paragraph, Spacer

    pdf = MarkedDocument(
        title=f"Chronology: {child.full_name} ({child.reference})",
        footer=f"Chronology of {child.reference}",
        font_size=8,
        leading=10,
    )
    styles, cell, header, paragraph = pdf.styles, pdf.cell, pdf.header, pdf.paragraph
    story: list[Any] = [
        paragraph(f"Chronology: {child.full_name}", styles["Title"]),
        paragraph(
            f"Reference {child.reference} · born {child.date_of_birth:%d %B %Y} · "
            f"generated {timezone.localtime():%d %B %Y %H:%M}",
            styles["Normal"],
        ),
    ]
    if subtitle:
        story.append(paragraph(subtitle, styles["Normal"]))
    story.append(Spacer(1, 6 * mm))
    rows: list[list[Any]] = [
        [paragraph(text, header) for text in ("When", "Kind", "What happened", "By", "Case")]
    ]
    for entry in entries:
        what = f"<b>{escape(entry.title)}</b>"
        if entry.detail:
            what += "<br/>" + escape(entry.detail).replace("\n", "<br/>")
        rows.append(
            [
                paragraph(_when(entry.at)),
                paragraph(entry.kind_label),
                Paragraph(what, cell),
                paragraph(entry.actor or "-"),
                paragraph(str(entry.case_id)),
            ]
        )
    if len(rows) == 1:
        story.append(paragraph("No entries match.", styles["Normal"]))
    else:
        table = LongTable(
            rows,
            colWidths=[28 * mm, 32 * mm, 152 * mm, 40 * mm, 15 * mm],
            repeatRows=1,
            # A long note may be taller than a page: let its row continue on the next one.
            splitInRow=1,
        )
        table.setStyle(pdf.table_style())
        story.append(table)
    return pdf.build(story)


def describe_filters(kinds: frozenset[str], date_from: date | None, date_to: date | None) -> str:
    parts = []
    if kinds != frozenset(EntryKind.values):
        parts.append(
            "Showing: "
            + ", ".join(str(label) for value, label in EntryKind.choices if value in kinds)
        )
    if date_from or date_to:
        start = f"{date_from:%d %b %Y}" if date_from else "the start"
        end = f"{date_to:%d %b %Y}" if date_to else "today"
        parts.append(f"From {start} to {end}")
    return " · ".join(parts)
