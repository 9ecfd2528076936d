"""Shared look of every PDF export: landscape A4 with the protective marking and "Page n of m"
on each page, the house's paragraph styles and table look.

reportlab is imported inside the functions, when a PDF is made, only to keep start-up light:
most processes (the worker, most requests) never draw one.
"""

import io
from typing import Any
from xml.sax.saxutils import escape

PROTECTIVE_MARKING = "OFFICIAL-SENSITIVE"


def marked_canvas(footer: str) -> type:
    """A reportlab canvas class for landscape A4 that marks every page and numbers it."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    page_width, page_height = landscape(A4)

    class NumberedCanvas(canvas.Canvas):
        # Pages are drawn once the count is known, so each can say "Page n of m".
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont("Helvetica-Bold", 9)
                self.drawCentredString(page_width / 2, page_height - 10 * mm, PROTECTIVE_MARKING)
                self.drawCentredString(page_width / 2, 8 * mm, PROTECTIVE_MARKING)
                self.setFont("Helvetica", 8)
                self.drawString(15 * mm, 8 * mm, footer)
                self.drawRightString(page_width - 15 * mm, 8 * mm, f"Page {number} of {total}")
                super().showPage()
            super().save()

    return NumberedCanvas


class MarkedDocument:
    """A landscape A4 PDF being written: its styles (`styles`, and `cell` and `header` for
    tables at `font_size`), `paragraph()` for plain text, `table_style()` for the house's
    grid, and `build(story)` for the bytes, every page marked and numbered with `footer`."""

    def __init__(self, *, title: str, footer: str, font_size: float, leading: float) -> None:
        from reportlab.lib.pagesizes import A4, landscape
        from reportlab.lib.styles import getSampleStyleSheet
        from reportlab.lib.units import mm
        from reportlab.platypus import SimpleDocTemplate

        self.styles = getSampleStyleSheet()
        self.cell = self.styles["BodyText"].clone("cell", fontSize=font_size, leading=leading)
        self.header = self.cell.clone("header", fontName="Helvetica-Bold")
        self.page_width = landscape(A4)[0]
        self._canvas = marked_canvas(footer)
        self._buffer = io.BytesIO()
        self._document = SimpleDocTemplate(
            self._buffer,
            pagesize=landscape(A4),
            leftMargin=15 * mm,
            rightMargin=15 * mm,
            topMargin=18 * mm,
            bottomMargin=18 * mm,
            title=title,
            author="HSB Pathways",
            subject=PROTECTIVE_MARKING,
        )

    def paragraph(self, text: str, style: Any = None) -> Any:
        """Plain text (escaped, newlines kept) as a paragraph, in `cell` unless told."""
        from reportlab.platypus import Paragraph

        return Paragraph(escape(text).replace("\n", "<br/>"), style or self.cell)

    def table_style(self) -> Any:
        """Top-aligned cells, a shaded header row and a thin rule under each row."""
        from reportlab.lib import colors
        from reportlab.platypus import TableStyle

        return TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#edf2f7")),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cbd5e0")),
            ]
        )

    def build(self, story: list[Any]) -> bytes:
        self._document.build(story, canvasmaker=self._canvas)
        return self._buffer.getvalue()
