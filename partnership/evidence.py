"""Suggested evidence for the audit: the live figures that inform each statement, for the
round's period, written out as text to pre-fill the score forms.

The text always follows the analysts' rules (counts under five as "<5"): it is stored with
the scores, exported and read by everyone taking part in the audit.
"""

from __future__ import annotations

from collections.abc import Iterable

from .disclosure import ShownFigure, show_figures
from .figures import DASHBOARD_ORDER, FIGURES, dashboard_figures, dashboard_scope
from .models import AuditRound


def describe(shown: ShownFigure) -> str:
    """One line: 'Label: 7 of 9 cases (77.8%); median 1 working days [3.5].'"""
    parts = [f"{shown.label}:"]
    if shown.numerator.display != "—" and shown.figure.numerator is not None:
        if shown.figure.denominator is not None:
            parts.append(
                f"{shown.numerator.display} of {shown.denominator.display} {shown.unit}"
                f" ({shown.share.display})"
            )
        else:
            parts.append(f"{shown.numerator.display} {shown.unit}")
    elif shown.figure.denominator is not None:
        parts.append(f"{shown.denominator.display} {shown.unit}")
    text = " ".join(parts)
    if shown.cells:
        cells = ", ".join(
            f"{cell.label} {cell.count.display}"
            for cell in shown.cells
            if cell.count.display != "0"
        )
        if cells:
            text += f" — {cells}"
    if shown.figure.value is not None:
        text += f"; {shown.value_label} {shown.value.display}"
    return text + "."


def statements_with_figures() -> set[str]:
    return {FIGURES[key].statement for key in DASHBOARD_ORDER}


def suggested_evidence(
    audit_round: AuditRound, refs: Iterable[str] | None = None
) -> dict[str, str]:
    """{statement ref: evidence text} for the statements the live figures inform."""
    wanted = set(refs) if refs is not None else statements_with_figures()
    keys = [key for key in DASHBOARD_ORDER if FIGURES[key].statement in wanted]
    if not keys:
        return {}
    scope = dashboard_scope(
        area_id=audit_round.area_id,
        date_from=audit_round.period_start,
        date_to=audit_round.period_end,
    )
    period = f"{audit_round.period_start:%d %b %Y} to {audit_round.period_end:%d %b %Y}"
    lines: dict[str, list[str]] = {}
    # Withheld across every figure, as on the analysts' dashboard for the same period: the
    # text must not show a count the dashboard withholds (or the two could be differenced).
    wanted_keys = set(keys)
    for shown in show_figures(dashboard_figures(scope), suppress=True):
        if shown.key in wanted_keys:
            lines.setdefault(shown.statement, []).append("• " + describe(shown))
    return {
        ref: f"From the case records, referrals received {period} (HSB Pathways):\n"
        + "\n".join(items)
        for ref, items in lines.items()
    }
