"""Partnership endpoints: thin views over the selectors and services.

The dashboard and its drill-downs answer for the user's partnership area, with small numbers
suppressed and cases pseudonymised for analysts (`partnership.disclosure`). Rounds of another
area are a 404; a role that may not see the partnership's figures or audit gets 403.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.actors import signed_in
from cases.api.permissions import HoldsCases
from cases.models import Case
from cases.read_audit import CASE_READ, audited_read, record_list_read, record_read

from ..disclosure import show_figures
from ..drilldown import drilldown
from ..evidence import suggested_evidence
from ..exports import round_pdf, round_xlsx
from ..figures import (
    FIGURES,
    Figure,
    Scope,
    cached_dashboard,
    dashboard_query,
    dashboard_scope,
    default_period,
)
from ..models import AgencyScore, AuditRound, Statement
from ..permissions import (
    area_id_of,
    can_view_audit,
    can_view_dashboard,
    sees_suppressed_figures,
)
from ..radar import round_radar
from ..selectors import (
    case_process_feedback,
    process_feedback_visible_to,
    round_agency_scores,
    round_overview,
    rounds_for_area,
    scored_statements,
    visible_case_for_feedback,
)
from ..services import (
    close_audit_round,
    open_audit_round,
    record_agency_score,
    record_drilldown_view,
    record_process_feedback,
    set_agreed_score,
)
from .serializers import (
    AgencyScoreSerializer,
    AgreedScoreSerializer,
    AuditRoundSerializer,
    DashboardFilterSerializer,
    DashboardSerializer,
    DrillDownFilterSerializer,
    DrillDownSerializer,
    OpenRoundSerializer,
    ProcessFeedbackQuerySerializer,
    ProcessFeedbackSerializer,
    RadarQuerySerializer,
    RecordProcessFeedbackSerializer,
    RecordScoreSerializer,
    RoundDetailSerializer,
    SetAgreedScoreSerializer,
    StatementSerializer,
    SuggestedEvidenceSerializer,
)

# --- shared -----------------------------------------------------------------------------------


class _FileRenderer(BaseRenderer):
    """Lets a client ask for the file's type; errors still come back as JSON."""

    charset = None

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> Any:
        if isinstance(data, bytes | str):
            return data
        return JSONRenderer().render(data)


class SvgRenderer(_FileRenderer):
    media_type = "image/svg+xml"
    format = "svg"


class XlsxRenderer(_FileRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"


class PdfRenderer(_FileRenderer):
    media_type = "application/pdf"
    format = "pdf"


def _dashboard_area(request: Request) -> int:
    if not can_view_dashboard(request.user):
        raise PermissionDenied
    area_id = area_id_of(request.user)
    assert area_id is not None  # can_view_dashboard checked it
    return area_id


def _audit_area(request: Request) -> int:
    if not can_view_audit(request.user):
        raise PermissionDenied
    area_id = area_id_of(request.user)
    assert area_id is not None
    return area_id


def _visible_round(request: Request, pk: int) -> AuditRound:
    return get_object_or_404(rounds_for_area(_audit_area(request)), pk=pk)


def _scope(area_id: int, query: DashboardFilterSerializer) -> Scope:
    values: dict[str, Any] = query.validated_data
    default_from, default_to = default_period()
    return dashboard_scope(
        area_id=area_id,
        date_from=values.get("date_from") or default_from,
        date_to=values.get("date_to") or default_to,
        filters=query.filters(),
    )


def _file(content: bytes | str, content_type: str, filename: str = "") -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- the dashboard ----------------------------------------------------------------------------


class DashboardApi(APIView):
    """Every figure for the period of referrals received (default: the last 12 months)."""

    @extend_schema(parameters=[DashboardFilterSerializer], responses=DashboardSerializer)
    def get(self, request: Request) -> Response:
        area_id = _dashboard_area(request)
        query = DashboardFilterSerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        values: dict[str, Any] = query.validated_data
        default_from, default_to = default_period()
        wanted = dashboard_query(
            area_id=area_id,
            date_from=values.get("date_from") or default_from,
            date_to=values.get("date_to") or default_to,
            filters=query.filters(),
        )
        suppress = sees_suppressed_figures(request.user)

        def body(figures: list[Figure]) -> dict[str, Any]:
            shown = {
                "date_from": wanted.date_from,
                "date_to": wanted.date_to,
                "filters": wanted.filters.as_query(),
                "suppressed": suppress,
                "figures": show_figures(figures, suppress=suppress),
            }
            return dict(DashboardSerializer(shown).data)

        # A hit is the serialised body: nothing is computed, suppressed or serialised again.
        return Response(cached_dashboard(wanted, view=f"api:{suppress}", build=body))


class FigureCasesApi(APIView):
    """The cases behind a figure's numerator, denominator or breakdown cell, 25 a page."""

    @extend_schema(
        parameters=[
            OpenApiParameter("key", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(FIGURES)),
            DrillDownFilterSerializer,
        ],
        responses=DrillDownSerializer,
    )
    def get(self, request: Request, key: str) -> Response:
        area_id = _dashboard_area(request)
        if key not in FIGURES:
            raise Http404
        query = DrillDownFilterSerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        values: dict[str, Any] = query.validated_data
        scope = _scope(area_id, query)
        result = drilldown(
            scope=scope,
            key=key,
            part=values["part"],
            cell=values["cell"],
            user=request.user,
            page=values["page"],
        )
        if not result.pseudonymised and result.case_ids:
            record_drilldown_view(
                actor=request.user,
                figure=key,
                part=values["part"],
                cell=values["cell"],
                case_ids=result.case_ids,
                filters={
                    "from": scope.date_from.isoformat(),
                    "to": scope.date_to.isoformat(),
                    **scope.filters.as_query(),
                },
            )
        return Response(DrillDownSerializer(result).data)


# --- the audit tool ---------------------------------------------------------------------------


class StatementListApi(generics.ListAPIView):
    """The framework's scored audit statements, in order."""

    serializer_class = StatementSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Statement]:
        if getattr(self, "swagger_fake_view", False):
            return Statement.objects.none()
        _audit_area(self.request)
        return scored_statements()


