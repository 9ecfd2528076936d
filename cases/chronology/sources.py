"""The sources of the chronology: one query each, for one or more kinds of entry.

The case's own sources are here: referrals, stage moves and closures, lead designations, the
team around the child, information-sharing decisions (including decisions not to share),
recorded views and notes. An app above cases registers its own with `register_source` from
its `AppConfig.ready()` (assessments adds the steps of each assessment), so cases never
imports it.
"""

from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Q

from cases.models import (
    CaseNote,
    InformationSharingDecision,
    LeadDesignation,
    RecordedView,
    ReferralChild,
    SharingDecision,
    StageMove,
    TeamMember,
)
from pathways.closure import closure_reason_label
from pathways.continuum import ContinuumLevel

from .entries import (
    KIND_RANK,
    ChronologyEntry,
    EntryKind,
    Scope,
    Source,
    choice_label,
    entry,
    lines,
    person,
)

_SOURCES: list[tuple[frozenset[str], Source]] = []


def register_source(kinds: Iterable[str], source: Source) -> None:
    """Add a source of entries of these kinds (once, however often an app is made ready)."""
    item = (frozenset(kinds), source)
    if item not in _SOURCES:
        _SOURCES.append(item)


def registered_sources() -> list[tuple[frozenset[str], Source]]:
    """Every source with the kinds it reads, in the order of their first kind."""
    return sorted(_SOURCES, key=lambda item: min(KIND_RANK[kind] for kind in item[0]))


def _referrals(scope: Scope) -> list[ChronologyEntry]:
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
        level = (
            choice_label(ContinuumLevel, referral.continuum_level)
            if referral.continuum_level
            else ""
        )
        detail = lines(
            f"As: {involvement}",
            f"Source: {referral.get_source_display()} ({referral.get_channel_display()})",
            f"Continuum level: {level}" if level else "",
            referral.description,
        )
        entries.append(
            entry(
                EntryKind.REFERRAL,
                referral.received_at,
                f"Referral received from {source}",
                detail,
                person(referral.recorded_by),
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


def _stage_moves(scope: Scope) -> list[ChronologyEntry]:
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
                title += f": {closure_reason_label(reason)}"
            detail = lines(
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
            ended = data.get("closure_reason")  # a step-down that ended a CSC episode
            detail = lines(
                transition,
                f"Children's social care episode ended: {closure_reason_label(ended)}"
                if ended
                else "",
                f"Reason: {move.reason}" if move.reason else "",
                f"Continuum level: {choice_label(ContinuumLevel, level)}" if level else "",
                f"Significant harm suspected: {'yes' if harm else 'no'}"
                if harm is not None
                else "",
            )
            kind = EntryKind.STAGE_MOVE
        entries.append(
            entry(kind, move.moved_at, title, detail, person(move.actor), move.case_id, move.pk)
        )
    return entries


def _lead_designations(scope: Scope) -> list[ChronologyEntry]:
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
        entry(
            EntryKind.LEAD,
            designation.started_at,
            (
                f"Lead practitioner handed over to {designation.practitioner}"
                if designation.is_handover
                else f"Lead practitioner designated: {designation.practitioner}"
            ),
            f"Reason: {designation.reason}" if designation.reason else "",
            person(designation.designated_by),
            designation.case_id,
            designation.pk,
        )
        for designation in designations
    ]


def _team(scope: Scope) -> list[ChronologyEntry]:
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
            entry(
                EntryKind.TEAM,
                member.joined_at,
                f"Joined the team around the child: {who}",
                f"Role: {member.role_on_case}",
                person(member.added_by),
                member.case_id,
                member.pk,
                0,
            )
        )
        if member.left_at is not None:
            entries.append(
                entry(
                    EntryKind.TEAM,
                    member.left_at,
                    f"Left the team around the child: {who}",
                    lines(
                        f"Role: {member.role_on_case}",
                        f"Reason: {member.left_reason}" if member.left_reason else "",
                    ),
                    person(member.removed_by),
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
    return lines(
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


def _sharing_decisions(scope: Scope) -> list[ChronologyEntry]:
    decisions = (
        InformationSharingDecision.objects.filter(case_id__in=scope.case_ids)
        .filter(scope.window("decided_at"))
        .select_related("recipient_agency", "recipient_practitioner", "overridden_by", "decided_by")
    )
    return [
        entry(
            EntryKind.SHARING,
            decision.decided_at,
            (
                f"Information shared with {sharing_recipient(decision)}"
                if decision.decision == SharingDecision.SHARE
                else f"Decision not to share with {sharing_recipient(decision)}"
            ),
            sharing_decision_detail(decision),
            person(decision.decided_by),
            decision.case_id,
            decision.pk,
        )
        for decision in decisions
    ]


def _recorded_views(scope: Scope) -> list[ChronologyEntry]:
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
            entry(
                EntryKind.VIEW,
                view.recorded_at,
                f"View recorded: {holder}",
                view.view,
                person(view.recorded_by),
                view.case_id,
                view.pk,
            )
        )
    return entries


def _notes(scope: Scope) -> list[ChronologyEntry]:
    notes = (
        CaseNote.objects.filter(case_id__in=scope.case_ids)
        .filter(scope.window("written_at"))
        .select_related("author")
    )
    return [
        entry(
            EntryKind.NOTE,
            note.written_at,
            "Case note",
            note.text,
            person(note.author),
            note.case_id,
            note.pk,
        )
        for note in notes
    ]


# Each source is one query; it runs only when one of its kinds is asked for.
register_source({EntryKind.REFERRAL}, _referrals)
register_source({EntryKind.STAGE_MOVE, EntryKind.CLOSURE}, _stage_moves)
register_source({EntryKind.LEAD}, _lead_designations)
register_source({EntryKind.TEAM}, _team)
register_source({EntryKind.SHARING}, _sharing_decisions)
register_source({EntryKind.VIEW}, _recorded_views)
register_source({EntryKind.NOTE}, _notes)
