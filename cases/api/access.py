"""Access endpoints: what was shared with me, break-glass access and its review, a case's
access log and its grants. Views are thin: the rules are `cases.access` and
`cases.selectors`, asked through the permission classes in `permissions.py`."""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.models import AuditEvent
from cases.access.services import (
    GRANTABLE_KINDS,
    grant_case_access,
    request_break_glass_access,
    review_break_glass,
    revoke_case_access,
)
from cases.models import (
    AccessGrant,
    BreakGlassOutcome,
    BreakGlassReview,
    Case,
    InformationSharingDecision,
)
from cases.read_audit import CASE_READ, SHARING_READ, audited_read, record_read
from cases.selectors import (
    break_glass_reviews_for,
    case_access_log,
    case_grants,
    decisions_shared_with,
)
from core.limits import SHORT_TEXT_MAX_LENGTH
from core.validation import validate_reason

from .permissions import (
    IsCaseSteward,
    MayRequestBreakGlass,
    ReceivesSharedInformation,
    ReviewsBreakGlass,
)
from .reads import AuditedListMixin
from .serializers import PersonSerializer, id_field
from .views import _visible_case

# --- serializers -----------------------------------------------------------------------------


class SharedChildSerializer(serializers.Serializer):
    reference = serializers.CharField()
    name = serializers.CharField(source="full_name")


class SharedDecisionSerializer(serializers.ModelSerializer):
    """What was shared with you: the information, why, by whom and about which child (the
    name, since it was shared with you), but nothing else of the case file."""

    child = SharedChildSerializer(source="case.child")
    shared_by = PersonSerializer(source="decided_by")
    shared_by_agency = serializers.CharField(source="decided_by.agency", allow_null=True)
    recipient_agency = serializers.CharField(source="recipient_agency.name")
    shared_at = serializers.DateTimeField(source="decided_at")

    class Meta:
        model = InformationSharingDecision
        fields = [
            "id",
            "child",
            "information",
            "purpose",
            "lawful_basis",
            "consent",
            "shared_by",
            "shared_by_agency",
            "recipient_agency",
            "shared_at",
        ]


class BreakGlassRequestSerializer(serializers.Serializer):
    case = serializers.IntegerField(min_value=1, help_text="The case number.")
    reason = serializers.CharField(
        max_length=SHORT_TEXT_MAX_LENGTH,
        validators=[validate_reason],
        help_text="Why you need the case now, in words; always reviewed by a manager.",
    )


class AccessGrantSerializer(serializers.ModelSerializer):
    user = PersonSerializer()
    granted_by = PersonSerializer()
    revoked_by = PersonSerializer(allow_null=True)
    active = serializers.SerializerMethodField()

    class Meta:
        model = AccessGrant
        fields = [
            "id",
            "case",
            "user",
            "kind",
            "reason",
            "granted_by",
            "granted_at",
            "expires_at",
            "revoked_at",
            "revoked_by",
            "active",
        ]

    def get_active(self, grant: AccessGrant) -> bool:
        return grant.is_active()


class GrantAccessSerializer(serializers.Serializer):
    # An id only: `grant_case_access` looks the grantee up in the case's area (else 404).
    user = id_field(help_text="A user id: an active practitioner of the case's area.")
    kind = serializers.ChoiceField(choices=[(kind.value, kind.label) for kind in GRANTABLE_KINDS])
    reason = serializers.CharField(max_length=SHORT_TEXT_MAX_LENGTH)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class RevokeAccessSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=SHORT_TEXT_MAX_LENGTH
    )


class BreakGlassReviewSerializer(serializers.ModelSerializer):
    practitioner = PersonSerializer(source="grant.user")
    case = serializers.IntegerField(source="grant.case_id")
    reason = serializers.CharField(source="grant.reason")
    granted_at = serializers.DateTimeField(source="grant.granted_at")
    expires_at = serializers.DateTimeField(source="grant.expires_at")
    reviewed_by = PersonSerializer(allow_null=True)

    class Meta:
        model = BreakGlassReview
        fields = [
            "id",
            "practitioner",
            "case",
            "reason",
            "granted_at",
            "expires_at",
            "outcome",
            "notes",
            "reviewed_by",
            "reviewed_at",
        ]


class ReviewBreakGlassSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=BreakGlassOutcome.choices)
    notes = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=SHORT_TEXT_MAX_LENGTH
    )


class AccessLogEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.__str__", allow_null=True, default=None)
    actor_agency = serializers.CharField(source="actor_agency_name", allow_null=True)

    class Meta:
        model = AuditEvent
        fields = [
            "occurred_at",
            "action",
            "object_type",
            "object_id",
            "actor",
            "actor_role",
            "actor_agency",
            "reason",
            "request_id",
        ]


# --- what was shared with me -----------------------------------------------------------------


class SharedWithMeListApi(AuditedListMixin, generics.ListAPIView):
    """Decisions to share that name you as the recipient, newest first."""

    serializer_class = SharedDecisionSerializer
    permission_classes = [ReceivesSharedInformation]
    read_action = SHARING_READ
    audit_model = InformationSharingDecision

    def get_queryset(self) -> QuerySet[InformationSharingDecision]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return InformationSharingDecision.objects.none()
        return decisions_shared_with(self.request.user)