class RoundListApi(generics.ListCreateAPIView):
    """The partnership's audit rounds, latest period first; POST opens one (coordinators)."""

    serializer_class = AuditRoundSerializer

    def get_queryset(self) -> QuerySet[AuditRound]:
        if getattr(self, "swagger_fake_view", False):
            return AuditRound.objects.none()
        return rounds_for_area(_audit_area(self.request))

    @extend_schema(request=OpenRoundSerializer, responses={201: AuditRoundSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _audit_area(request)
        payload = OpenRoundSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values: dict[str, Any] = payload.validated_data
        audit_round = open_audit_round(
            label=values["label"],
            period_start=values["period_start"],
            period_end=values["period_end"],
            actor=request.user,
        )
        return Response(AuditRoundSerializer(audit_round).data, status=status.HTTP_201_CREATED)


class RoundDetailApi(APIView):
    """A round: each scored statement with every agency's score, the lowest and the agreed."""

    @extend_schema(responses=RoundDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(RoundDetailSerializer(round_overview(_visible_round(request, pk))).data)


class RoundCloseApi(APIView):
    @extend_schema(request=None, responses=AuditRoundSerializer)
    def post(self, request: Request, pk: int) -> Response:
        audit_round = close_audit_round(audit_round=_visible_round(request, pk), actor=request.user)
        return Response(AuditRoundSerializer(audit_round).data)


class RoundScoresApi(generics.ListCreateAPIView):
    """Every agency score of the round; POST records (or revises) one."""

    serializer_class = AgencyScoreSerializer

    def get_queryset(self) -> QuerySet[AgencyScore]:
        if getattr(self, "swagger_fake_view", False):
            return AgencyScore.objects.none()
        return round_agency_scores(_visible_round(self.request, self.kwargs["pk"]))

    @extend_schema(request=RecordScoreSerializer, responses={201: AgencyScoreSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        audit_round = _visible_round(request, kwargs["pk"])
        payload = RecordScoreSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values: dict[str, Any] = payload.validated_data
        user = signed_in(request.user)
        agency = values["agency"] or user.agency_id
        if agency is None:
            raise PermissionDenied
        score = record_agency_score(
            audit_round=audit_round,
            statement=values["statement"],
            agency=agency,
            score=values["score"],
            evidence=values["evidence"],
            assurance=values["assurance"],
            comments=values["comments"],
            actor=user,
        )
        score = round_agency_scores(audit_round).get(pk=score.pk)
        return Response(AgencyScoreSerializer(score).data, status=status.HTTP_201_CREATED)


class RoundAgreedScoreApi(APIView):
    """Agree the partnership's score for a statement (coordinators); other than the lowest
    agency score it needs a rationale."""

    @extend_schema(request=SetAgreedScoreSerializer, responses=AgreedScoreSerializer)
    def post(self, request: Request, pk: int) -> Response:
        audit_round = _visible_round(request, pk)
        payload = SetAgreedScoreSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values: dict[str, Any] = payload.validated_data
        agreed = set_agreed_score(
            audit_round=audit_round,
            statement=values["statement"],
            score=values["score"],
            rationale=values["rationale"],
            actor=request.user,
        )
        return Response(AgreedScoreSerializer(agreed).data)


class RoundEvidenceApi(APIView):
    """Suggested evidence: the live figures for the round's period, per statement they inform
    (counts under five as "<5")."""

    @extend_schema(responses=SuggestedEvidenceSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        evidence = suggested_evidence(_visible_round(request, pk))
        rows = [{"statement": ref, "evidence": text} for ref, text in sorted(evidence.items())]
        return Response(SuggestedEvidenceSerializer(rows, many=True).data)


def _compared(request: Request, audit_round: AuditRound, compare: int | None) -> list[AuditRound]:
    rounds = [audit_round]
    if compare is not None and compare != audit_round.pk:
        rounds.append(get_object_or_404(rounds_for_area(audit_round.area_id), pk=compare))
    return rounds


class RoundRadarApi(APIView):
    """The radar as SVG: per domain (average agreed score) or per statement, one polygon per
    round, optionally overlaid with another round."""

    renderer_classes = [JSONRenderer, SvgRenderer]

    @extend_schema(
        operation_id="partnership_rounds_radar_svg",
        parameters=[RadarQuerySerializer],
        responses={(200, "image/svg+xml"): OpenApiResponse(OpenApiTypes.STR)},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        audit_round = _visible_round(request, pk)
        query = RadarQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        values: dict[str, Any] = query.validated_data
        rounds = _compared(request, audit_round, values.get("compare"))
        svg = render_to_string(
            "partnership/includes/radar.svg", {"radar": round_radar(rounds, values["view"])}
        )
        return _file(svg, "image/svg+xml; charset=utf-8")


class RoundXlsxApi(APIView):
    renderer_classes = [JSONRenderer, XlsxRenderer]

    @extend_schema(
        operation_id="partnership_rounds_export_xlsx",
        responses={
            (200, XlsxRenderer.media_type): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="Statements with each agency's score, the agreed score and rationale.",
            )
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        export = round_xlsx(_visible_round(request, pk))
        return _file(export.content, export.content_type, export.filename)


class RoundPdfApi(APIView):
    renderer_classes = [JSONRenderer, PdfRenderer]

    @extend_schema(
        operation_id="partnership_rounds_export_pdf",
        parameters=[
            OpenApiParameter("compare", OpenApiTypes.INT, description="Overlay this round.")
        ],
        responses={(200, PdfRenderer.media_type): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        audit_round = _visible_round(request, pk)
        query = RadarQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        rounds = _compared(request, audit_round, query.validated_data.get("compare"))
        export = round_pdf(audit_round, rounds[1:])
        return _file(export.content, export.content_type, export.filename)


# --- feedback on the process (3.8) -----------------------------------------------------------


class ProcessFeedbackApi(APIView):
    """Feedback from children and families on the referral and assessment process (3.8).

    The casework roles only (a role that never works a case file is refused, as on the case
    lists): the feedback is a child's or family's own words about their case.

    GET lists a case's feedback (`?case=`, a case you may see; without it the newest on the
    cases you may see); POST records one, by the
    case's lead practitioner or an area-wide role working on it (`record_process_feedback`).
    """

    permission_classes = [HoldsCases]

    @extend_schema(
        parameters=[ProcessFeedbackQuerySerializer],
        responses={200: ProcessFeedbackSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        query = ProcessFeedbackQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        actor = signed_in(request.user)
        # Children's and families' own words about a case: read as the case's record is,
        # with its audit event in the same transaction.
        with audited_read():
            if "case" in query.validated_data:
                case = visible_case_for_feedback(actor, query.validated_data["case"])
                rows = list(case_process_feedback(case))
                record_read(
                    actor=actor,
                    action=CASE_READ,
                    target=case,
                    section="process_feedback",
                    ids=[row.pk for row in rows],
                )
            else:
                rows = list(process_feedback_visible_to(actor))
                record_list_read(
                    actor=actor,
                    action=CASE_READ,
                    model=Case,
                    ids=sorted({row.case_id for row in rows}),
                    list="process_feedback",
                )
            data = ProcessFeedbackSerializer(rows, many=True).data
        return Response(data)

    @extend_schema(
        request=RecordProcessFeedbackSerializer, responses={201: ProcessFeedbackSerializer}
    )
    def post(self, request: Request) -> Response:
        payload = RecordProcessFeedbackSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values: dict[str, Any] = payload.validated_data
        row = record_process_feedback(
            case=values["case"],
            given_by=values["given_by"],
            aspect=values["aspect"],
            feedback=values["feedback"],
            found_accessible=values["found_accessible"],
            actor=signed_in(request.user),
        )
        return Response(ProcessFeedbackSerializer(row).data, status=status.HTTP_201_CREATED)
