"""Case endpoints: thin views over the selectors and services."""

from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection
from django.db.models import Model, Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.models import Case, StageMove
from cases.process import engine
from cases.process.flow import statement_lost
from cases.read_audit import CASE_READ, audited_read, record_read
from cases.selectors import (
    CASE_RELATED,
    as_case_list,
    case_list_shape,
    case_list_visible_to,
    cases_visible_to,
    holds_cases,
    is_in_role_scope,
    stage_tasks_for,
)
from cases.services import designate_lead_practitioner
from core.pagination import Shape

from .detail_read import CaseRef, case_detail
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


def _answer_to_write(case: Case) -> dict[str, Any]:
    """The case as the user's write left it. Not a new read through the selector: a manager
    who hands a case to another team, or clears an escalated stage, has just acted on it and
    gets the answer to that once, though the case may now have left their view."""
    written = _with_route(Case.objects.select_related(*CASE_RELATED)).get(pk=case.pk)
    return dict(CaseDetailSerializer(written).data)


def _list_shape(view: Any, kind: str) -> Shape | None:
    """The list as a shape compiled once (`core.pagination.Shape`) when the request asks for
    it unfiltered (only a page, and for the case list `scope=mine`); None otherwise, for the
    filters to narrow the selector's queryset as usual."""
    user = view.request.user
    if getattr(view, "swagger_fake_view", False) or not holds_cases(user):
        return None
    return case_list_shape(kind, user)


class CaseListApi(AuditedListMixin, generics.ListAPIView):
    """Cases the user may see, newest first; `?scope=mine` for the open cases they work."""

    serializer_class = CaseListSerializer
    permission_classes = [HoldsCases]
    filterset_class = CaseFilter
    pagination_class = BoundedCountPagination

    def audit_changes(self) -> dict[str, Any]:
        return {"list": "cases"}

    def _unfiltered_kind(self) -> str | None:
        params = self.request.query_params
        if set(params) - {"page", "page_size", "scope"}:
            return None
        scope = params.getlist("scope")
        return "visible" if not scope else "mine" if scope == ["mine"] else None

    def filter_queryset(self, queryset: Any) -> Any:
        if isinstance(queryset, Shape):
            return queryset
        # Only what a list shows, after the filters (scope=mine replaces the queryset).
        return as_case_list(super().filter_queryset(queryset))

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Case.objects.none()
        kind = self._unfiltered_kind()
        shape = None if kind is None else _list_shape(self, kind)
        if shape is not None:
            return shape
        return case_list_visible_to(self.request.user).order_by("-pk")


class TaskInboxApi(AuditedListMixin, generics.ListAPIView):
    """The user's inbox: open cases whose current stage is theirs to work, soonest due first."""

    serializer_class = CaseListSerializer
    permission_classes = [HoldsCases]
    pagination_class = BoundedCountPagination

    def audit_changes(self) -> dict[str, Any]:
        return {"list": "tasks"}

    def filter_queryset(self, queryset: Any) -> Any:
        if isinstance(queryset, Shape):
            return queryset
        return as_case_list(super().filter_queryset(queryset))

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Case.objects.none()
        # No filters here: the inbox is always its compiled shape for a user who holds cases.
        return _list_shape(self, "tasks") or stage_tasks_for(self.request.user)


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
        # The serializer's JSON built from two compiled reads (cases.api.detail_read); a
        # case the user may not read, or that does not exist, is a 404 either way.
        for attempt in (1, 2):
            try:
                with audited_read():
                    data = case_detail(request.user, pk)
                    if data is None:
                        raise Http404
                    record_read(
                        actor=request.user, action=CASE_READ, target=cast(Model, CaseRef(pk))
                    )
                return Response(data)
            except DatabaseError as error:
                # The session lost a statement prepared on it (a DEALLOCATE or DISCARD from
                # elsewhere): prepared again on the second attempt, in a new transaction.
                if attempt == 2 or connection.in_atomic_block or not statement_lost(error):
                    raise
        raise AssertionError("unreachable")


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
