from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.ages import adult_transition
from cases.models import Case, StageMove
from core.limits import SHORT_TEXT_MAX_LENGTH
from pathways.closure import CLOSURE_REASON_CHOICES
from pathways.continuum import ClosureReason, ContinuumLevel


class StageRefSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()


class CaseListSerializer(serializers.ModelSerializer):
    child = serializers.SerializerMethodField()
    stage = StageRefSerializer(source="current_stage")
    lead_practitioner: serializers.StringRelatedField = serializers.StringRelatedField(
        allow_null=True
    )
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "child",
            "involvement",
            "stage",
            "stage_entered_at",
            "stage_due_on",
            "overdue",
            "lead_practitioner",
            "confirmed_continuum_level",
            "closed_at",
            "lock_version",
        ]

    def get_child(self, case: Case) -> dict[str, Any]:
        child = case.child
        return {"id": child.pk, "reference": child.reference, "name": child.full_name}

    def get_overdue(self, case: Case) -> bool:
        return case.stage_overdue_since is not None

    def to_representation(self, instance: Case) -> dict[str, Any]:
        """The fields above written directly (the same JSON, tested against DRF's own
        walk over them): for a page of 100 cases, DRF's per-field machinery (attribute
        lookups, nested serializers, method fields) cost more than reading the page.
        Subclasses (the detail) go DRF's way."""
        if type(self) is not CaseListSerializer:
            return super().to_representation(instance)
        fields = self.fields
        case = instance
        child = case.child
        stage = case.current_stage
        lead = case.lead_practitioner
        closed_at = case.closed_at
        due_on = case.stage_due_on
        level = case.confirmed_continuum_level
        entered = case.stage_entered_at
        return {
            "id": case.pk,
            "child": {"id": child.pk, "reference": child.reference, "name": child.full_name},
            "involvement": fields["involvement"].to_representation(case.involvement),
            "stage": {"key": str(stage.key), "name": str(stage.name)},
            "stage_entered_at": None
            if entered is None
            else fields["stage_entered_at"].to_representation(entered),
            "stage_due_on": None
            if due_on is None
            else fields["stage_due_on"].to_representation(due_on),
            "overdue": case.stage_overdue_since is not None,
            "lead_practitioner": None if lead is None else str(lead),
            "confirmed_continuum_level": None
            if level is None
            else fields["confirmed_continuum_level"].to_representation(level),
            "closed_at": None
            if closed_at is None
            else fields["closed_at"].to_representation(closed_at),
            "lock_version": fields["lock_version"].to_representation(case.lock_version),
        }


class StageMoveSerializer(serializers.ModelSerializer):
    transition: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="key", read_only=True, allow_null=True
    )
    from_stage: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="key", read_only=True, allow_null=True
    )
    to_stage: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="key", read_only=True
    )
    actor: serializers.StringRelatedField = serializers.StringRelatedField()

    class Meta:
        model = StageMove
        fields = [
            "kind",
            "transition",
            "from_stage",
            "to_stage",
            "actor",
            "reason",
            "data",
            "moved_at",
            "due_on",
        ]


class CscEpisodeSerializer(serializers.Serializer):
    """The case's last children's social care episode (pathways.closure)."""

    referred_at = serializers.DateTimeField(
        help_text="The referral to children's social care: the referral itself when the front "
        "door routed the case there, else the step-up. Statutory assessment clocks count from it."
    )
    ended_at = serializers.DateTimeField(
        allow_null=True, help_text="When the case stepped down or closed; null while open."
    )
    end_reason = serializers.ChoiceField(
        choices=ClosureReason.choices, allow_blank=True, help_text="Its census closure reason."
    )


def csc_episode(case: Case) -> dict[str, Any] | None:
    if case.csc_referred_at is None:
        return None
    return dict(
        CscEpisodeSerializer(
            {
                "referred_at": case.csc_referred_at,
                "ended_at": case.csc_episode_ended_at,
                "end_reason": case.csc_episode_end_reason,
            }
        ).data
    )


