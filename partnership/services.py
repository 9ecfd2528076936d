"""Writes of the framework audit: open and close rounds, record an agency's score, agree the
partnership's score. Each locks, checks permission, validates, writes and audits in one
transaction, with an actor.

The framework's rule for disagreement is the default: the partnership's agreed score for a
statement is the lowest agency score, kept up to date as agencies score, until the
partnership agrees another score, which needs a recorded rationale.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone

from agencies.actors import Actor
from agencies.models import Agency, LocalArea
from audit.services import record_event
from cases.services import can_work_on_case
from core.limits import AUDIT_ROUND_LABEL_MAX_LENGTH, AUDIT_TEXT_MAX_LENGTH, TEXT_MAX_LENGTH
from core.validation import identifier_problem, length_problem, required_problem, text

from .exceptions import (
    InvalidProcessFeedback,
    InvalidRound,
    InvalidScore,
    NotAllowedToAudit,
    NotAllowedToRecordFeedback,
    PartnershipNotFound,
    RationaleRequired,
    RoundClosed,
)
from .models import (
    MAX_SCORE,
    MIN_SCORE,
    AgencyScore,
    AgreedBasis,
    AgreedScore,
    AuditRound,
    FeedbackGiver,
    ProcessAspect,
    ProcessFeedback,
    RoundStatus,
    Statement,
)
from .permissions import (
    area_id_of,
    can_agree_scores,
    can_manage_rounds,
    can_score_for,
    can_view_audit,
)
from .selectors import visible_case_for_feedback


def _locked_round(audit_round: AuditRound, actor: Actor) -> AuditRound:
    """The round, locked; a round of another area is refused as if it did not exist."""
    if not can_view_audit(actor):
        raise NotAllowedToAudit("You may not take part in this partnership's audit.")
    if audit_round.area_id != area_id_of(actor):
        raise PartnershipNotFound()
    return AuditRound.objects.select_for_update().get(pk=audit_round.pk)


def _agency_of_area(actor: Actor, agency: Any) -> Agency:
    """The agency named (object or id) if it is of the actor's area; else not found, exactly
    as an id that does not exist."""
    pk = getattr(agency, "pk", agency)
    if isinstance(pk, bool) or not isinstance(pk, int):
        raise PartnershipNotFound()
    found = Agency.objects.filter(pk=pk, area_id=area_id_of(actor)).first()
    if found is None:
        raise PartnershipNotFound()
    return found


def _require_open(audit_round: AuditRound) -> None:
    if audit_round.status != RoundStatus.OPEN:
        raise RoundClosed(f"Round {audit_round.label} is closed; its scores cannot change.")


def _scored_statement(statement: Statement) -> Statement:
    if not statement.scored:
        raise InvalidScore(
            f"Statement {statement.ref} introduces its lettered items and is not scored itself.",
            fields={"statement": ["Score its lettered items instead."]},
        )
    return statement


def _score(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_SCORE <= value <= MAX_SCORE:
        raise InvalidScore(
            "A score is a whole number from 0 to 4.",
            fields={"score": ["Choose 0, 1, 2, 3 or 4 (the framework's scoring key)."]},
        )
    return value


def _lowest(audit_round: AuditRound, statement: Statement) -> int | None:
    lowest = AgencyScore.objects.filter(round=audit_round, statement=statement).aggregate(
        lowest=Min("score")
    )["lowest"]
    return None if lowest is None else int(lowest)


@transaction.atomic
def open_audit_round(
    *, label: str, period_start: date, period_end: date, actor: Actor
) -> AuditRound:
    """Open a round (T1, T2, …) of the actor's partnership over the given period.

    Rules: an HSB coordinator opens it; the label is given, at most 16 characters and not
    used before in the area; the period does not end before it starts.
    """
    if not can_manage_rounds(actor):
        raise NotAllowedToAudit("Only an HSB coordinator opens an audit round.")
    area_id = area_id_of(actor)
    assert area_id is not None  # can_manage_rounds checked it
    label = text(label)
    errors: dict[str, list[str]] = {}
    if not label:
        errors["label"] = ["Name the round, for example T1."]
    elif problem := length_problem(label, AUDIT_ROUND_LABEL_MAX_LENGTH) or identifier_problem(
        label
    ):
        errors["label"] = [problem]
    elif AuditRound.objects.filter(area_id=area_id, label=label).exists():
        errors["label"] = [f"There is already a round {label}."]
    if not isinstance(period_start, date) or not isinstance(period_end, date):
        errors["period_start"] = ["Give the period's first and last days."]
    elif period_end < period_start:
        errors["period_end"] = ["The period cannot end before it starts."]
    if errors:
        raise InvalidRound("The round could not be opened.", fields=errors)
    try:
        with transaction.atomic():
            audit_round = AuditRound.objects.create(
                area_id=area_id,
                label=label,
                period_start=period_start,
                period_end=period_end,
                created_at=timezone.now(),
                created_by=actor,
            )
    except IntegrityError as error:  # a concurrent round with the same label
        raise InvalidRound(
            "The round could not be opened.",
            fields={"label": [f"There is already a round {label}."]},
        ) from error
    record_event(
        actor=actor,
        action="audit_round.opened",
        target=audit_round,
        changes={
            "label": label,
            "period": [period_start.isoformat(), period_end.isoformat()],
        },
    )
    return audit_round


@transaction.atomic
def close_audit_round(*, audit_round: AuditRound, actor: Actor) -> AuditRound:
    """Close a round: its scores are then the record of that audit and cannot change."""
    locked = _locked_round(audit_round, actor)
    if not can_manage_rounds(actor):
        raise NotAllowedToAudit("Only an HSB coordinator closes an audit round.")
    _require_open(locked)
    locked.status = RoundStatus.CLOSED
    locked.closed_at = timezone.now()
    locked.closed_by = actor
    locked.save(update_fields=["status", "closed_at", "closed_by"])
    record_event(actor=actor, action="audit_round.closed", target=locked)
    return locked


@transaction.atomic
def record_agency_score(
    *,
    audit_round: AuditRound,
    statement: Statement,
    agency: Agency | int,
    score: int,
    evidence: str,
    actor: Actor,
    assurance: str = "",
    comments: str = "",
) -> AgencyScore:
    """Record (or revise) an agency's score for a statement, with its evidence.

    Rules: a team manager scores for their own agency, an HSB coordinator for any agency of
    the area; the round is open; the statement is scored; 0-4 per the scoring key; evidence
    is given (the framework: each score needs evidence supporting it). While the partnership
    has not agreed a different score, the agreed score follows the lowest agency score.
    """
    locked = _locked_round(audit_round, actor)
    agency = _agency_of_area(actor, agency)
    if not can_score_for(actor, agency):
        raise NotAllowedToAudit("You may not record a score for this agency.")
    _require_open(locked)
    _scored_statement(statement)
    score = _score(score)
    evidence, assurance, comments = text(evidence), text(assurance), text(comments)
    errors: dict[str, list[str]] = {}
    if not evidence:
        errors["evidence"] = ["Give the evidence supporting the score."]
    for name, value in (("evidence", evidence), ("assurance", assurance), ("comments", comments)):
        if problem := length_problem(value, AUDIT_TEXT_MAX_LENGTH):
            errors[name] = [problem]
    if errors:
        raise InvalidScore("The score could not be recorded.", fields=errors)

    now = timezone.now()
    existing = AgencyScore.objects.filter(round=locked, statement=statement, agency=agency).first()
    previous = existing.score if existing else None
    if existing is None:
        row = AgencyScore.objects.create(
            round=locked,
            statement=statement,
            agency=agency,
            score=score,
            evidence=evidence,
            assurance=assurance,
            comments=comments,
            scored_by=actor,
            scored_at=now,
        )
    else:
        row = existing
        row.score, row.evidence, row.assurance, row.comments = score, evidence, assurance, comments
        row.scored_by, row.scored_at = actor, now
        row.save(
            update_fields=["score", "evidence", "assurance", "comments", "scored_by", "scored_at"]
        )

    agreed_change = _follow_lowest(locked, statement, now)
    changes: dict[str, Any] = {
        "statement": statement.ref,
        "agency": agency.pk,
        "score": [previous, score],
    }
    if agreed_change is not None:
        changes["agreed_score"] = list(agreed_change)
    record_event(actor=actor, action="audit_score.recorded", target=row, changes=changes)
    return row


def _follow_lowest(
    audit_round: AuditRound, statement: Statement, now: Any
) -> tuple[Any, int] | None:
    """Keep a default agreed score at the lowest agency score; (before, after) if it moved."""
    lowest = _lowest(audit_round, statement)
    if lowest is None:
        return None
    agreed = AgreedScore.objects.filter(round=audit_round, statement=statement).first()
    if agreed is None:
        AgreedScore.objects.create(
            round=audit_round,
            statement=statement,
            score=lowest,
            basis=AgreedBasis.LOWEST,
            agreed_at=now,
        )
        return (None, lowest)
    if agreed.basis == AgreedBasis.LOWEST and agreed.score != lowest:
        before = agreed.score
        agreed.score, agreed.agreed_at = lowest, now
        agreed.save(update_fields=["score", "agreed_at"])
        return (before, lowest)
    return None


@transaction.atomic
def set_agreed_score(
    *,
    audit_round: AuditRound,
    statement: Statement,
    score: int,
    rationale: str,
    actor: Actor,
) -> AgreedScore:
    """Agree the partnership's score for a statement.

    Rules: an HSB coordinator agrees it; the round is open; the statement is scored; 0-4.
    The framework's default is the lowest agency score: agreeing that score (or, with no
    agency score yet, nothing to compare) keeps following it; any other score is refused
    without a rationale, which is recorded with it and in the audit trail.
    """
    locked = _locked_round(audit_round, actor)
    if not can_agree_scores(actor):
        raise NotAllowedToAudit("Only an HSB coordinator agrees the partnership's scores.")
    _require_open(locked)
    _scored_statement(statement)
    score = _score(score)
    rationale = text(rationale)
    if problem := length_problem(rationale, AUDIT_TEXT_MAX_LENGTH):
        raise InvalidScore("The rationale is too long.", fields={"rationale": [problem]})
    lowest = _lowest(locked, statement)
    follows_lowest = lowest is not None and score == lowest
    if not follows_lowest and not rationale:
        message = (
            f"The lowest agency score is {lowest}; record why the partnership agrees {score}."
            if lowest is not None
            else "No agency has scored this statement yet; record why the partnership agrees it."
        )
        raise RationaleRequired(message, fields={"rationale": [message]})

    now = timezone.now()
    agreed = AgreedScore.objects.filter(round=locked, statement=statement).first()
    before = (agreed.score, agreed.basis) if agreed else (None, None)
    values = {
        "score": score,
        "basis": AgreedBasis.LOWEST if follows_lowest else AgreedBasis.AGREED,
        "rationale": rationale,
        "agreed_by": actor,
        "agreed_at": now,
    }
    if agreed is None:
        agreed = AgreedScore.objects.create(round=locked, statement=statement, **values)
    else:
        for name, value in values.items():
            setattr(agreed, name, value)
        agreed.save(update_fields=list(values))
    record_event(
        actor=actor,
        action="agreed_score.set",
        target=agreed,
        changes={
            "statement": statement.ref,
            "score": [before[0], score],
            "basis": [before[1], str(values["basis"])],
            "lowest_agency_score": lowest,
        },
        reason=rationale,
    )
    return agreed


@transaction.atomic
def record_drilldown_view(
    *, actor: Actor, figure: str, part: str, cell: str, case_ids: list[int], filters: dict[str, Any]
) -> None:
    """Audit a drill-down that showed children's references (not the pseudonymised one)."""
    area = LocalArea(pk=area_id_of(actor))
    record_event(
        actor=actor,
        action="partnership.drilldown_viewed",
        target=area,
        changes={"figure": figure, "part": part, "cell": cell, "cases": case_ids, **filters},
    )


