"""Case endpoints: thin views over the selectors and services."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.models import Case, StageMove
from cases.process import engine
from cases.read_audit import CASE_READ, audited_read, record_read
from cases.selectors import (
    CASE_RELATED,
    as_case_list,
    case_list_visible_to,
    cases_visible_to,
    is_in_role_scope,
    stage_tasks_for,
)
from cases.services import designate_lead_practitioner
from pathways.compiled import compiled_version

from .filters import CaseFilter
from .pagination import BoundedCountPagination
from .permissions import HoldsCases
from .reads import AuditedListMixin
from .serializers import (
    CaseDetailSerializer,
    CaseListSerializer,
    DesignateLeadSerializer,
    TakeTransitionSerializer,
    TransitionOptionSerializer,
)


def _visible_case(request: Request, pk: int) -> Case:
    # Outside the user's selector a case is a 404, whether or not it exists.
    return get_object_or_404(cases_visible_to(request.user), pk=pk)


def _with_route(cases: QuerySet[Case]) -> QuerySet[Case]:
    moves = StageMove.objects.select_related("transition", "from_stage", "to_stage", "actor")
    return cases.prefetch_related(
        Prefetch("moves", queryset=moves.order_by("moved_at", "pk"), to_attr="route_moves")
    )


# What CaseDetailSerializer shows, and nothing more. Reading every column of the case, its
# child, stage, lead, pathway version and pathway, and of viewflow's process row (none of which
# it shows: not joined now), was about 120 columns for the ORM to compile and turn into objects
# and for PostgreSQL to parse; the route's moves the same. The stages and transitions come from
# the case's published version, immutable and cached in each process
# (pathways.compiled), rather than from four more joins. cases/tests/api/
# test_case_detail_queries.py pins the queries: a column left out that the serializer comes to
# read costs a query per deferred field and fails it.
DETAIL_COLUMNS = (
    "child__reference",
    "child__first_name",
    "child__last_name",
    "involvement",
    "current_stage",
    "stage_entered_at",
    "stage_due_on",
    "stage_overdue_since",
    "lead_practitioner__username",
    "lead_practitioner__first_name",
    "lead_practitioner__last_name",
    "confirmed_continuum_level",
    "closed_at",
    "lock_version",
    "significant_harm_suspected",
    "referral_received_at",
    "closure_reason",
    "pathway_version__number",
    "pathway_version__pathway__key",
)
ROUTE_COLUMNS = (
    "case",
    "kind",
    "transition",
    "from_stage",
    "to_stage",
    "actor__username",
    "actor__first_name",
    "actor__last_name",
    "reason",
    "data",
    "moved_at",
    "due_on",
)
ROUTE_NAMES = ("transition__key", "from_stage__key", "to_stage__key")


def _detail(request: Request, pk: int) -> Case:
    visible = cases_visible_to(request.user).select_related(None)
    case = get_object_or_404(
        visible.select_related("child", "lead_practitioner", "pathway_version__pathway").only(
            *DETAIL_COLUMNS
        ),
        pk=pk,
    )
    version = compiled_version(case.pathway_version_id)
    case.current_stage = version.stages[case.current_stage_id]
    # One case: its moves read directly, without prefetch_related's machinery for many.
    moves = (
        StageMove.objects.filter(case_id=case.pk).select_related("actor").order_by("moved_at", "pk")
    )
    route = list(moves.only(*ROUTE_COLUMNS))
    transitions = {transition.pk: transition for transition in version.transitions.values()}
    named = all(
        move.to_stage_id in version.stages
        and (move.from_stage_id is None or move.from_stage_id in version.stages)
        and (move.transition_id is None or move.transition_id in transitions)
        for move in route
    )
    if not named:
        # Moves made on an earlier version, before the case was moved to this one: their
        # stages and transitions are read with them.
        route = list(
            moves.select_related("transition", "from_stage", "to_stage").only(
                *ROUTE_COLUMNS, *ROUTE_NAMES
            )
        )
    else:
        for move in route:
            move.to_stage = version.stages[move.to_stage_id]
            if move.from_stage_id is not None:
                move.from_stage = version.stages[move.from_stage_id]
            if move.transition_id is not None:
                move.transition = transitions[move.transition_id]
    case.route_moves = route
    return case


def _answer_to_write(case: Case) -> dict[str, Any]:
    """The case as the user's write left it. Not a new read through the selector: a manager
    who hands a case to another team, or clears an escalated stage, has just acted on it and
    gets the answer to that once, though the case may now have left their view."""
    written = _with_route(Case.objects.select_related(*CASE_RELATED)).get(pk=case.pk)
    return dict(CaseDetailSerializer(written).data)


class CaseListApi(AuditedListMixin, generics.ListAPIView):
    """Cases the user may see, newest first; `?scope=mine` for the open cases they work."""

    serializer_class = CaseListSerializer
    permission_classes = [HoldsCases]
    filterset_class = CaseFilter
    pagination_class = BoundedCountPagination

    def audit_changes(self) -> dict[str, Any]:
        return {"list": "cases"}

    def filter_queryset(self, queryset: QuerySet[Any, Any]) -> QuerySet[Any, Any]:
        # Only what a list shows, after the filters (scope=mine replaces the queryset).
        return as_case_list(super().filter_queryset(queryset))

    def get_queryset(self) -> QuerySet[Case]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Case.objects.none()
        return case_list_visible_to(self.request.user).order_by("-pk")


class TaskInboxApi(AuditedListMixin, generics.ListAPIView):
    """The user's inbox: open cases whose current stage is theirs to work, soonest due first."""

    serializer_class = CaseListSerializer
    permission_classes = [HoldsCases]
    pagination_class = BoundedCountPagination

    def audit_changes(self) -> dict[str, Any]:
        return {"list": "tasks"}

    def filter_queryset(self, queryset: QuerySet[Any, Any]) -> QuerySet[Any, Any]:
        # Only what a list shows, after the filters (scope=mine replaces the queryset).
        return as_case_list(super().filter_queryset(queryset))

    def get_queryset(self) -> QuerySet[Case]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Case.objects.none()
        return stage_tasks_for(self.request.user)


