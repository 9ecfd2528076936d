"""Reads of the audit tool: rounds, scored statements and domains, each round's agency and
agreed scores, and a round's overview (every scored statement with its scores); and the
feedback on the process recorded on a case (3.8).

The dashboard's figures from the live case records are read in `partnership.figures`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from agencies.actors import Actor
from cases.models import Case
from cases.selectors import cases_visible_to

from .exceptions import PartnershipNotFound
from .models import AgencyScore, AgreedScore, AuditRound, Domain, ProcessFeedback, Statement
from .permissions import area_id_of


def rounds_for_area(area_id: int) -> QuerySet[AuditRound]:
    return AuditRound.objects.filter(area_id=area_id).order_by("-period_start", "-pk")


def scored_statements() -> QuerySet[Statement]:
    return Statement.objects.filter(scored=True).select_related("domain").order_by("position")


def domains() -> QuerySet[Domain]:
    return Domain.objects.order_by("number")


def round_agency_scores(audit_round: AuditRound) -> QuerySet[AgencyScore]:
    return (
        AgencyScore.objects.filter(round=audit_round)
        .select_related("agency", "statement", "scored_by")
        .order_by("statement__position", "agency__name")
    )


def round_agreed_scores(audit_round: AuditRound) -> QuerySet[AgreedScore]:
    return (
        AgreedScore.objects.filter(round=audit_round)
        .select_related("statement", "agreed_by")
        .order_by("statement__position")
    )


@dataclass
class StatementRow:
    """A statement of a round: each agency's score, the lowest, and the agreed score."""

    statement: Statement
    scores: dict[int, AgencyScore]
    agreed: AgreedScore | None
    # One entry per agency of the round, in the overview's agency order.
    aligned: list[AgencyScore | None] = field(default_factory=list)

    @property
    def lowest(self) -> int | None:
        return min((row.score for row in self.scores.values()), default=None)

    def score_for(self, agency_id: int) -> AgencyScore | None:
        return self.scores.get(agency_id)


@dataclass
class DomainBlock:
    domain: Domain
    rows: list[StatementRow]

    @property
    def average(self) -> float | None:
        scores = [row.agreed.score for row in self.rows if row.agreed is not None]
        return round(sum(scores) / len(scores), 2) if scores else None


@dataclass
class RoundOverview:
    audit_round: AuditRound
    agencies: list[Any]
    blocks: list[DomainBlock]

    @property
    def rows(self) -> list[StatementRow]:
        return [row for block in self.blocks for row in block.rows]

    def row(self, ref: str) -> StatementRow | None:
        return next((row for row in self.rows if row.statement.ref == ref), None)


def round_overview(audit_round: AuditRound) -> RoundOverview:
    """Every scored statement of the round with its scores: three queries."""
    statements = list(scored_statements())
    scores: dict[int, dict[int, AgencyScore]] = {}
    agencies: dict[int, Any] = {}
    for score in round_agency_scores(audit_round):
        scores.setdefault(score.statement_id, {})[score.agency_id] = score
        agencies[score.agency_id] = score.agency
    agreed = {row.statement_id: row for row in round_agreed_scores(audit_round)}
    blocks: dict[int, DomainBlock] = {}
    for statement in statements:
        block = blocks.setdefault(statement.domain_id, DomainBlock(statement.domain, []))
        block.rows.append(
            StatementRow(statement, scores.get(statement.pk, {}), agreed.get(statement.pk))
        )
    ordered = sorted(agencies.values(), key=lambda agency: agency.name)
    for block in blocks.values():
        for row in block.rows:
            row.aligned = [row.scores.get(agency.pk) for agency in ordered]
    return RoundOverview(
        audit_round=audit_round,
        agencies=ordered,
        blocks=sorted(blocks.values(), key=lambda block: block.domain.number),
    )


def agreed_scores_by_round(rounds: Sequence[AuditRound]) -> dict[int, dict[str, int]]:
    """{round id: {statement ref: agreed score}}: one query."""
    result: dict[int, dict[str, int]] = {audit_round.pk: {} for audit_round in rounds}
    rows = AgreedScore.objects.filter(round__in=rounds).values_list(
        "round_id", "statement__ref", "score"
    )
    for round_id, ref, score in rows:
        result[round_id][ref] = score
    return result


def visible_case_for_feedback(actor: Actor, case_id: Any) -> Case:
    """The case, if the actor may see it and it is of their area; else not found, exactly as
    an id that does not exist."""
    if isinstance(case_id, bool) or not isinstance(case_id, int):
        raise PartnershipNotFound()
    found = (
        cases_visible_to(actor)
        .filter(pk=case_id, area_id=area_id_of(actor))
        .select_related("child", "current_stage")
        .first()
    )
    if found is None:
        raise PartnershipNotFound()
    return found


def case_process_feedback(case: Case) -> QuerySet[ProcessFeedback]:
    """The feedback on the process recorded on a case the caller has checked is visible."""
    return ProcessFeedback.objects.filter(case=case).select_related("recorded_by")


# The newest feedback rows a list without a case shows (a collection, not an export).
FEEDBACK_LIST_LIMIT = 100


def process_feedback_visible_to(actor: Actor) -> QuerySet[ProcessFeedback]:
    """The newest feedback on the process recorded on cases the actor may see."""
    visible = cases_visible_to(actor).filter(area_id=area_id_of(actor)).values("pk")
    return ProcessFeedback.objects.filter(case_id__in=visible).select_related("recorded_by")[
        :FEEDBACK_LIST_LIMIT
    ]
