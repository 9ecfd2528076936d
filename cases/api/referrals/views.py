"""Referral intake endpoints: record a referral, list and read referrals, find likely duplicates.

Serializers check shape only; `cases.referrals.rules` holds every rule, so a rule's
message is the same on the page and in the API. Their `max_length`s are the rules' own
constants (`core.limits`), declared so the schema says `maxLength`. Field messages use dotted,
indexed keys ("children[1].date_of_birth") whichever layer finds the problem.
"""

from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.actors import Actor
from agencies.roles import CAN_LOG_REFERRAL
from cases.codes import Ethnicity, Gender, ReferralSource
from cases.exceptions import InvalidReferral
from cases.models import (
    Channel,
    Child,
    Involvement,
    Referral,
    ReferralBehaviour,
    ReferralChild,
    Setting,
    TrafficLight,
)
from cases.read_audit import (
    CHILD_READ,
    REFERRAL_READ,
    audited_read,
    record_list_read,
    record_read,
)
from cases.referrals.selectors import (
    duplicate_candidate,
    likely_duplicates,
    referrals_visible_to,
)
from cases.referrals.services import record_referral
from cases.selectors import cases_visible_to
from core.limits import (
    CHILD_REFERENCE_MAX_LENGTH,
    CRIME_REFERENCE_MAX_LENGTH,
    LINE_MAX_LENGTH,
    NAME_MAX_LENGTH,
    REFERRAL_MAX_BEHAVIOURS,
    REFERRAL_MAX_CHILDREN,
    SHORT_TEXT_MAX_LENGTH,
    TEXT_MAX_LENGTH,
)
from core.validation import BoundedListField, validate_identifier
from pathways.continuum import ContinuumLevel

from ..permissions import ReadsReferrals

SOURCE_MESSAGE = '"{input}" is not a census referral-source code (1A to 10).'


def flatten_errors(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as dotted, indexed keys: {"children[1].date_of_birth": [...]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            if key == "non_field_errors" and prefix:
                name = prefix
            elif isinstance(key, int) or str(key).isdigit():  # a list item's errors
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            for field, messages in flatten_errors(value, name).items():
                flat.setdefault(field, []).extend(messages)
    elif isinstance(errors, list):
        if all(isinstance(item, str) for item in errors):
            flat[prefix or "non_field_errors"] = [str(item) for item in errors]
        else:
            for index, item in enumerate(errors):
                for field, messages in flatten_errors(item, f"{prefix}[{index}]").items():
                    flat.setdefault(field, []).extend(messages)
    elif errors:
        flat[prefix or "non_field_errors"] = [str(errors)]
    return flat


def _valid(serializer: serializers.Serializer) -> dict[str, Any]:
    try:
        serializer.is_valid(raise_exception=True)
    except DrfValidationError as error:
        raise InvalidReferral(
            "The referral has errors; nothing was saved.", fields=flatten_errors(error.detail)
        ) from error
    return dict(serializer.validated_data)


# --- input ------------------------------------------------------------------------------------


class BehaviourInSerializer(serializers.Serializer):
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=SHORT_TEXT_MAX_LENGTH
    )
    continuum_level = serializers.ChoiceField(choices=ContinuumLevel.choices)
    traffic_light = serializers.ChoiceField(choices=TrafficLight.choices)
    setting = serializers.ChoiceField(choices=Setting.choices)
    technology_assisted = serializers.BooleanField(required=False, default=False)


class ChildInSerializer(serializers.Serializer):
    """Either `child_id` (link to an existing record) or a new child's details."""

    involvement = serializers.ChoiceField(choices=Involvement.choices)
    child_id = serializers.IntegerField(
        required=False, min_value=1, help_text="Link to this existing child record."
    )
    reference = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=CHILD_REFERENCE_MAX_LENGTH,
        validators=[validate_identifier],
        help_text="Pseudonymous reference; generated when left blank.",
    )
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=NAME_MAX_LENGTH)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=NAME_MAX_LENGTH)
    date_of_birth = serializers.DateField(required=False)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False)
    ethnicity = serializers.ChoiceField(choices=Ethnicity.choices, required=False)
    special_educational_needs = serializers.BooleanField(required=False, default=False)
    learning_disability = serializers.BooleanField(required=False, default=False)
    looked_after = serializers.BooleanField(required=False, default=False)
    school_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    confirm_new = serializers.BooleanField(
        required=False,
        default=False,
        help_text="This is a different child from the proposed likely duplicates.",
    )


