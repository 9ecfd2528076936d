"""Case record endpoints: team around the child, views, sharing decisions, notes, chronology.

Every view starts from `cases_visible_to`, so an unseen case is a 404; serializers check
shape and the services hold the rules (400 with field messages, 403 for a refusal).
"""

import json
from datetime import date
from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.chronology.entries import EntryKind
from cases.chronology.export import export_chronology
from cases.chronology.timeline import child_chronology
from cases.models import (
    Case,
    CaseNote,
    Consent,
    InformationSharingDecision,
    LawfulBasis,
    RecordedView,
    SharingDecision,
    TeamMember,
    ViewHolder,
)
from cases.read_audit import CASE_READ, SHARING_READ, audited_read, record_read
from cases.selectors import case_notes, case_recorded_views, case_sharing_decisions, case_team
from cases.services import (
    add_case_note,
    add_team_member,
    record_information_sharing_decision,
    record_view,
    remove_team_member,
)
from core.limits import LINE_MAX_LENGTH, SHORT_TEXT_MAX_LENGTH, TEXT_MAX_LENGTH

from ..serializers import AgencySerializer, PersonSerializer, id_field
from ..views import _visible_case

# --- serializers -----------------------------------------------------------------------------


class TeamMemberSerializer(serializers.ModelSerializer):
    agency = AgencySerializer()
    practitioner = PersonSerializer(allow_null=True)
    added_by = PersonSerializer(allow_null=True)

    class Meta:
        model = TeamMember
        fields = [
            "id",
            "agency",
            "practitioner",
            "role_on_case",
            "joined_at",
            "left_at",
            "added_by",
        ]


class AddTeamMemberSerializer(serializers.Serializer):
    # Ids only: `add_team_member` looks them up in the case's area (else 404).
    agency = id_field(help_text="An agency of the case's area.")
    practitioner = id_field(
        required=False,
        allow_null=True,
        default=None,
        help_text="Optional: a practitioner who works for the agency.",
    )
    role_on_case = serializers.CharField(
        max_length=LINE_MAX_LENGTH, help_text="What they do for the child, e.g. school DSL."
    )


class RemoveTeamMemberSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=SHORT_TEXT_MAX_LENGTH,
        help_text="Required.",
    )


class RecordedViewSerializer(serializers.ModelSerializer):
    holder_label = serializers.CharField(source="get_holder_display")
    recorded_by = PersonSerializer()

    class Meta:
        model = RecordedView
        fields = [
            "id",
            "holder",
            "holder_label",
            "holder_description",
            "view",
            "recorded_at",
            "recorded_by",
        ]


class RecordViewSerializer(serializers.Serializer):
    holder = serializers.ChoiceField(choices=ViewHolder.choices)
    holder_description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=LINE_MAX_LENGTH
    )
    view = serializers.CharField(max_length=TEXT_MAX_LENGTH)


class SharingDecisionSerializer(serializers.ModelSerializer):
    recipient_agency = AgencySerializer()
    recipient_practitioner = PersonSerializer(allow_null=True)
    overridden_by = PersonSerializer(allow_null=True)
    decided_by = PersonSerializer()

    class Meta:
        model = InformationSharingDecision
        fields = [
            "id",
            "decision",
            "information",
            "recipient_agency",
            "recipient_practitioner",
            "purpose",
            "lawful_basis",
            "consent",
            "consent_reason",
            "overridden_by",
            "child_family_views",
            "decided_by",
            "decided_at",
        ]


class RecordSharingDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=SharingDecision.choices, help_text="Decisions not to share are recorded too."
    )
    information = serializers.CharField(
        max_length=TEXT_MAX_LENGTH, help_text="What was shared (or would have been)."
    )
    # Ids only: `record_information_sharing_decision` looks the agency and the people up.
    recipient_agency = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        help_text="The agency the decision concerns; one of another partnership area only "
        "with across_areas.",
    )
    recipient_practitioner = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        allow_null=True,
        default=None,
        help_text="Must work for the recipient agency.",
    )
    across_areas = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The recipient agency is in another partnership area: an explicit, audited "
        "cross-area decision. The recipient sees what was shared, never the case file.",
    )
    purpose = serializers.CharField(
        max_length=SHORT_TEXT_MAX_LENGTH, help_text="Why share (or why not)."
    )
    lawful_basis = serializers.ChoiceField(choices=LawfulBasis.choices)
    consent = serializers.ChoiceField(choices=Consent.choices)
    consent_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=SHORT_TEXT_MAX_LENGTH,
        help_text="Required when consent was not sought or a refusal was overridden.",
    )
    overridden_by = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        allow_null=True,
        default=None,
        help_text="Who overrode a refusal of consent (a practitioner of the case's area); "
        "required when consent is 'overridden'.",
    )
    child_family_views = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH
    )


