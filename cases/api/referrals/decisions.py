"""Repeat referrals: the front door's decisions on referrals that joined an open case, and a
case's referral pattern.

GET  /api/cases/referrals/decisions/            the decisions on the user's cases (?status=)
POST /api/cases/referrals/decisions/<id>/decide/ decide one (`decide_repeat_referral`)
GET  /api/cases/<id>/referrals/                  the case's referrals over time, their
                                                  behaviours' continuum levels and decisions

Serializers check shape only; the rules are the service's.
"""

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.exceptions import InvalidRepeatReferralDecision
from cases.models import Case, Referral, RepeatReferralDecision, RepeatReferralOutcome
from cases.read_audit import CASE_READ, REFERRAL_READ, audited_read, record_read
from cases.referrals.selectors import (
    PatternRow,
    case_referral_pattern,
    decided_late,
    is_overdue,
    repeat_decision_list_for,
)
from cases.referrals.services import decide_repeat_referral
from cases.selectors import cases_visible_to
from core.limits import TEXT_MAX_LENGTH
from pathways.continuum import ContinuumLevel

from ..permissions import HoldsCases
from ..reads import AuditedListMixin
from .views import flatten_errors

STATUSES = ("undecided", "decided", "all")


class _BehaviourSerializer(serializers.Serializer):
    description = serializers.CharField()
    continuum_level = serializers.CharField()
    traffic_light = serializers.CharField()
    setting = serializers.CharField()
    technology_assisted = serializers.BooleanField()


def _behaviours(referral: Referral) -> list[dict[str, Any]]:
    rows = getattr(referral, "behaviour_list", [])
    return [dict(_BehaviourSerializer(behaviour).data) for behaviour in rows]


def _person(user: Any) -> str | None:
    return None if user is None else str(user)


def _decision(decision: RepeatReferralDecision, today: Any) -> dict[str, Any]:
    return {
        "id": decision.pk,
        "due_on": decision.due_on.isoformat(),
        "overdue": is_overdue(decision, today),
        "outcome": decision.outcome or None,
        "transition": decision.transition.key if decision.transition is not None else None,
        "reason": decision.reason,
        "decided_by": _person(decision.decided_by),
        "decided_at": None
        if decision.decided_at is None
        else serializers.DateTimeField().to_representation(decision.decided_at),
        "decided_late": decided_late(decision),
    }


class RepeatDecisionSerializer(serializers.Serializer):
    """A decision on a referral that joined an open case, with the referral and the case."""

    def to_representation(self, decision: RepeatReferralDecision) -> dict[str, Any]:
        case = decision.case
        referral = decision.referral
        today = self.context.get("today") or timezone.localdate()
        return {
            **_decision(decision, today),
            "referral": {
                "id": referral.pk,
                "received_at": serializers.DateTimeField().to_representation(referral.received_at),
                "continuum_level": referral.continuum_level,
                "description": referral.description,
                "behaviours": _behaviours(referral),
            },
            "case": {
                "id": case.pk,
                "child": {"reference": case.child.reference, "name": case.child.full_name},
                "involvement": case.involvement,
                "stage": {"key": case.current_stage.key, "name": case.current_stage.name},
                "lead_practitioner": _person(case.lead_practitioner),
                "lock_version": case.lock_version,
            },
        }


class DecideSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=RepeatReferralOutcome.choices)
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH
    )
    transition = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    continuum_level = serializers.ChoiceField(
        choices=ContinuumLevel.choices, required=False, allow_blank=True, default=""
    )
    significant_harm_suspected = serializers.BooleanField(required=False, allow_null=True)
    # With a step-up into a stage that needs a lead practitioner (the engine checks it).
    lead_practitioner = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**63 - 1
    )
    expected_version = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class RepeatDecisionListApi(AuditedListMixin, generics.ListAPIView):
    """The decisions on referrals that joined an open case, on the cases the user's role
    gives them; `?status=undecided` (the default, soonest due first), `decided` or `all`.
    Each says when it is due (one working day after the referral) and whether it is
    overdue."""

    permission_classes = [HoldsCases]
    serializer_class = RepeatDecisionSerializer
    read_action = REFERRAL_READ
    audit_model = RepeatReferralDecision

    def audit_changes(self) -> dict[str, Any]:
        return {"list": "repeat_decisions"}

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=list(STATUSES), required=False)]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return RepeatReferralDecision.objects.none()
        status = self.request.query_params.get("status", "undecided")
        if status not in STATUSES:
            raise InvalidRepeatReferralDecision(
                "Unknown status.", fields={"status": [f"One of: {', '.join(STATUSES)}."]}
            )
        decisions = repeat_decision_list_for(self.request.user)
        if status == "undecided":
            return decisions.filter(decided_at__isnull=True)
        if status == "decided":
            return decisions.filter(decided_at__isnull=False)
        return decisions


class RepeatDecisionDecideApi(APIView):
    permission_classes = [HoldsCases]

    @extend_schema(request=DecideSerializer, responses=RepeatDecisionSerializer)
    def post(self, request: Request, pk: int) -> Response:
        payload = DecideSerializer(data=request.data)
        if not payload.is_valid():
            raise InvalidRepeatReferralDecision(
                "The decision has errors; nothing was saved.",
                fields=flatten_errors(payload.errors),
            )
        values = payload.validated_data
        facts = {
            key: values[key]
            for key in ("continuum_level", "significant_harm_suspected", "lead_practitioner")
            if values.get(key) not in (None, "")
        }
        decision = decide_repeat_referral(
            decision=pk,
            actor=request.user,
            outcome=values["outcome"],
            reason=values["reason"],
            transition=values["transition"],
            data=facts or None,
            expected_version=values.get("expected_version"),
        )
        # The answer to the write, as it left the decision (the case may have moved on).
        written = (
            RepeatReferralDecision.objects.select_related(
                "referral",
                "case__child",
                "case__current_stage",
                "case__lead_practitioner",
                "transition",
                "decided_by",
            )
            .prefetch_related("referral__behaviours")
            .get(pk=decision.pk)
        )
        written.referral.behaviour_list = list(  # type: ignore[attr-defined]
            written.referral.behaviours.all()
        )
        return Response(RepeatDecisionSerializer(written).data)


def pattern_row(row: PatternRow, today: Any) -> dict[str, Any]:
    return {
        "referral": row.referral.pk,
        "received_at": serializers.DateTimeField().to_representation(row.referral.received_at),
        "involvement": row.involvement,
        "joined_open_case": row.joined_open_case,
        "continuum_level": row.referral.continuum_level,
        "levels": row.levels,
        "behaviours": _behaviours(row.referral),
        "status": row.status,
        "decision": None if row.decision is None else _decision(row.decision, today),
    }


class CaseReferralPatternApi(APIView):
    """The case's referrals over time: each one's behaviours and their continuum levels, and
    for a referral that joined the open case the front door's decision (`status`
    "new_undecided" until it is made)."""

    permission_classes = [HoldsCases]

    @extend_schema(operation_id="cases_referral_pattern_retrieve", responses={200: dict})
    def get(self, request: Request, pk: int) -> Response:
        with audited_read():
            case: Case = get_object_or_404(cases_visible_to(request.user), pk=pk)
            rows = case_referral_pattern(case)
            today = timezone.localdate()
            data = {
                "case": case.pk,
                "undecided": sum(1 for row in rows if row.status == "new_undecided"),
                "referrals": [pattern_row(row, today) for row in rows],
            }
            record_read(
                actor=request.user,
                action=CASE_READ,
                target=case,
                section="referral_pattern",
                referrals=[row.referral.pk for row in rows],
            )
        return Response(data)