class ReferralInSerializer(serializers.Serializer):
    received_at = serializers.DateTimeField()
    source = serializers.ChoiceField(  # type: ignore[assignment]  # a field, not Field.source
        choices=ReferralSource.choices, error_messages={"invalid_choice": SOURCE_MESSAGE}
    )
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.PHONE)
    # An id only: `record_referral` looks it up among the agencies of your area.
    referring_agency = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        allow_null=True,
        default=None,
        help_text="An agency of your partnership area; defaults to your own agency. A DSL "
        "refers for their own agency only.",
    )
    referrer_name = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=LINE_MAX_LENGTH
    )
    referrer_contact = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=LINE_MAX_LENGTH
    )
    description = serializers.CharField(allow_blank=True, max_length=TEXT_MAX_LENGTH)
    behaviours = BoundedListField(child=BehaviourInSerializer(), max_length=REFERRAL_MAX_BEHAVIOURS)
    children = BoundedListField(child=ChildInSerializer(), max_length=REFERRAL_MAX_CHILDREN)
    immediate_safety_actions = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH
    )
    parents_informed = serializers.BooleanField(allow_null=True, required=False, default=None)
    parents_not_informed_reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH
    )
    police_involved = serializers.BooleanField(required=False, default=False)
    crime_reference = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=CRIME_REFERENCE_MAX_LENGTH,
        validators=[validate_identifier],
    )
    police_outcome = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH
    )


class DuplicateQuerySerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=NAME_MAX_LENGTH)
    last_name = serializers.CharField(max_length=NAME_MAX_LENGTH)
    date_of_birth = serializers.DateField()
    reference = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=CHILD_REFERENCE_MAX_LENGTH,
        validators=[validate_identifier],
    )


# --- output -----------------------------------------------------------------------------------


class DuplicateCandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    name = serializers.CharField()
    date_of_birth = serializers.DateField()


class DuplicatesSerializer(serializers.Serializer):
    candidates = DuplicateCandidateSerializer(many=True)


class ChildRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    name = serializers.CharField(source="full_name")


class ReferralCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    closed = serializers.BooleanField()
    repeat_concern = serializers.BooleanField()


class ReferralChildSerializer(serializers.ModelSerializer):
    child = ChildRefSerializer()
    outcome = serializers.CharField(
        source="case.current_stage.name",
        help_text="Where the child's case stands now: its current stage.",
    )
    case_id = serializers.IntegerField(help_text="The case this referral opened or joined.")
    case = serializers.SerializerMethodField(
        help_text="The case's state when you may see the case; referrers see the outcome only."
    )

    class Meta:
        model = ReferralChild
        fields = ["child", "involvement", "case_id", "joined_open_case", "outcome", "case"]

    @extend_schema_field(ReferralCaseSerializer(allow_null=True))
    def get_case(self, link: ReferralChild) -> dict[str, Any] | None:
        if link.case_id not in self.context.get("visible_case_ids", ()):
            return None
        case = link.case
        return {
            "id": case.pk,
            "closed": case.closed_at is not None,
            "repeat_concern": case.repeat_concern,
        }


class AgencyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ReferralListSerializer(serializers.ModelSerializer):
    referring_agency = AgencyRefSerializer(allow_null=True)
    children = ReferralChildSerializer(many=True)

    class Meta:
        model = Referral
        fields = [
            "id",
            "received_at",
            "source",
            "channel",
            "referring_agency",
            "continuum_level",
            "children",
        ]


class BehaviourOutSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReferralBehaviour
        fields = [
            "description",
            "continuum_level",
            "traffic_light",
            "setting",
            "technology_assisted",
        ]