class CaseNoteSerializer(serializers.ModelSerializer):
    author = PersonSerializer()

    class Meta:
        model = CaseNote
        fields = ["id", "text", "written_at", "author"]


class AddCaseNoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=TEXT_MAX_LENGTH)


class ChronologyEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=EntryKind.choices)
    kind_label = serializers.CharField()
    title = serializers.CharField()
    detail = serializers.CharField()
    actor = serializers.CharField()
    case_id = serializers.IntegerField()


class ChronologyQuerySerializer(serializers.Serializer):
    kinds = serializers.CharField(required=False, allow_blank=True, default="")
    to = serializers.DateField(required=False, allow_null=True, default=None)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # "from" is a Python keyword, so it cannot be declared as a class attribute.
        fields["from"] = serializers.DateField(required=False, allow_null=True, default=None)
        return fields

    def validate_kinds(self, value: str) -> list[str]:
        kinds = [kind.strip() for kind in value.split(",") if kind.strip()]
        unknown = sorted(set(kinds) - set(EntryKind.values))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown: {', '.join(unknown)}. Choose from {', '.join(EntryKind.values)}."
            )
        return kinds

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("from"), attrs.get("to")
        if start and end and start > end:
            raise serializers.ValidationError({"to": ["Must be on or after 'from'."]})
        return attrs


CHRONOLOGY_PARAMETERS = [
    OpenApiParameter(
        "kinds",
        OpenApiTypes.STR,
        description="Comma-separated kinds of entry: " + ", ".join(EntryKind.values),
    ),
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day, inclusive."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, inclusive."),
]


# --- views -----------------------------------------------------------------------------------


class _CaseRecordListApi(generics.ListAPIView):
    """One part of a visible case's record as a paginated list; POST adds to it. Each read
    is audited as one event on the case naming the section and the ids shown."""

    model: type[Model]
    section: str
    read_action = CASE_READ
    filter_backends: list[Any] = []

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with audited_read():
            case = self.get_case()
            page = self.paginate_queryset(self.get_queryset())
            rows = page if page is not None else list(self.get_queryset())
            data = self.get_serializer(rows, many=True).data
            record_read(
                actor=request.user,
                action=self.read_action,
                target=case,
                section=self.section,
                ids=[row.pk for row in rows],
            )
        return self.get_paginated_response(data) if page is not None else Response(data)

    def get_case(self) -> Case:
        if not hasattr(self, "_case"):
            self._case = _visible_case(self.request, self.kwargs["pk"])
        return self._case

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return self.model._default_manager.none()
        return self.select(self.get_case())

    def select(self, case: Case) -> QuerySet[Any]:
        raise NotImplementedError

    def created(self, instance: Any) -> Response:
        return Response(self.get_serializer(instance).data, status=status.HTTP_201_CREATED)