class CaseDetailSerializer(CaseListSerializer):
    route = StageMoveSerializer(source="route_moves", many=True)
    pathway_version = serializers.SerializerMethodField()
    csc_episode = serializers.SerializerMethodField()
    transition_to_adult_services = serializers.SerializerMethodField(
        help_text="The case is open and its child displaying HSB is 18 or over today: the "
        "transition to adult services (18 to 21) is due or under way. Computed from the date "
        "of birth on every read."
    )

    class Meta(CaseListSerializer.Meta):
        fields = [
            *CaseListSerializer.Meta.fields,
            "significant_harm_suspected",
            "referral_received_at",
            "closure_reason",
            "csc_episode",
            "transition_to_adult_services",
            "pathway_version",
            "route",
        ]

    @extend_schema_field(serializers.BooleanField())
    def get_transition_to_adult_services(self, case: Case) -> bool:
        return (
            adult_transition(
                date_of_birth=case.child.date_of_birth,
                involvement=case.involvement,
                closed=case.closed_at is not None,
                today=timezone.localdate(),
            )
            is not None
        )

    @extend_schema_field(CscEpisodeSerializer(allow_null=True))
    def get_csc_episode(self, case: Case) -> dict[str, Any] | None:
        return csc_episode(case)

    def get_pathway_version(self, case: Case) -> dict[str, Any]:
        version = case.pathway_version
        return {"id": version.pk, "pathway": version.pathway.key, "number": version.number}


class TransitionOptionSerializer(serializers.Serializer):
    key = serializers.CharField(source="transition.key")
    name = serializers.CharField(source="transition.name")
    kind = serializers.CharField(source="transition.kind")
    to_stage = serializers.CharField(source="transition.to_stage.key")
    # The pathway's reason requirement, or a step-up that skips a tier.
    reason_required = serializers.BooleanField()
    guards = serializers.DictField(source="transition.guards")
    failed_guards = serializers.ListField(child=serializers.CharField())
    missing_artefacts = serializers.ListField(child=serializers.CharField())
    ready = serializers.BooleanField()
    asks = serializers.ListField(
        child=serializers.CharField(),
        help_text="The inputs taking it asks for: reason, or a field of `data`.",
    )
    needs = serializers.ListField(
        child=serializers.CharField(),
        help_text="Those of `asks` it cannot be taken without (a lead practitioner when it "
        "enters a stage that needs one and the case has none; a continuum level on a "
        "step-up of a child displaying HSB).",
    )


class TransitionDataSerializer(serializers.Serializer):
    continuum_level = serializers.ChoiceField(choices=ContinuumLevel.choices, required=False)
    significant_harm_suspected = serializers.BooleanField(required=False)
    closure_reason = serializers.ChoiceField(
        choices=CLOSURE_REASON_CHOICES,
        required=False,
        help_text="A census code (RC1-RC9) where a children's social care episode ends, else "
        "one of the plain reasons the closing transition lists.",
    )
    outcome = serializers.CharField(
        required=False, allow_blank=True, max_length=SHORT_TEXT_MAX_LENGTH
    )
    # Only its shape here: the engine checks it as a designation is checked (cases.process.leads).
    lead_practitioner = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="A user id: the lead practitioner named with a move into a stage that needs one.",
    )


class TakeTransitionSerializer(serializers.Serializer):
    transition = serializers.SlugField()
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=SHORT_TEXT_MAX_LENGTH
    )
    data = TransitionDataSerializer(required=False, default=dict)  # type: ignore[assignment]
    expected_version = serializers.IntegerField(
        min_value=1,
        help_text="The case's lock_version when you loaded it; a newer one answers 409.",
    )


class PersonSerializer(serializers.Serializer):
    """A user an answer names (on the team, who recorded or decided): id and name."""

    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")


class AgencySerializer(serializers.Serializer):
    """An agency an answer names: id and name."""

    id = serializers.IntegerField()
    name = serializers.CharField()


def id_field(**kwargs: Any) -> serializers.IntegerField:
    """An id named in a payload: only its shape here (a positive bigint); the service looks
    it up among what the rule allows, and another area's object answers 404, as one that
    does not exist."""
    return serializers.IntegerField(min_value=1, max_value=2**63 - 1, **kwargs)


class DesignateLeadSerializer(serializers.Serializer):
    practitioner = id_field(
        help_text="A user id: an active lead practitioner or manager of the case's area."
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=SHORT_TEXT_MAX_LENGTH
    )