class ReferralDetailSerializer(ReferralListSerializer):
    behaviours = BehaviourOutSerializer(many=True)
    recorded_by: serializers.StringRelatedField = serializers.StringRelatedField()

    class Meta(ReferralListSerializer.Meta):
        fields = [
            *ReferralListSerializer.Meta.fields,
            "referrer_name",
            "referrer_contact",
            "recorded_by",
            "description",
            "behaviours",
            "immediate_safety_actions",
            "parents_informed",
            "parents_not_informed_reason",
            "police_involved",
            "crime_reference",
            "police_outcome",
        ]


# --- views ------------------------------------------------------------------------------------


def _with_children(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    links = ReferralChild.objects.select_related("child", "case__current_stage").order_by("pk")
    return referrals.prefetch_related(Prefetch("children", queryset=links))


def _visible_case_ids(user: Actor, referrals: Iterable[Referral]) -> set[int]:
    """Which of these referrals' cases the user may open: one query, or none for referrers."""
    ids = {link.case_id for referral in referrals for link in referral.children.all()}
    if not ids:
        return set()
    return set(cases_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))


ERRORS = {
    400: OpenApiResponse(
        description="Field messages under `fields` (dotted keys such as "
        "`children[1].date_of_birth`); `possible_duplicate` also lists `candidates` per child."
    ),
    403: OpenApiResponse(description="Your role may not record this referral."),
}


class ReferralListApi(generics.ListAPIView):
    """Referrals you may see (a DSL: their agency's; area-wide roles: their area's), and
    recording a new one."""

    serializer_class = ReferralListSerializer
    permission_classes = [ReadsReferrals]

    def get_queryset(self) -> QuerySet[Referral]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Referral.objects.none()
        return _with_children(referrals_visible_to(self.request.user)).order_by(
            "-received_at", "-pk"
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with audited_read():
            queryset = self.get_queryset()
            page = self.paginate_queryset(queryset)
            rows = list(queryset) if page is None else page
            context = {
                **self.get_serializer_context(),
                "visible_case_ids": _visible_case_ids(request.user, rows),
            }
            data = ReferralListSerializer(rows, many=True, context=context).data
            record_list_read(
                actor=request.user,
                action=REFERRAL_READ,
                model=Referral,
                ids=[referral.pk for referral in rows],
            )
        return Response(data) if page is None else self.get_paginated_response(data)

    @extend_schema(
        request=ReferralInSerializer,
        responses={201: ReferralDetailSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        values = _valid(ReferralInSerializer(data=request.data))
        referral = record_referral(actor=request.user, **values)
        return Response(_detail_data(request, referral.pk), status=status.HTTP_201_CREATED)


def _detail(request: Request, pk: int) -> tuple[Referral, dict[str, Any]]:
    referral = get_object_or_404(_with_children(referrals_visible_to(request.user)), pk=pk)
    context = {"visible_case_ids": _visible_case_ids(request.user, [referral])}
    return referral, dict(ReferralDetailSerializer(referral, context=context).data)


def _detail_data(request: Request, pk: int) -> dict[str, Any]:
    return _detail(request, pk)[1]


class ReferralDetailApi(APIView):
    @extend_schema(responses=ReferralDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        with audited_read():
            referral, data = _detail(request, pk)
            record_read(
                actor=request.user,
                action=REFERRAL_READ,
                target=referral,
                cases=[link.case_id for link in referral.children.all()],
            )
        return Response(data)


class ReferralDuplicatesApi(APIView):
    """Existing children who are probably this child: link to one rather than create a twin."""

    @extend_schema(
        request=DuplicateQuerySerializer, responses={200: DuplicatesSerializer, **ERRORS}
    )
    def post(self, request: Request) -> Response:
        if getattr(request.user, "role", None) not in CAN_LOG_REFERRAL:
            raise PermissionDenied("Your role may not record referrals.")
        values = _valid(DuplicateQuerySerializer(data=request.data))
        with audited_read():
            children = likely_duplicates(
                actor=request.user,
                first_name=values["first_name"],
                last_name=values["last_name"],
                date_of_birth=values["date_of_birth"],
                reference=values["reference"] or None,
            )
            if children:
                # Names and dates of birth of existing children: a read of their records.
                record_list_read(
                    actor=request.user,
                    action=CHILD_READ,
                    model=Child,
                    ids=[child.pk for child in children],
                    purpose="duplicate_check",
                )
        return Response({"candidates": [duplicate_candidate(child) for child in children]})
