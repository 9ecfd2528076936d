"""The audited export of a child's chronology: check the format and filters, render what the
user may see, and record the export in the audit trail in the same transaction."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from agencies.actors import Actor
from audit.services import record_event
from cases.exceptions import InvalidChronologyFilter
from cases.models import Child

from .render import chronology_csv, chronology_pdf, describe_filters
from .timeline import child_chronology, clean_kinds


@dataclass(frozen=True)
class ChronologyExport:
    content: bytes
    filename: str
    content_type: str


EXPORT_FORMATS = ("csv", "pdf")


def export_chronology(
    *,
    child: Child,
    user: Actor,
    export_format: str,
    kinds: Iterable[str] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> ChronologyExport:
    """Export the child's chronology as the user may see it, and audit the export."""
    if export_format not in EXPORT_FORMATS:
        raise InvalidChronologyFilter(
            "Unknown export format.", fields={"format": ["Choose csv or pdf."]}
        )
    wanted = clean_kinds(kinds)
    with transaction.atomic():
        entries = child_chronology(
            child=child, user=user, kinds=wanted, date_from=date_from, date_to=date_to
        )
        filters = describe_filters(wanted, date_from, date_to)
        if export_format == "csv":
            # The byte-order mark lets spreadsheet programs read the file as UTF-8.
            content = chronology_csv(entries).encode("utf-8-sig")
            content_type = "text/csv; charset=utf-8"
        else:
            content = chronology_pdf(child, entries, subtitle=filters)
            content_type = "application/pdf"
        record_event(
            actor=user,
            action="chronology.exported",
            target=child,
            changes={
                "format": export_format,
                "kinds": sorted(wanted),
                "from": date_from.isoformat() if date_from else None,
                "to": date_to.isoformat() if date_to else None,
                "entries": len(entries),
                "cases": sorted({entry.case_id for entry in entries}),
            },
        )
    stem = slugify(f"chronology-{child.reference}-{timezone.localdate():%Y-%m-%d}")
    return ChronologyExport(content, f"{stem}.{export_format}", content_type)