class TeamApi(_CaseRecordListApi):
    """The team around the child: current members first, then those who left."""

    model = TeamMember
    section = "team"
    serializer_class = TeamMemberSerializer

    def select(self, case: Case) -> QuerySet[Any]:
        return case_team(case)

    @extend_schema(
        description="Add an agency, or one of its practitioners, to the team (open cases only).",
        request=AddTeamMemberSerializer,
        responses={201: TeamMemberSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = self.get_case()  # 404 before any 400: an unseen case stays unseen
        payload = AddTeamMemberSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        member = add_team_member(case=case, actor=request.user, **payload.validated_data)
        return self.created(member)


class TeamMemberRemoveApi(APIView):
    @extend_schema(
        description="End a member's part in the team around the child, saying why.",
        request=RemoveTeamMemberSerializer,
        responses=TeamMemberSerializer,
    )
    def post(self, request: Request, pk: int, member_id: int) -> Response:
        case = _visible_case(request, pk)
        member = get_object_or_404(TeamMember.objects.filter(case=case), pk=member_id)
        payload = RemoveTeamMemberSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        member = remove_team_member(
            member=member, actor=request.user, reason=payload.validated_data["reason"]
        )
        return Response(TeamMemberSerializer(member).data)


class RecordedViewsApi(_CaseRecordListApi):
    """The child's and the family's views, newest first; recordable on closed cases too."""

    model = RecordedView
    section = "views"
    serializer_class = RecordedViewSerializer

    def select(self, case: Case) -> QuerySet[Any]:
        return case_recorded_views(case)

    @extend_schema(
        description="Record the child's or the family's view, at any time.",
        request=RecordViewSerializer,
        responses={201: RecordedViewSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = self.get_case()  # 404 before any 400: an unseen case stays unseen
        payload = RecordViewSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        view = record_view(case=case, actor=request.user, **payload.validated_data)
        return self.created(view)


class SharingDecisionsApi(_CaseRecordListApi):
    """Information-sharing decisions, including decisions not to share, newest first."""

    model = InformationSharingDecision
    section = "sharing_decisions"
    read_action = SHARING_READ
    serializer_class = SharingDecisionSerializer

    def select(self, case: Case) -> QuerySet[Any]:
        return case_sharing_decisions(case)

    @extend_schema(
        description=(
            "Record a decision to share or not to share. Consent not sought or overridden "
            "needs consent_reason; overridden needs overridden_by."
        ),
        request=RecordSharingDecisionSerializer,
        responses={201: SharingDecisionSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = self.get_case()  # 404 before any 400: an unseen case stays unseen
        payload = RecordSharingDecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        decision = record_information_sharing_decision(
            case=case, actor=request.user, **payload.validated_data
        )
        return self.created(decision)


class NotesApi(_CaseRecordListApi):
    """Case notes, newest first."""

    model = CaseNote
    section = "notes"
    serializer_class = CaseNoteSerializer

    def select(self, case: Case) -> QuerySet[Any]:
        return case_notes(case)

    @extend_schema(
        description="Add a note to the case record.",
        request=AddCaseNoteSerializer,
        responses={201: CaseNoteSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = self.get_case()  # 404 before any 400: an unseen case stays unseen
        payload = AddCaseNoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        note = add_case_note(case=case, text=payload.validated_data["text"], actor=request.user)
        return self.created(note)


def _chronology_filters(request: Request) -> dict[str, Any]:
    query = ChronologyQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    values = query.validated_data
    date_from: date | None = values.get("from")
    return {
        "kinds": values["kinds"] or None,
        "date_from": date_from,
        "date_to": values.get("to"),
    }


class ChronologyApi(generics.ListAPIView):
    """The child's timeline across every case of theirs the user may see, oldest first."""

    serializer_class = ChronologyEntrySerializer
    filter_backends: list[Any] = []

    @extend_schema(parameters=CHRONOLOGY_PARAMETERS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with audited_read():
            case = _visible_case(request, self.kwargs["pk"])
            entries = child_chronology(
                child=case.child, user=request.user, **_chronology_filters(request)
            )
            page = self.paginate_queryset(entries) or []
            data = self.get_serializer(page, many=True).data
            record_read(
                actor=request.user,
                action=CASE_READ,
                target=case,
                section="chronology",
                cases=sorted({entry.case_id for entry in page}),
                entries=len(page),
            )
        return self.get_paginated_response(data)


def _export(request: Request, pk: int, export_format: str) -> HttpResponse:
    case = _visible_case(request, pk)
    export = export_chronology(
        child=case.child,
        user=request.user,
        export_format=export_format,
        **_chronology_filters(request),
    )
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "no-store"
    return response


class _FileRenderer(BaseRenderer):
    # Lets a client ask for the file by its media type; error bodies stay JSON.
    charset = None

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Any = None,
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        return json.dumps(data).encode()


class CsvRenderer(_FileRenderer):
    media_type = "text/csv"
    format = "csv"


class PdfRenderer(_FileRenderer):
    media_type = "application/pdf"
    format = "pdf"


class ChronologyCsvApi(APIView):
    """The chronology as CSV (formula-like cells neutralised); each export is audited."""

    renderer_classes = [JSONRenderer, CsvRenderer]

    @extend_schema(
        operation_id="cases_chronology_csv",
        parameters=CHRONOLOGY_PARAMETERS,
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV")},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return _export(request, pk, "csv")


class ChronologyPdfApi(APIView):
    """The chronology as a PDF marked OFFICIAL-SENSITIVE; each export is audited."""

    renderer_classes = [JSONRenderer, PdfRenderer]

    @extend_schema(
        operation_id="cases_chronology_pdf",
        parameters=CHRONOLOGY_PARAMETERS,
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="PDF")
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return _export(request, pk, "pdf")
