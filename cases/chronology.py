"""Reads of the case record beyond the pathway, and the child's chronology with its exports.

The chronology is one timeline per child across every case of theirs the user may see
(`cases_visible_to`), merged from one query per source, so its cost does not grow with the
number of entries: referrals, stage moves, assessments, lead designations, the team around
the child, information-sharing decisions (including decisions not to share), recorded views,
notes and closures.
"""

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape

from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.text import slugify

from assessments.models import Assessment, AssessmentType
from audit.services import record_event
from core.pdf import PROTECTIVE_MARKING, marked_canvas
from core.spreadsheets import csv_text
from pathways.compiled import compiled_version
from pathways.continuum import ClosureReason, ContinuumLevel

from .exceptions import InvalidChronologyFilter
from .models import (
    Case,
    CaseNote,
    Child,
    InformationSharingDecision,
    LeadDesignation,
    RecordedView,
    ReferralChild,
    SharingDecision,
    StageMove,
    TeamMember,
)
from .selectors import cases_visible_to

# --- the case record's lists -----------------------------------------------------------------


def case_team(case: Case) -> QuerySet[TeamMember]:
    """The team around the child: current members first, then those who left."""
    return (
        TeamMember.objects.filter(case=case)
        .select_related("agency", "practitioner", "added_by")
        .order_by(F("left_at").asc(nulls_first=True), "joined_at", "pk")
    )


def case_recorded_views(case: Case) -> QuerySet[RecordedView]:
    return (
        RecordedView.objects.filter(case=case)
        .select_related("recorded_by")
        .order_by("-recorded_at", "-pk")
    )


def case_sharing_decisions(case: Case) -> QuerySet[InformationSharingDecision]:
    return (
        InformationSharingDecision.objects.filter(case=case)
        .select_related("recipient_agency", "recipient_practitioner", "overridden_by", "decided_by")
        .order_by("-decided_at", "-pk")
    )


def case_notes(case: Case) -> QuerySet[CaseNote]:
    return (
        CaseNote.objects.filter(case=case).select_related("author").order_by("-written_at", "-pk")
    )


# --- the chronology --------------------------------------------------------------------------


class EntryKind(models.TextChoices):
    REFERRAL = "referral", "Referral"
    STAGE_MOVE = "stage_move", "Stage move"
    ASSESSMENT = "assessment", "Assessment"
    LEAD = "lead", "Lead practitioner"
    TEAM = "team", "Team around the child"
    SHARING = "sharing", "Information sharing"
    VIEW = "view", "Views of the child and family"
    NOTE = "note", "Note"
    CLOSURE = "closure", "Closure"


# Entries at the same moment read in the order things happen: a referral opens a case,
# the case moves, then what is recorded about it; closure comes last.
_KIND_RANK = {kind: rank for rank, kind in enumerate(EntryKind.values)}


@dataclass(frozen=True)
class ChronologyEntry:
    at: datetime
    kind: str
    title: str
    detail: str
    actor: str
    case_id: int
    # (kind rank, case, source row, part): a stable tiebreak for entries at the same moment.
    order: tuple[int, ...] = field(default=(), compare=False, repr=False)
    # The child's age when it happened (set once the entries are merged).
    age: int | None = None

    @property
    def kind_label(self) -> str:
        return EntryKind(self.kind).label

    @property
    def sort_key(self) -> tuple[Any, ...]:
        return (self.at, *self.order)


def _name(user: Any) -> str:
    return str(user) if user is not None else ""


def _lines(*parts: str) -> str:
    return "\n".join(part for part in parts if part)