class SharedWithMeDetailApi(APIView):
    permission_classes = [ReceivesSharedInformation]

    @extend_schema(responses=SharedDecisionSerializer)
    def get(self, request: Request, pk: int) -> Response:
        with audited_read():
            decision = get_object_or_404(decisions_shared_with(request.user), pk=pk)
            data = SharedDecisionSerializer(decision).data
            record_read(actor=request.user, action=SHARING_READ, target=decision)
        return Response(data)


# --- break glass -----------------------------------------------------------------------------


class BreakGlassApi(APIView):
    """Emergency read access to a case of your area, for four hours, reviewed afterwards."""

    permission_classes = [MayRequestBreakGlass]

    @extend_schema(request=BreakGlassRequestSerializer, responses={201: AccessGrantSerializer})
    def post(self, request: Request) -> Response:
        payload = BreakGlassRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        grant = request_break_glass_access(
            case_id=payload.validated_data["case"],
            actor=request.user,
            reason=payload.validated_data["reason"],
        )
        return Response(AccessGrantSerializer(grant).data, status=status.HTTP_201_CREATED)


class BreakGlassReviewListApi(generics.ListAPIView):
    """Emergency accesses by practitioners of your agency: unreviewed first."""

    serializer_class = BreakGlassReviewSerializer
    permission_classes = [ReviewsBreakGlass]

    def get_queryset(self) -> QuerySet[BreakGlassReview]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return BreakGlassReview.objects.none()
        return break_glass_reviews_for(self.request.user)


class BreakGlassReviewApi(APIView):
    permission_classes = [ReviewsBreakGlass]

    def _review(self, request: Request, pk: int) -> BreakGlassReview:
        return get_object_or_404(break_glass_reviews_for(request.user), pk=pk)

    @extend_schema(responses=BreakGlassReviewSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(BreakGlassReviewSerializer(self._review(request, pk)).data)

    @extend_schema(request=ReviewBreakGlassSerializer, responses=BreakGlassReviewSerializer)
    def post(self, request: Request, pk: int) -> Response:
        review = self._review(request, pk)
        payload = ReviewBreakGlassSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        review = review_break_glass(review=review, actor=request.user, **payload.validated_data)
        return Response(BreakGlassReviewSerializer(self._review(request, review.pk)).data)


# --- one case: its access log and its grants ----------------------------------------------


class _StewardMixin:
    """The case must be visible (else 404, as for a case that does not exist) and the user
    one of its stewards (else 403)."""

    def steward_case(self, request: Request, pk: int) -> Case:
        view: Any = self
        case = _visible_case(request, pk)
        view.check_object_permissions(request, case)
        return case


class AccessLogApi(_StewardMixin, generics.ListAPIView):
    """Who has looked at this child's record: reads, exports and grants, newest first."""

    serializer_class = AccessLogEntrySerializer
    permission_classes = [IsAuthenticated, IsCaseSteward]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with audited_read():
            case = self.steward_case(request, self.kwargs["pk"])
            page = self.paginate_queryset(case_access_log(case)) or []
            data = self.get_serializer(page, many=True).data
            record_read(actor=request.user, action=CASE_READ, target=case, section="access_log")
        return self.get_paginated_response(data)

    def get_queryset(self) -> QuerySet[AuditEvent]:  # for the schema only
        return AuditEvent.objects.none()


class AccessGrantsApi(_StewardMixin, generics.ListAPIView):
    """Grants of access to this case, newest first; POST grants a practitioner read access."""

    serializer_class = AccessGrantSerializer
    permission_classes = [IsAuthenticated, IsCaseSteward]

    def get_queryset(self) -> QuerySet[AccessGrant]:  # for the schema only
        return AccessGrant.objects.none()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with audited_read():
            case = self.steward_case(request, self.kwargs["pk"])
            page = self.paginate_queryset(case_grants(case)) or []
            data = self.get_serializer(page, many=True).data
            record_read(
                actor=request.user,
                action=CASE_READ,
                target=case,
                section="access_grants",
                ids=[grant.pk for grant in page],
            )
        return self.get_paginated_response(data)

    @extend_schema(request=GrantAccessSerializer, responses={201: AccessGrantSerializer})
    def post(self, request: Request, pk: int) -> Response:
        case = _visible_case(request, pk)  # 404 before any 400 or 403
        payload = GrantAccessSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        grant = grant_case_access(case=case, actor=request.user, **payload.validated_data)
        return Response(AccessGrantSerializer(grant).data, status=status.HTTP_201_CREATED)


class AccessGrantRevokeApi(APIView):
    @extend_schema(request=RevokeAccessSerializer, responses=AccessGrantSerializer)
    def post(self, request: Request, pk: int, grant_id: int) -> Response:
        case = _visible_case(request, pk)
        grant = get_object_or_404(AccessGrant.objects.filter(case=case), pk=grant_id)
        payload = RevokeAccessSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        grant = revoke_case_access(
            grant=grant, actor=request.user, reason=payload.validated_data["reason"]
        )
        return Response(AccessGrantSerializer(grant).data)
