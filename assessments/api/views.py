"""Assessment endpoints: thin views over the selectors and services.

Every view starts from `assessments_visible_to` (or `cases_visible_to`), so an assessment on
an unseen case is a 404; serializers check shape and the services hold the rules (400 with
field messages, 403 for a role, 409 for a step the assessment is not at).
"""

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.permissions import HoldsCases
from cases.api.reads import AuditedListMixin
from cases.read_audit import ASSESSMENT_READ, CASE_READ, audited_read, record_read
from cases.selectors import cases_visible_to

from ..models import Assessment, AssessmentContribution
from ..selectors import assessments_visible_to
from ..services import (
    add_contribution,
    authorise_assessment,
    request_assessment,
    return_assessment,
    save_assessment_sections,
    start_assessment,
    submit_assessment,
)
from ..suitability import active_tools, tools_for
from .filters import AssessmentFilter
from .serializers import (
    AddContributionSerializer,
    AssessmentContributionSerializer,
    AssessmentDetailSerializer,
    AssessmentListSerializer,
    AssessmentToolSerializer,
    AuthoriseAssessmentSerializer,
    RequestAssessmentSerializer,
    ReturnAssessmentSerializer,
    SaveSectionsSerializer,
    StartAssessmentSerializer,
    SubmitAssessmentSerializer,
    ToolFilterSerializer,
)


def _contributions() -> Prefetch:
    return Prefetch(
        "contributions",
        queryset=AssessmentContribution.objects.select_related(
            "agency", "practitioner", "recorded_by"
        ),
    )


def _visible_assessment(request: Request, pk: int) -> Assessment:
    return get_object_or_404(
        assessments_visible_to(request.user).select_related("started_by"), pk=pk
    )


def _detail(
    request: Request, pk: int, *, status_code: int = status.HTTP_200_OK, audit: bool = False
) -> Response:
    """The assessment as the user may see it; `audit` for a read (a write's answer is not a
    read: the write is audited already)."""
    with audited_read():
        assessment = get_object_or_404(
            assessments_visible_to(request.user)
            .select_related("started_by")
            .prefetch_related(_contributions()),
            pk=pk,
        )
        data = AssessmentDetailSerializer(assessment, context={"request": request}).data
        if audit:
            record_read(
                actor=request.user,
                action=ASSESSMENT_READ,
                target=assessment,
                case=assessment.case_id,
            )
    return Response(data, status=status_code)


class AssessmentListApi(AuditedListMixin, generics.ListCreateAPIView):
    """Assessments on the cases you may see, newest first; POST requests a new one."""

    serializer_class = AssessmentListSerializer
    permission_classes = [HoldsCases]
    read_action = ASSESSMENT_READ
    audit_model = Assessment
    filterset_class = AssessmentFilter

    def get_queryset(self) -> QuerySet[Assessment]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Assessment.objects.none()
        return assessments_visible_to(self.request.user).order_by("-requested_at", "-pk")

    @extend_schema(request=RequestAssessmentSerializer, responses={201: AssessmentDetailSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = RequestAssessmentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values: dict[str, Any] = payload.validated_data
        case = get_object_or_404(cases_visible_to(request.user), pk=values["case"])
        assessment = request_assessment(
            case=case,
            assessment_type=values["assessment_type"],
            requested_for=values["requested_for"],
            notes=values["notes"],
            type_justification=values["type_justification"],
            actor=request.user,
        )
        return _detail(request, assessment.pk, status_code=status.HTTP_201_CREATED)


class AssessmentDetailApi(APIView):
    @extend_schema(responses=AssessmentDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return _detail(request, pk, audit=True)


class AssessmentStartApi(APIView):
    """Start with a tool; a blocked tool is refused naming the rule, a warning needs a
    justification."""

    @extend_schema(request=StartAssessmentSerializer, responses=AssessmentDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        assessment = _visible_assessment(request, pk)
        payload = StartAssessmentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values: dict[str, Any] = payload.validated_data
        start_assessment(
            assessment=assessment,
            tool=values["tool"],
            started_on=values["started_on"],
            justification=values["justification"],
            actor=request.user,
        )
        return _detail(request, pk)


class AssessmentSectionsApi(APIView):
    """Save some or all of the holistic sections; sections not sent are kept."""

    @extend_schema(request=SaveSectionsSerializer, responses=AssessmentDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        assessment = _visible_assessment(request, pk)
        payload = SaveSectionsSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        save_assessment_sections(
            assessment=assessment, sections=payload.validated_data, actor=request.user
        )
        return _detail(request, pk)


class AssessmentContributionsApi(APIView):
    """Another agency's contribution to the assessment."""

    @extend_schema(
        request=AddContributionSerializer, responses={201: AssessmentContributionSerializer}
    )
    def post(self, request: Request, pk: int) -> Response:
        assessment = _visible_assessment(request, pk)
        payload = AddContributionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values: dict[str, Any] = payload.validated_data
        contribution = add_contribution(
            assessment=assessment,
            agency=values["agency"],
            practitioner=values["practitioner"],
            summary=values["summary"],
            actor=request.user,
        )
        return Response(
            AssessmentContributionSerializer(contribution).data, status=status.HTTP_201_CREATED
        )


class AssessmentSubmitApi(APIView):
    @extend_schema(request=SubmitAssessmentSerializer, responses=AssessmentDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        assessment = _visible_assessment(request, pk)
        payload = SubmitAssessmentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        submit_assessment(assessment=assessment, actor=request.user, **payload.validated_data)
        return _detail(request, pk)


class AssessmentAuthoriseApi(APIView):
    """A team manager authorises; the recommended route is then offered on the case."""

    @extend_schema(request=AuthoriseAssessmentSerializer, responses=AssessmentDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        assessment = _visible_assessment(request, pk)
        payload = AuthoriseAssessmentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        authorise_assessment(assessment=assessment, actor=request.user, **payload.validated_data)
        return _detail(request, pk)


class AssessmentReturnApi(APIView):
    """A team manager returns it to the assessor with comments; it is started again."""

    @extend_schema(request=ReturnAssessmentSerializer, responses=AssessmentDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        assessment = _visible_assessment(request, pk)
        payload = ReturnAssessmentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return_assessment(
            assessment=assessment, comments=payload.validated_data["comments"], actor=request.user
        )
        return _detail(request, pk)


class ToolListApi(APIView):
    """The tool catalogue; with `?case=`, each tool judged for that case's child, by you,
    today: allowed, warning (needs a justification) or blocked, with the messages, in the
    order suggested (tools that suit the child first, the best fit first) and the reason."""

    @extend_schema(
        parameters=[
            OpenApiParameter("case", OpenApiTypes.INT, description="Judge tools for this case."),
            OpenApiParameter(
                "assessment_type",
                OpenApiTypes.STR,
                description="Judge tools for this type of assessment too.",
            ),
        ],
        responses=AssessmentToolSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = ToolFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        values: dict[str, Any] = filters.validated_data
        if "case" not in values:
            return Response(AssessmentToolSerializer(active_tools(), many=True).data)
        with audited_read():
            case = get_object_or_404(cases_visible_to(request.user), pk=values["case"])
            judged = tools_for(
                case=case,
                practitioner=request.user,
                on=timezone.localdate(),
                assessment_type=values.get("assessment_type", ""),
            )
            data = AssessmentToolSerializer(
                [item.tool for item in judged],
                many=True,
                context={"suitability": {item.tool.pk: item for item in judged}},
            ).data
            # The tools judged against the child's age and needs: a read of the case.
            record_read(actor=request.user, action=CASE_READ, target=case, section="tools")
        return Response(data)