def _label(choices: type[models.TextChoices], value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def _window(field_name: str, date_from: date | None, date_to: date | None) -> Q:
    # `__date` compares in the current time zone, as the Python filter below does.
    window = Q()
    if date_from is not None:
        window &= Q(**{f"{field_name}__date__gte": date_from})
    if date_to is not None:
        window &= Q(**{f"{field_name}__date__lte": date_to})
    return window


def _entry(
    kind: str, at: datetime, title: str, detail: str, actor: str, case_id: int, *order: int
) -> ChronologyEntry:
    return ChronologyEntry(
        at=at,
        kind=kind,
        title=title,
        detail=detail,
        actor=actor,
        case_id=case_id,
        order=(_KIND_RANK[kind], case_id, *order),
    )


def clean_kinds(kinds: Iterable[str] | None) -> frozenset[str]:
    """The kinds asked for, or every kind; unknown ones are refused by name."""
    if not kinds:
        return frozenset(EntryKind.values)
    wanted = frozenset(kinds)
    unknown = sorted(wanted - set(EntryKind.values))
    if unknown:
        raise InvalidChronologyFilter(
            "Unknown kinds of entry.",
            fields={
                "kinds": [
                    f"Unknown: {', '.join(unknown)}. Choose from {', '.join(EntryKind.values)}."
                ]
            },
        )
    return wanted


def child_chronology(
    *,
    child: Child,
    user: Any,
    kinds: Iterable[str] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[ChronologyEntry]:
    """The child's timeline across every case of theirs the user may see, oldest first.

    One query for the visible cases and one per source asked for, whatever the number of
    entries. Dates are inclusive and read in the local time zone.
    """
    wanted = clean_kinds(kinds)
    if date_from is not None and date_to is not None and date_from > date_to:
        raise InvalidChronologyFilter(
            "The date range is back to front.", fields={"to": ["Must be on or after 'from'."]}
        )
    cases = list(
        cases_visible_to(user)
        .filter(child=child)
        .select_related("referral__referring_agency", "referral__recorded_by")
        .order_by("pk")
    )
    if not cases:
        return []
    scope = _Scope(child, cases, [case.pk for case in cases], wanted, date_from, date_to)
    entries: list[ChronologyEntry] = []
    for kinds_of_source, source in _SOURCES:
        if wanted & kinds_of_source:
            entries.extend(source(scope))
    entries = [
        entry
        for entry in entries
        if entry.kind in wanted and _in_range(entry.at, date_from, date_to)
    ]
    entries.sort(key=lambda entry: entry.sort_key)
    return [
        replace(entry, age=child.age_on(timezone.localtime(entry.at).date())) for entry in entries
    ]


def _in_range(at: datetime, date_from: date | None, date_to: date | None) -> bool:
    day = timezone.localtime(at).date()
    return (date_from is None or day >= date_from) and (date_to is None or day <= date_to)


@dataclass(frozen=True)
class _Scope:
    """What every source reads: the child, their visible cases, the kinds and dates asked."""

    child: Child
    cases: list[Case]
    case_ids: list[int]
    wanted: frozenset[str]
    date_from: date | None
    date_to: date | None

    def window(self, field_name: str) -> Q:
        return _window(field_name, self.date_from, self.date_to)


_Source = Callable[[_Scope], list[ChronologyEntry]]


def _referrals(scope: _Scope) -> list[ChronologyEntry]:
    links = (
        ReferralChild.objects.filter(child=scope.child, case_id__in=scope.case_ids)
        .filter(scope.window("referral__received_at"))
        .select_related("referral__referring_agency", "referral__recorded_by")
    )
    found: list[tuple[Any, str, int]] = [
        (link.referral, link.get_involvement_display(), link.case_id) for link in links
    ]
    seen = {referral.pk for referral, _, _ in found}
    # A case opened from a referral before children were linked to referrals still shows it.
    for case in scope.cases:
        if case.referral is not None and case.referral_id not in seen:
            seen.add(case.referral_id)
            found.append((case.referral, case.get_involvement_display(), case.pk))
    entries = []
    for referral, involvement, case_id in found:
        source = (
            str(referral.referring_agency)
            if referral.referring_agency
            else referral.referrer_name or referral.get_source_display()
        )
        level = _label(ContinuumLevel, referral.continuum_level) if referral.continuum_level else ""
        detail = _lines(
            f"As: {involvement}",
            f"Source: {referral.get_source_display()} ({referral.get_channel_display()})",
            f"Continuum level: {level}" if level else "",
            referral.description,
        )
        entries.append(
            _entry(
                EntryKind.REFERRAL,
                referral.received_at,
                f"Referral received from {source}",
                detail,
                _name(referral.recorded_by),
                case_id,
                referral.pk,
            )
        )
    return entries


_MOVE_TITLES = {
    "start": "Case opened at {stage}",
    "route": "Moved to {stage}",
    "step_up": "Stepped up to {stage}",
    "step_down": "Stepped down to {stage}",
    "reopen": "Reopened at {stage}",
}


def _stage_moves(scope: _Scope) -> list[ChronologyEntry]:
    moves = StageMove.objects.filter(case_id__in=scope.case_ids).filter(scope.window("moved_at"))
    if EntryKind.STAGE_MOVE not in scope.wanted:
        moves = moves.filter(kind="close")
    elif EntryKind.CLOSURE not in scope.wanted:
        moves = moves.exclude(kind="close")
    entries = []
    for move in moves.select_related("transition", "to_stage", "actor"):
        data = move.data or {}
        transition = move.transition.name if move.transition else ""
        if move.kind == "close":
            reason = data.get("closure_reason", "")
            title = "Case closed"
            if reason:
                title += f": {_label(ClosureReason, reason)}"
            detail = _lines(
                transition,
                f"Outcome: {data['outcome']}" if data.get("outcome") else "",
                f"Reason: {move.reason}" if move.reason else "",
            )
            kind = EntryKind.CLOSURE
        else:
            template = _MOVE_TITLES.get(
                move.kind, move.kind.replace("_", " ").capitalize() + " to {stage}"
            )
            title = template.format(stage=move.to_stage.name)
            level = data.get("continuum_level")
            harm = data.get("significant_harm_suspected")
            detail = _lines(
                transition,
                f"Reason: {move.reason}" if move.reason else "",
                f"Continuum level: {_label(ContinuumLevel, level)}" if level else "",
                f"Significant harm suspected: {'yes' if harm else 'no'}"
                if harm is not None
                else "",
            )
            kind = EntryKind.STAGE_MOVE
        entries.append(
            _entry(kind, move.moved_at, title, detail, _name(move.actor), move.case_id, move.pk)
        )
    return entries


def _route_name(assessment: Assessment, version_id: int) -> str:
    # Published versions are compiled once per process, so naming the route costs no query.
    transition = compiled_version(version_id).transitions.get(assessment.recommended_route)
    return transition.name if transition is not None else assessment.recommended_route


def _assessment_steps(
    assessment: Assessment, version_id: int
) -> list[tuple[datetime, str, str, str]]:
    """(when, what, detail, by) for each step: requested, started, each submission and
    return, authorised."""
    steps = [
        (
            assessment.requested_at,
            "Assessment requested",
            _lines(
                f"For: {assessment.requested_for}" if assessment.requested_for else "",
                f"Due: {assessment.due_on:%d %b %Y}" if assessment.due_on else "",
                f"Why this level: {assessment.type_justification}"
                if assessment.type_justification
                else "",
                assessment.request_notes,
            ),
            _name(assessment.requested_by),
        )
    ]
    if assessment.started_at is not None:
        age = assessment.child_age_at_start
        steps.append(
            (
                assessment.started_at,
                "Assessment started",
                _lines(
                    f"Tool: {assessment.tool}" if assessment.tool else "",
                    f"Age at assessment: {age}" if age is not None else "",
                    f"Why this tool: {assessment.tool_justification}"
                    if assessment.tool_justification
                    else "",
                ),
                _name(assessment.started_by),
            )
        )
    for returned in assessment.returns or []:
        if returned.get("submitted_at"):
            steps.append(
                (
                    datetime.fromisoformat(returned["submitted_at"]),
                    "Assessment submitted",
                    "",
                    returned.get("submitted_by_name", ""),
                )
            )
        steps.append(
            (
                datetime.fromisoformat(returned["returned_at"]),
                "Assessment returned with comments",
                returned.get("comments", ""),
                returned.get("returned_by_name", ""),
            )
        )
    if assessment.submitted_at is not None:
        steps.append(
            (assessment.submitted_at, "Assessment submitted", "", _name(assessment.submitted_by))
        )
    if assessment.authorised_at is not None:
        level = assessment.confirmed_continuum_level
        steps.append(
            (
                assessment.authorised_at,
                "Assessment authorised",
                _lines(
                    f"Continuum level confirmed: {_label(ContinuumLevel, level)}" if level else "",
                    f"Risk level: {assessment.get_risk_level_display()}"
                    if assessment.risk_level
                    else "",
                    f"Recommended route: {_route_name(assessment, version_id)}"
                    if assessment.recommended_route
                    else "",
                    f"Authorised late: {assessment.late_reason}" if assessment.late_reason else "",
                ),
                _name(assessment.authorised_by),
            )
        )
    return steps


def _assessments(scope: _Scope) -> list[ChronologyEntry]:
    # Every step falls between the request and the authorisation, so one window on those two
    # finds each assessment with a step in range; the steps are then filtered one by one.
    window = Q()
    if scope.date_to is not None:
        window &= Q(requested_at__date__lte=scope.date_to)
    if scope.date_from is not None:
        window &= Q(authorised_at__isnull=True) | Q(authorised_at__date__gte=scope.date_from)
    assessments = (
        Assessment.objects.filter(case_id__in=scope.case_ids)
        .filter(window)
        .select_related(
            "requested_by", "requested_for", "started_by", "submitted_by", "authorised_by", "tool"
        )
    )
    versions = {case.pk: case.pathway_version_id for case in scope.cases}
    entries = []
    for assessment in assessments:
        kind = _label(AssessmentType, assessment.assessment_type)
        steps = _assessment_steps(assessment, versions[assessment.case_id])
        for part, (at, title, detail, actor) in enumerate(steps):
            entries.append(
                _entry(
                    EntryKind.ASSESSMENT,
                    at,
                    f"{title}: {kind}",
                    detail,
                    actor,
                    assessment.case_id,
                    assessment.pk,
                    part,
                )
            )
    return entries


def _lead_designations(scope: _Scope) -> list[ChronologyEntry]:
    earlier = LeadDesignation.objects.filter(case=OuterRef("case")).filter(
        Q(started_at__lt=OuterRef("started_at"))
        | Q(started_at=OuterRef("started_at"), pk__lt=OuterRef("pk"))
    )
    designations = (
        LeadDesignation.objects.filter(case_id__in=scope.case_ids)
        .filter(scope.window("started_at"))
        .annotate(is_handover=Exists(earlier))
        .select_related("practitioner", "designated_by")
    )
    return [
        _entry(
            EntryKind.LEAD,
            designation.started_at,
            (
                f"Lead practitioner handed over to {designation.practitioner}"
                if designation.is_handover
                else f"Lead practitioner designated: {designation.practitioner}"
            ),
            f"Reason: {designation.reason}" if designation.reason else "",
            _name(designation.designated_by),
            designation.case_id,
            designation.pk,
        )
        for designation in designations
    ]


def _team(scope: _Scope) -> list[ChronologyEntry]:
    members = (
        TeamMember.objects.filter(case_id__in=scope.case_ids)
        .filter(scope.window("joined_at") | scope.window("left_at"))
        .select_related("agency", "practitioner", "added_by", "removed_by")
    )
    entries = []
    for member in members:
        who = (
            f"{member.practitioner}, {member.agency}" if member.practitioner else str(member.agency)
        )
        entries.append(
            _entry(
                EntryKind.TEAM,
                member.joined_at,
                f"Joined the team around the child: {who}",
                f"Role: {member.role_on_case}",
                _name(member.added_by),
                member.case_id,
                member.pk,
                0,
            )
        )
        if member.left_at is not None:
            entries.append(
                _entry(
                    EntryKind.TEAM,
                    member.left_at,
                    f"Left the team around the child: {who}",
                    _lines(
                        f"Role: {member.role_on_case}",
                        f"Reason: {member.left_reason}" if member.left_reason else "",
                    ),
                    _name(member.removed_by),
                    member.case_id,
                    member.pk,
                    1,
                )
            )
    return entries


def sharing_decision_detail(decision: InformationSharingDecision) -> str:
    consent = decision.get_consent_display()
    if decision.consent_reason:
        consent += f", because: {decision.consent_reason}"
    return _lines(
        f"What: {decision.information}",
        f"Purpose: {decision.purpose}",
        f"Lawful basis: {decision.get_lawful_basis_display()}",
        f"Consent: {consent}",
        f"Refusal overridden by: {decision.overridden_by}" if decision.overridden_by else "",
        (
            f"Views of the child or family: {decision.child_family_views}"
            if decision.child_family_views
            else ""
        ),
    )


def sharing_recipient(decision: InformationSharingDecision) -> str:
    if decision.recipient_practitioner is not None:
        return f"{decision.recipient_practitioner}, {decision.recipient_agency}"
    return str(decision.recipient_agency)


def _sharing_decisions(scope: _Scope) -> list[ChronologyEntry]:
    decisions = (
        InformationSharingDecision.objects.filter(case_id__in=scope.case_ids)
        .filter(scope.window("decided_at"))
        .select_related("recipient_agency", "recipient_practitioner", "overridden_by", "decided_by")
    )
    return [
        _entry(
            EntryKind.SHARING,
            decision.decided_at,
            (
                f"Information shared with {sharing_recipient(decision)}"
                if decision.decision == SharingDecision.SHARE
                else f"Decision not to share with {sharing_recipient(decision)}"
            ),
            sharing_decision_detail(decision),
            _name(decision.decided_by),
            decision.case_id,
            decision.pk,
        )
        for decision in decisions
    ]


def _recorded_views(scope: _Scope) -> list[ChronologyEntry]:
    views = (
        RecordedView.objects.filter(case_id__in=scope.case_ids)
        .filter(scope.window("recorded_at"))
        .select_related("recorded_by")
    )
    entries = []
    for view in views:
        holder = view.get_holder_display()
        if view.holder_description:
            holder += f" ({view.holder_description})"
        entries.append(
            _entry(
                EntryKind.VIEW,
                view.recorded_at,
                f"View recorded: {holder}",
                view.view,
                _name(view.recorded_by),
                view.case_id,
                view.pk,
            )
        )
    return entries


def _notes(scope: _Scope) -> list[ChronologyEntry]:
    notes = (
        CaseNote.objects.filter(case_id__in=scope.case_ids)
        .filter(scope.window("written_at"))
        .select_related("author")
    )
    return [
        _entry(
            EntryKind.NOTE,
            note.written_at,
            "Case note",
            note.text,
            _name(note.author),
            note.case_id,
            note.pk,
        )
        for note in notes
    ]


# Each source is one query; it runs only when one of its kinds is asked for.
_SOURCES: tuple[tuple[frozenset[str], _Source], ...] = (
    (frozenset({EntryKind.REFERRAL}), _referrals),
    (frozenset({EntryKind.STAGE_MOVE, EntryKind.CLOSURE}), _stage_moves),
    (frozenset({EntryKind.ASSESSMENT}), _assessments),
    (frozenset({EntryKind.LEAD}), _lead_designations),
    (frozenset({EntryKind.TEAM}), _team),
    (frozenset({EntryKind.SHARING}), _sharing_decisions),
    (frozenset({EntryKind.VIEW}), _recorded_views),
    (frozenset({EntryKind.NOTE}), _notes),
)


# --- exports ---------------------------------------------------------------------------------

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
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

    footer_reference = f"Chronology of {child.reference}"

    NumberedCanvas = marked_canvas(footer_reference)

    styles = getSampleStyleSheet()
    cell = styles["BodyText"].clone("cell", fontSize=8, leading=10)
    header = cell.clone("header", fontName="Helvetica-Bold")

    def paragraph(text: str, style: Any = cell) -> Any:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"Chronology: {child.full_name} ({child.reference})",
        author="HSB Pathways",
        subject=PROTECTIVE_MARKING,
    )
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
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#edf2f7")),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cbd5e0")),
                ]
            )
        )
        story.append(table)
    document.build(story, canvasmaker=NumberedCanvas)
    return buffer.getvalue()


@dataclass(frozen=True)
class ChronologyExport:
    content: bytes
    filename: str
    content_type: str


EXPORT_FORMATS = ("csv", "pdf")


def export_chronology(
    *,
    child: Child,
    user: Any,
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
