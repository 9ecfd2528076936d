"""Serializers of the partnership API: they check shape; the services hold the rules."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agencies.models import AgencyType
from cases.codes import Ethnicity, Gender, ReferralSource
from cases.models import Involvement
from core.limits import AUDIT_ROUND_LABEL_MAX_LENGTH, TEXT_MAX_LENGTH
from core.validation import validate_identifier

from ..figures import AGE_BANDS, PARTS, DashboardFilters
from ..models import (
    AgencyScore,
    AgreedScore,
    AuditRound,
    FeedbackGiver,
    ProcessAspect,
    ProcessFeedback,
    Statement,
)
from ..radar import VIEWS

# --- the dashboard ---------------------------------------------------------------------------


class DashboardFilterSerializer(serializers.Serializer):
    date_from = serializers.DateField(required=False, help_text="First day (default: a year ago).")
    date_to = serializers.DateField(required=False, help_text="Last day (default: today).")
    agency_type = serializers.ChoiceField(
        choices=AgencyType.choices, required=False, help_text="The referring agency's type."
    )
    source = serializers.ChoiceField(  # type: ignore[assignment]  # a field, not Field.source
        choices=ReferralSource.choices, required=False, help_text="Census referral source."
    )
    age_band = serializers.ChoiceField(
        choices=[(band.key, band.label) for band in AGE_BANDS],
        required=False,
        help_text="The child's age when the referral was received.",
    )
    gender = serializers.ChoiceField(choices=Gender.choices, required=False)
    ethnicity = serializers.ChoiceField(choices=Ethnicity.choices, required=False)
    sen = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Special educational needs."
    )
    involvement = serializers.ChoiceField(choices=Involvement.choices, required=False)

    def filters(self) -> DashboardFilters:
        values: dict[str, Any] = self.validated_data
        return DashboardFilters(
            agency_type=values.get("agency_type", ""),
            source=values.get("source", ""),
            age_band=values.get("age_band", ""),
            gender=values.get("gender", ""),
            ethnicity=values.get("ethnicity", ""),
            sen=values.get("sen"),
            involvement=values.get("involvement", ""),
        )


class DrillDownFilterSerializer(DashboardFilterSerializer):
    part = serializers.ChoiceField(choices=PARTS, default="numerator")
    cell = serializers.CharField(required=False, default="", allow_blank=True, max_length=64)
    page = serializers.IntegerField(required=False, default=1, min_value=1)


class ShownCellSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    count = serializers.IntegerField(source="count.value", allow_null=True)
    count_display = serializers.CharField(source="count.display")
    share = serializers.FloatField(source="share.value", allow_null=True, help_text="Percent.")
    share_display = serializers.CharField(source="share.display")


class FigureSerializer(serializers.Serializer):
    """A figure; counts an analyst may not see come as null with "<5" to display."""

    key = serializers.CharField()
    statement = serializers.CharField(help_text="The audit statement it informs, e.g. 3.5.")
    domain = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    definition = serializers.CharField()
    unit = serializers.CharField()
    numerator = serializers.IntegerField(source="numerator.value", allow_null=True)
    numerator_display = serializers.CharField(source="numerator.display")
    denominator = serializers.IntegerField(source="denominator.value", allow_null=True)
    denominator_display = serializers.CharField(source="denominator.display")
    share = serializers.FloatField(source="share.value", allow_null=True, help_text="Percent.")
    share_display = serializers.CharField(source="share.display")
    median = serializers.FloatField(source="value.value", allow_null=True)
    median_display = serializers.CharField(source="value.display")
    median_label = serializers.CharField(source="value_label")
    higher_is_better = serializers.BooleanField(allow_null=True)
    cells = ShownCellSerializer(many=True)
    withheld = serializers.BooleanField(source="any_withheld")


class DashboardSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    filters = serializers.DictField(child=serializers.CharField())
    suppressed = serializers.BooleanField(
        help_text="Counts of 1-4 withheld and cases pseudonymised (analysts)."
    )
    figures = FigureSerializer(many=True)


class DrillRowSerializer(serializers.Serializer):
    label = serializers.CharField(  # type: ignore[assignment]  # a field, not Field.label
        help_text="A pseudonym ('Case 7F3C-91A2') for analysts, else the child's reference."
    )
    stage = serializers.CharField()
    status = serializers.CharField()
    involvement = serializers.CharField()
    case = serializers.IntegerField(source="case_id", allow_null=True)
    url = serializers.CharField(allow_null=True, help_text="The case page, when you may see it.")


class DrillDownSerializer(serializers.Serializer):
    figure = serializers.CharField(source="figure_key")
    label = serializers.CharField(source="figure_label")  # type: ignore[assignment]
    statement = serializers.CharField()
    part = serializers.CharField()
    cell = serializers.CharField()
    count = serializers.IntegerField(source="count.value", allow_null=True)
    count_display = serializers.CharField(source="count.display")
    withheld = serializers.BooleanField(
        help_text="Fewer than five cases: an analyst is not shown the list."
    )
    pseudonymised = serializers.BooleanField()
    page = serializers.IntegerField(source="page_number")
    pages = serializers.IntegerField(source="page_count")
    results = DrillRowSerializer(many=True, source="rows")


# --- the audit tool ----------------------------------------------------------------------------


class StatementSerializer(serializers.ModelSerializer):
    domain = serializers.IntegerField(source="domain.number")
    domain_short = serializers.CharField(source="domain.short")

    class Meta:
        model = Statement
        fields = ["ref", "domain", "domain_short", "text", "scored"]


class AuditRoundSerializer(serializers.ModelSerializer):
    # A plain string: an enum named "status" would collide with other apps' status enums.
    status = serializers.CharField(read_only=True, help_text="open or closed")

    class Meta:
        model = AuditRound
        fields = ["id", "label", "period_start", "period_end", "status", "created_at", "closed_at"]


class OpenRoundSerializer(serializers.Serializer):
    label = serializers.CharField(  # type: ignore[assignment]  # a field, not Field.label
        allow_blank=True,
        max_length=AUDIT_ROUND_LABEL_MAX_LENGTH,
        validators=[validate_identifier],
        help_text="T1, T2 …",
    )
    period_start = serializers.DateField()
    period_end = serializers.DateField()


class AgencyScoreSerializer(serializers.ModelSerializer):
    statement: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="ref", read_only=True
    )
    agency_name = serializers.CharField(source="agency.name")
    scored_by: serializers.StringRelatedField = serializers.StringRelatedField()

    class Meta:
        model = AgencyScore
        fields = [
            "id",
            "statement",
            "agency",
            "agency_name",
            "score",
            "evidence",
            "assurance",
            "comments",
            "scored_by",
            "scored_at",
        ]


class RecordScoreSerializer(serializers.Serializer):
    statement = serializers.SlugRelatedField(slug_field="ref", queryset=Statement.objects.all())
    # An id only: the service looks it up in the actor's area (another area's: 404).
    agency = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text="An agency of your area (id); default: your own agency.",
    )
    score = serializers.IntegerField(help_text="0-4 per the framework's scoring key.")
    evidence = serializers.CharField(allow_blank=True, trim_whitespace=False)
    assurance = serializers.CharField(required=False, default="", allow_blank=True)
    comments = serializers.CharField(required=False, default="", allow_blank=True)


class AgreedScoreSerializer(serializers.ModelSerializer):
    statement: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="ref", read_only=True
    )
    agreed_by: serializers.StringRelatedField = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = AgreedScore
        fields = ["statement", "score", "basis", "rationale", "agreed_by", "agreed_at"]


class SetAgreedScoreSerializer(serializers.Serializer):
    statement = serializers.SlugRelatedField(slug_field="ref", queryset=Statement.objects.all())
    score = serializers.IntegerField(help_text="0-4 per the framework's scoring key.")
    rationale = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        help_text="Required unless the score is the lowest agency score.",
    )


class RoundAgencySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()


class RoundScoreSerializer(serializers.Serializer):
    agency = serializers.IntegerField(source="agency_id")
    score = serializers.IntegerField()
    evidence = serializers.CharField()


class RoundStatementSerializer(serializers.Serializer):
    ref = serializers.CharField(source="statement.ref")
    text = serializers.CharField(source="statement.text")
    scores = serializers.SerializerMethodField()
    lowest = serializers.IntegerField(allow_null=True)
    agreed = AgreedScoreSerializer(allow_null=True)

    @extend_schema_field(RoundScoreSerializer(many=True))
    def get_scores(self, row: Any) -> Any:
        return RoundScoreSerializer(list(row.scores.values()), many=True).data


class RoundDomainSerializer(serializers.Serializer):
    number = serializers.IntegerField(source="domain.number")
    short = serializers.CharField(source="domain.short")
    title = serializers.CharField(source="domain.title")
    average = serializers.FloatField(allow_null=True, help_text="Mean agreed score.")
    statements = RoundStatementSerializer(many=True, source="rows")


class RoundDetailSerializer(serializers.Serializer):
    round = AuditRoundSerializer(source="audit_round")
    agencies = RoundAgencySerializer(many=True)
    domains = RoundDomainSerializer(many=True, source="blocks")


class SuggestedEvidenceSerializer(serializers.Serializer):
    statement = serializers.CharField()
    evidence = serializers.CharField()


class RadarQuerySerializer(serializers.Serializer):
    view = serializers.ChoiceField(choices=VIEWS, default="domains")
    compare = serializers.IntegerField(required=False, help_text="Overlay this other round.")


# --- feedback on the process (3.8) -----------------------------------------------------------


class ProcessFeedbackSerializer(serializers.ModelSerializer):
    case = serializers.IntegerField(source="case_id")
    recorded_by = serializers.CharField(source="recorded_by.get_full_name")

    class Meta:
        model = ProcessFeedback
        fields = [
            "id",
            "case",
            "given_by",
            "aspect",
            "feedback",
            "found_accessible",
            "recorded_at",
            "recorded_by",
        ]


class RecordProcessFeedbackSerializer(serializers.Serializer):
    """Shape only: `record_process_feedback` holds the rules (the case is checked like an id
    in the URL)."""

    case = serializers.IntegerField(help_text="The case the child or family was part of.")
    given_by = serializers.ChoiceField(choices=FeedbackGiver.choices)
    aspect = serializers.ChoiceField(choices=ProcessAspect.choices)
    feedback = serializers.CharField(max_length=TEXT_MAX_LENGTH, allow_blank=True)
    found_accessible = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Whether they found the process easy to understand and take part in.",
    )


class ProcessFeedbackQuerySerializer(serializers.Serializer):
    case = serializers.IntegerField(
        required=False,
        help_text="The case whose feedback to list; without it, the newest 100 on the cases "
        "you may see.",
    )