# --- feedback on the process from children and families (3.8) -------------------------------


@transaction.atomic
def record_process_feedback(
    *,
    case: Any,
    given_by: str,
    aspect: str,
    feedback: str,
    found_accessible: bool | None = None,
    actor: Actor,
) -> ProcessFeedback:
    """Record what a child or their family said about the referral and assessment process,
    for the partnership's review of its processes (statement 3.8).

    Rules: the case (object or id) is one the actor may see, of their area (else 404); they
    work on it (its lead practitioner, or an area-wide role whose rule shows them the case;
    else 403); who gave the feedback and the part of the process it is about are named; the
    feedback is written down, in their words where possible. Closed cases too: feedback is
    often given at the end.
    """
    found = visible_case_for_feedback(actor, getattr(case, "pk", case))
    if not can_work_on_case(actor, found):
        raise NotAllowedToRecordFeedback(
            "Only the case's lead practitioner, or a practitioner who works on it, records "
            "feedback on the process."
        )
    feedback = text(feedback)
    errors: dict[str, list[str]] = {}
    if given_by not in FeedbackGiver.values:
        errors["given_by"] = ["Say who gave the feedback: the child, a parent or carer, or family."]
    if aspect not in ProcessAspect.values:
        errors["aspect"] = ["Say which part of the process the feedback is about."]
    if problem := required_problem(
        feedback, "Write down the feedback on the process.", max_length=TEXT_MAX_LENGTH
    ):
        errors["feedback"] = [problem]
    if found_accessible is not None and not isinstance(found_accessible, bool):
        errors["found_accessible"] = ["Must be yes, no or not said."]
    if errors:
        raise InvalidProcessFeedback("The feedback could not be recorded.", fields=errors)
    row = ProcessFeedback.objects.create(
        area_id=found.area_id,
        case=found,
        given_by=given_by,
        aspect=aspect,
        feedback=feedback,
        found_accessible=found_accessible,
        recorded_at=timezone.now(),
        recorded_by=actor,
    )
    # The words stay out of the trail (it outlives the record); who, what part, which case.
    record_event(
        actor=actor,
        action="partnership.process_feedback_recorded",
        target=row,
        changes={"case": found.pk, "given_by": given_by, "aspect": aspect},
    )
    return row
