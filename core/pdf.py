"""Shared look of every PDF export: the protective marking and "Page n of m" on each page."""

from typing import Any

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
