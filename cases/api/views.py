"""Case endpoints: thin views over the selectors and services."""

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.models import Case, StageMove
from cases.selectors import cases_visible_to, my_cases, stage_tasks_for
from cases.services import designate_lead_practitioner
from pathways import engine

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


def _detail(request: Request, pk: int) -> Case:
    moves = StageMove.objects.select_related("transition", "from_stage", "to_stage", "actor")
    return get_object_or_404(
        cases_visible_to(request.user).prefetch_related(
            Prefetch("moves", queryset=moves.order_by("moved_at", "pk"), to_attr="route_moves")
        ),
        pk=pk,
    )


class CaseListApi(generics.ListAPIView):
    """Cases the user may see; `?scope=mine` for the open cases they work."""

    serializer_class = CaseListSerializer

    def get_queryset(self) -> QuerySet[Case]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Case.objects.none()
        if self.request.query_params.get("scope") == "mine":
            return my_cases(self.request.user)
        queryset = cases_visible_to(self.request.user).order_by("-pk")
        stage = self.request.query_params.get("stage")
        if stage:
            queryset = queryset.filter(current_stage__key=stage)
        if self.request.query_params.get("open") == "true":
            queryset = queryset.filter(closed_at__isnull=True)
        return queryset


class TaskInboxApi(generics.ListAPIView):
    """The user's inbox: open cases whose current stage is theirs to work, soonest due first."""

    serializer_class = CaseListSerializer

    def get_queryset(self) -> QuerySet[Case]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Case.objects.none()
        return stage_tasks_for(self.request.user)


class CaseDetailApi(APIView):
    @extend_schema(responses=CaseDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(CaseDetailSerializer(_detail(request, pk)).data)


class CaseTransitionsApi(APIView):
    """What the user may do now, and doing it."""

    @extend_schema(responses=TransitionOptionSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        case = _visible_case(request, pk)
        options = engine.transitions_for(case=case, actor=request.user)
        return Response(TransitionOptionSerializer(options, many=True).data)

    @extend_schema(request=TakeTransitionSerializer, responses=CaseDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        case = _visible_case(request, pk)
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
        return Response(CaseDetailSerializer(_detail(request, pk)).data)


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
        return Response(CaseDetailSerializer(_detail(request, pk)).data, status=status.HTTP_200_OK)
