"""Assessment serializers: they check shape; the services hold the rules."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.api.serializers import AgencySerializer, PersonSerializer
from core.limits import SHORT_TEXT_MAX_LENGTH, TEXT_MAX_LENGTH
from pathways.continuum import ContinuumLevel

from ..models import (
    NOT_RECORDED_LABELS,
    SECTIONS,
    Assessment,
    AssessmentContribution,
    AssessmentTool,
    AssessmentType,
    RiskLevel,
)
from ..permissions import actions_for
from ..selectors import recommendation_for
from ..suitability import Verdict

# --- read ------------------------------------------------------------------------------------


class AssessmentToolRefSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()


class AssessmentStageSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()


class AssessmentChildSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    name = serializers.CharField(source="full_name")


class AssessmentCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    child = AssessmentChildSerializer()
    stage = AssessmentStageSerializer(source="current_stage")
    confirmed_continuum_level = serializers.CharField()
    lock_version = serializers.IntegerField()


class RouteRecommendationSerializer(serializers.Serializer):
    transition = serializers.CharField(source="transition_key")
    name = serializers.CharField(source="transition_name")
    to_stage = serializers.CharField()
    offered = serializers.BooleanField(
        help_text="True while the case can take this transition now: the assessment is "
        "authorised and the case is still at the stage the route leaves."
    )


class SuitabilityFindingSerializer(serializers.Serializer):
    rule = serializers.CharField()
    message = serializers.CharField()


class AssessmentContributionSerializer(serializers.ModelSerializer):
    agency = AgencySerializer()
    practitioner = PersonSerializer(allow_null=True)
    recorded_by = PersonSerializer()

    class Meta:
        model = AssessmentContribution
        fields = ["id", "agency", "practitioner", "summary", "recorded_at", "recorded_by"]


class AssessmentReturnEntrySerializer(serializers.Serializer):
    submitted_at = serializers.DateTimeField(allow_null=True)
    submitted_by_name = serializers.CharField()
    returned_at = serializers.DateTimeField()
    returned_by_name = serializers.CharField()
    comments = serializers.CharField()


class AssessmentSectionsSerializer(serializers.Serializer):
    harmful_behaviours = serializers.CharField()
    development = serializers.CharField()
    family = serializers.CharField()
    environment = serializers.CharField()
    strengths_and_protective_factors = serializers.CharField()
    child_views = serializers.CharField()
    parents_carers_views = serializers.CharField()


class NotRecordedReasonsSerializer(serializers.Serializer):
    """Why a further section is not recorded: the answer instead of it (empty: none given)."""

    strengths_and_protective_factors = serializers.CharField(source="strengths_not_recorded_reason")
    child_views = serializers.CharField(source="child_views_not_recorded_reason")
    parents_carers_views = serializers.CharField(source="parents_carers_views_not_recorded_reason")


class AssessmentListSerializer(serializers.ModelSerializer):
    case = AssessmentCaseSerializer()
    # Plain text, not an enum component: "status" already names another choice set.
    status = serializers.CharField(
        help_text="requested, started, submitted or authorised (returned ones are started again)."
    )
    assessment_type_label = serializers.CharField(source="get_assessment_type_display")
    requested_for = PersonSerializer(allow_null=True)
    assessor = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    tool = AssessmentToolRefSerializer(allow_null=True)
    authorised_by = PersonSerializer(allow_null=True)
    recommendation = serializers.SerializerMethodField()

    class Meta:
        model = Assessment
        fields = [
            "id",
            "case",
            "assessment_type",
            "assessment_type_label",
            "status",
            "requested_at",
            "requested_for",
            "assessor",
            "due_on",
            "overdue",
            "tool",
            "started_on",
            "child_age_at_start",
            "submitted_at",
            "authorised_at",
            "authorised_by",
            "confirmed_continuum_level",
            "risk_level",
            "recommended_route",
            "recommendation",
        ]

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_assessor(self, assessment: Assessment) -> dict[str, Any] | None:
        assessor: Any = assessment.assessor
        return None if assessor is None else {"id": assessor.pk, "name": str(assessor)}

    def get_overdue(self, assessment: Assessment) -> bool:
        return assessment.is_overdue()

    @extend_schema_field(RouteRecommendationSerializer(allow_null=True))
    def get_recommendation(self, assessment: Assessment) -> dict[str, Any] | None:
        recommendation = recommendation_for(assessment)
        return (
            None if recommendation is None else RouteRecommendationSerializer(recommendation).data
        )


class AssessmentDetailSerializer(AssessmentListSerializer):
    requested_by = PersonSerializer(allow_null=True)
    started_by = PersonSerializer(allow_null=True)
    submitted_by = PersonSerializer(allow_null=True)
    sections = AssessmentSectionsSerializer(source="*")
    not_recorded_reasons = NotRecordedReasonsSerializer(
        source="*",
        help_text="Why strengths, the child's views or the parents' or carers' views are not "
        "recorded; each such section needs its text or this reason before submission.",
    )
    missing_sections = serializers.ListField(
        child=serializers.CharField(),
        help_text="Sections still needed before submission: a holistic section not written, or "
        "a further section with neither its text nor the reason it is not recorded.",
    )
    type_warnings = SuitabilityFindingSerializer(many=True)
    tool_warnings = SuitabilityFindingSerializer(many=True)
    contributions = AssessmentContributionSerializer(many=True)
    returns = AssessmentReturnEntrySerializer(many=True)
    actions = serializers.SerializerMethodField()

    class Meta(AssessmentListSerializer.Meta):
        fields = [
            *AssessmentListSerializer.Meta.fields,
            "requested_by",
            "request_notes",
            "type_warnings",
            "type_justification",
            "started_at",
            "started_by",
            "tool_warnings",
            "tool_justification",
            "sections",
            "not_recorded_reasons",
            "missing_sections",
            "contributions",
            "needs",
            "strengths",
            "intervention_focus",
            "submitted_by",
            "returns",
            "late_reason",
            "actions",
        ]

    def get_actions(self, assessment: Assessment) -> list[str]:
        """What the requesting user may do now: start, contributions, sections, submit,
        authorise, return."""
        request = self.context.get("request")
        return actions_for(request.user, assessment) if request is not None else []


class ToolSuitabilitySerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(
        choices=[(v.value, v.value) for v in Verdict],
        help_text="allowed; warning: needs a recorded justification; blocked: may not be used.",
    )
    child_age = serializers.IntegerField(help_text="The child's age today, in whole years.")
    certified = serializers.BooleanField(help_text="You hold a current certification.")
    reason = serializers.CharField(
        help_text="Why the tool is suggested here, or not: 'AIM Under 12s assessment model: "
        "suited to age 11 — ...', 'AssetPlus: only where a youth justice service is involved "
        "— not here: ...'."
    )
    suits_child = serializers.BooleanField(
        help_text="False when the child's age or the case rules the tool out (not only you)."
    )
    fit = serializers.IntegerField(
        help_text="How well it suits the child and case: the catalogue's age band for the "
        "child's age (3 the guidance's own tool, 2 suggested), +1 the case's level, +1 the "
        "assessment type; 0 when it does not suit the child. Tools come ordered by it."
    )
    reasons = SuitabilityFindingSerializer(many=True)
    messages = serializers.ListField(child=serializers.CharField())
    blocks = SuitabilityFindingSerializer(many=True)
    warnings = SuitabilityFindingSerializer(many=True)


class AgeBandSerializer(serializers.Serializer):
    min_age = serializers.IntegerField()
    max_age = serializers.IntegerField()
    fit = serializers.CharField(help_text="lead: the guidance's own tool; consider: suggested.")
    guidance = serializers.CharField()


class AssessmentToolSerializer(serializers.ModelSerializer):
    validated_on_genders = serializers.ListField(child=serializers.CharField())
    suits_levels = serializers.ListField(child=serializers.CharField())
    assessment_types = serializers.ListField(child=serializers.CharField())
    age_bands = AgeBandSerializer(many=True)
    suitability = serializers.SerializerMethodField()

    class Meta:
        model = AssessmentTool
        fields = [
            "key",
            "name",
            "description",
            "population_notes",
            "min_age",
            "max_age",
            "validated_on_genders",
            "validated_with_learning_disability",
            "adolescent_only",
            "certification_required",
            "requires_youth_justice",
            "age_bands",
            "suits_levels",
            "assessment_types",
            "suitability",
        ]

    @extend_schema_field(ToolSuitabilitySerializer(allow_null=True))
    def get_suitability(self, tool: AssessmentTool) -> dict[str, Any] | None:
        """For the child of `?case=`, by you, today; null without a case."""
        judged = self.context.get("suitability", {}).get(tool.pk)
        return None if judged is None else ToolSuitabilitySerializer(judged).data


# --- write -----------------------------------------------------------------------------------


class RequestAssessmentSerializer(serializers.Serializer):
    case = serializers.IntegerField()
    assessment_type = serializers.ChoiceField(choices=AssessmentType.choices)
    # Ids only: the service looks them up in the case's area, so another area's practitioner
    # is a 404 exactly like one that does not exist.
    requested_for = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text="Who completes it (a user id); empty: the case's lead practitioner.",
    )
    notes = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH
    )
    type_justification = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=SHORT_TEXT_MAX_LENGTH,
        help_text="Required when the type does not suit the case's confirmed continuum level.",
    )


class StartAssessmentSerializer(serializers.Serializer):
    tool = serializers.SlugRelatedField(
        slug_field="key", queryset=AssessmentTool.objects.filter(active=True)
    )
    started_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Default: today."
    )
    justification = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=SHORT_TEXT_MAX_LENGTH,
        help_text="Required when the tool has warnings for this child (population, level).",
    )


class SaveSectionsSerializer(serializers.Serializer):
    harmful_behaviours = serializers.CharField(required=False, allow_blank=True)
    development = serializers.CharField(required=False, allow_blank=True)
    family = serializers.CharField(required=False, allow_blank=True)
    environment = serializers.CharField(required=False, allow_blank=True)
    strengths_and_protective_factors = serializers.CharField(required=False, allow_blank=True)
    child_views = serializers.CharField(required=False, allow_blank=True)
    parents_carers_views = serializers.CharField(required=False, allow_blank=True)
    strengths_not_recorded_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=SHORT_TEXT_MAX_LENGTH,
        help_text="Why strengths and protective factors are not recorded (only while empty).",
    )
    child_views_not_recorded_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=SHORT_TEXT_MAX_LENGTH,
        help_text="Why the child's views are not recorded (only while empty).",
    )
    parents_carers_views_not_recorded_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=SHORT_TEXT_MAX_LENGTH,
        help_text="Why parents' or carers' views are not recorded (only while empty).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        known = [*SECTIONS, *NOT_RECORDED_LABELS]
        unknown = sorted(set(self.initial_data) - set(known))
        if unknown:
            raise serializers.ValidationError(
                {key: [f"Unknown section; expected one of {', '.join(known)}."] for key in unknown}
            )
        if not attrs:
            raise serializers.ValidationError({"sections": ["Give at least one section."]})
        return attrs


class AddContributionSerializer(serializers.Serializer):
    # Ids only, looked up by the service in the case's area (another area's: 404).
    agency = serializers.IntegerField(min_value=1, help_text="An agency of the case's area.")
    practitioner = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1
    )
    summary = serializers.CharField(max_length=TEXT_MAX_LENGTH)


class SubmitAssessmentSerializer(serializers.Serializer):
    confirmed_continuum_level = serializers.ChoiceField(choices=ContinuumLevel.choices)
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices)
    needs = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    strengths = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH
    )
    intervention_focus = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    recommended_route = serializers.CharField(
        max_length=64, help_text="Key of a transition out of the case's current stage."
    )


class AuthoriseAssessmentSerializer(serializers.Serializer):
    late_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=SHORT_TEXT_MAX_LENGTH,
        help_text="Required after the due date.",
    )
    confirmed_continuum_level = serializers.ChoiceField(
        choices=ContinuumLevel.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Default: as submitted.",
    )
    risk_level = serializers.ChoiceField(
        choices=RiskLevel.choices, required=False, allow_blank=True, default=""
    )
    recommended_route = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=64,
        help_text="Default: as submitted; must leave the case's current stage.",
    )


class ReturnAssessmentSerializer(serializers.Serializer):
    comments = serializers.CharField(max_length=SHORT_TEXT_MAX_LENGTH)


class ToolFilterSerializer(serializers.Serializer):
    case = serializers.IntegerField(required=False)
    assessment_type = serializers.ChoiceField(choices=AssessmentType.choices, required=False)