def _workable_case(request: Request, pk: int) -> Case:
    """A case the user may act on by their role: unseen is 404; seen only through a grant
    (read access) is 403."""
    case = _visible_case(request, pk)
    if not is_in_role_scope(request.user, case.pk):
        raise PermissionDenied("Your access to this case is read-only.")
    return case


class CaseDetailApi(APIView):
    @extend_schema(responses=CaseDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        with audited_read():
            case = _detail(request, pk)
            data = CaseDetailSerializer(case).data
            record_read(actor=request.user, action=CASE_READ, target=case)
        return Response(data)


class CaseTransitionsApi(APIView):
    """What the user may do now, and doing it. Read-only access (a grant) offers nothing."""

    @extend_schema(responses=TransitionOptionSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        with audited_read():
            case = _visible_case(request, pk)
            options = (
                engine.transitions_for(case=case, actor=request.user)
                if is_in_role_scope(request.user, case.pk)
                else []
            )
            data = TransitionOptionSerializer(options, many=True).data
            record_read(actor=request.user, action=CASE_READ, target=case, section="transitions")
        return Response(data)

    @extend_schema(request=TakeTransitionSerializer, responses=CaseDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        case = _workable_case(request, pk)
        payload = TakeTransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values: dict[str, Any] = payload.validated_data
        engine.take_transition(
            case=case,
            transition=values["transition"],
            actor=request.user,
            reason=values["reason"],
            data=values["data"],
            expected_version=values["expected_version"],
        )
        return Response(_answer_to_write(case))


class CaseLeadPractitionerApi(APIView):
    @extend_schema(request=DesignateLeadSerializer, responses=CaseDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        case = _visible_case(request, pk)
        payload = DesignateLeadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        designate_lead_practitioner(
            case=case,
            practitioner=payload.validated_data["practitioner"],
            actor=request.user,
            reason=payload.validated_data["reason"],
        )
        return Response(_answer_to_write(case), status=status.HTTP_200_OK)
