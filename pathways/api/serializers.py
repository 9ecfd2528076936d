"""Serializers for the pathway API, one per endpoint: they check shape and nothing more.

A definition's own shape is checked once, by `definitions.definition_from_dict` (through
`parse_yaml` for YAML); these serializers only carry its errors back as field messages.
"""

from typing import Any, get_args

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.limits import (
    PATHWAY_MAX_STAGES,
    PATHWAY_MAX_TRANSITIONS,
    PATHWAY_YAML_MAX_CHARS,
    STAGE_MAX_REQUIRES,
    TRANSITION_MAX_GUARDS,
    TRANSITION_MAX_ROLES,
)
from core.validation import BoundedListField

from ..definitions import (
    DefinitionShapeError,
    PathwayDefinition,
    definition_from_dict,
    definition_to_dict,
)
from ..diff import ChangeKind
from ..involvement import Involvement
from ..models import Pathway, PathwayVersion, TimescaleFrom, TransitionKind
from ..selectors import version_definition
from ..yaml_io import parse_yaml

# --- The definition's documented shape (for the schema; definition_from_dict enforces it) ---


class TimescaleSerializer(serializers.Serializer):
    # Both optional: a stage without a timescale has `{}`.
    working_days = serializers.IntegerField(min_value=1, required=False)
    # "from" is a Python keyword, so it is added in get_fields.

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = serializers.ChoiceField(choices=TimescaleFrom.choices, required=False)
        return fields


class StageDefinitionSerializer(serializers.Serializer):
    key = serializers.SlugField()
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    tier = serializers.ChoiceField(choices=["universal", "early_help", "specialist", "statutory"])
    responsible_role = serializers.CharField()
    timescale = TimescaleSerializer(help_text="Empty when the stage has no timescale.")
    terminal = serializers.BooleanField()
    requires = serializers.ListField(
        child=serializers.CharField(), max_length=STAGE_MAX_REQUIRES, help_text="Artefact keys."
    )
    involvements = serializers.ListField(
        child=serializers.ChoiceField(choices=Involvement.choices),
        required=False,
        help_text="Whose route the stage is on; every child's when left out.",
    )
    needs_lead_practitioner = serializers.BooleanField(
        required=False,
        help_text="A case entering the stage gets a lead practitioner in the same step.",
    )


class TransitionDefinitionSerializer(serializers.Serializer):
    key = serializers.SlugField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=TransitionKind.choices)
    roles = serializers.ListField(child=serializers.CharField(), max_length=TRANSITION_MAX_ROLES)
    guards = serializers.DictField(
        help_text=f"Guard key to its argument (at most {TRANSITION_MAX_GUARDS})."
    )
    reason_required = serializers.BooleanField()
    closure_reasons = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="For a closing transition or a step-down: the closure reasons it allows, census "
        "codes (RC1-RC9) only where a children's social care episode ends; none listed, every "
        "reason of the kind the case needs.",
    )
    involvements = serializers.ListField(
        child=serializers.ChoiceField(choices=Involvement.choices),
        required=False,
        help_text="The children it is offered for; when left out, those both its stages serve.",
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = serializers.SlugField(help_text="Key of the stage it leaves.")
        fields["to"] = serializers.SlugField(help_text="Key of the stage it enters.")
        return fields


class PathwayDefinitionSerializer(serializers.Serializer):
    key = serializers.SlugField()
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    stages = BoundedListField(
        child=StageDefinitionSerializer(),
        max_length=PATHWAY_MAX_STAGES,
        help_text="The first stage is where new cases start.",
    )
    transitions = BoundedListField(
        child=TransitionDefinitionSerializer(), max_length=PATHWAY_MAX_TRANSITIONS
    )


@extend_schema_field(PathwayDefinitionSerializer)
class DefinitionField(serializers.JSONField):
    """A definition in the canonical dict shape, as JSON."""


class ProblemSerializer(serializers.Serializer):
    code = serializers.CharField()
    path = serializers.CharField()
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """The body of every 400, 403, 404 and 409 answer (config.exceptions)."""

    code = serializers.CharField()
    detail = serializers.CharField()
    problems = ProblemSerializer(many=True, required=False)

    def get_fields(self) -> dict[str, serializers.Field]:
        # `fields` would shadow Serializer.fields as a class attribute.
        fields = super().get_fields()
        fields["fields"] = serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text="Messages by input field.",
        )
        return fields


# --- Reads ---


class VersionSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = PathwayVersion
        fields = ["id", "number", "status", "published_at"]


class PathwaySerializer(serializers.ModelSerializer):
    area_name = serializers.CharField(source="area.name", read_only=True)
    versions = VersionSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Pathway
        fields = ["id", "key", "name", "description", "area", "area_name", "created_at", "versions"]


class VersionListSerializer(serializers.ModelSerializer):
    pathway_key = serializers.CharField(source="pathway.key", read_only=True)
    stage_count = serializers.IntegerField(read_only=True)
    transition_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = PathwayVersion
        fields = [
            "id",
            "pathway",
            "pathway_key",
            "number",
            "status",
            "notes",
            "created_at",
            "created_by",
            "published_at",
            "published_by",
            "stage_count",
            "transition_count",
        ]


class VersionDetailSerializer(serializers.ModelSerializer):
    pathway_key = serializers.CharField(source="pathway.key", read_only=True)
    definition = serializers.SerializerMethodField()

    class Meta:
        model = PathwayVersion
        fields = [
            "id",
            "pathway",
            "pathway_key",
            "number",
            "status",
            "notes",
            "created_at",
            "created_by",
            "published_at",
            "published_by",
            "definition",
        ]

    @extend_schema_field(PathwayDefinitionSerializer)
    def get_definition(self, version: PathwayVersion) -> dict[str, Any]:
        return definition_to_dict(version_definition(version))


class ChangeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(get_args(ChangeKind)))
    subject = serializers.ChoiceField(choices=["pathway", "stage", "transition"])
    key = serializers.CharField()
    field = serializers.CharField(help_text="Empty when a whole stage or transition changed.")
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)
    text = serializers.CharField()


class DiffSerializer(serializers.Serializer):
    changes = ChangeSerializer(many=True)
    text = serializers.CharField(help_text="One line per change.")


class DiffQuerySerializer(serializers.Serializer):
    # An id only: `version_changes` looks it up among the versions the actor may see.
    against = serializers.IntegerField(
        min_value=1, help_text="The version to compare with (the older one, usually)."
    )


class ValidationResultSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    problems = ProblemSerializer(many=True)


# --- Writes ---


def _shape_messages(error: DefinitionShapeError) -> list[str]:
    return [f"{item['path']}: {item['message']}" for item in error.errors]


class DefinitionSourceSerializer(serializers.Serializer):
    """A definition as YAML text or as JSON in the canonical shape: exactly one of them."""

    # Blank and null get through so the definition's own checks can name what is wrong.
    yaml = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=PATHWAY_YAML_MAX_CHARS,
    )
    definition = DefinitionField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "yaml" in attrs and "definition" in attrs:
            raise serializers.ValidationError(
                {"yaml": ["Send the definition either as yaml or as definition, not both."]}
            )
        if "yaml" not in attrs and "definition" not in attrs:
            raise serializers.ValidationError(
                {"yaml": ["Send the definition as yaml text or as a definition object."]}
            )
        return attrs


class DefinitionInputSerializer(DefinitionSourceSerializer):
    """Parses the definition; `validated_data["parsed"]` is a PathwayDefinition."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        source = "yaml" if "yaml" in attrs else "definition"
        try:
            attrs["parsed"] = read_definition(attrs)
        except DefinitionShapeError as error:
            raise serializers.ValidationError({source: _shape_messages(error)}) from error
        return attrs


def read_definition(attrs: dict[str, Any]) -> PathwayDefinition:
    """The definition sent as `yaml` or `definition`; raises DefinitionShapeError."""
    if "yaml" in attrs:
        return parse_yaml(attrs["yaml"])
    return definition_from_dict(attrs["definition"])


class ImportSerializer(serializers.Serializer):
    # An id only: the service looks it up among the areas the actor may import into, so
    # another area's id is a 404 exactly like one that does not exist.
    area = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="Optional: the actor's own area (or the only area there is).",
    )
    yaml = serializers.CharField(trim_whitespace=False, max_length=PATHWAY_YAML_MAX_CHARS)
    notes = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.setdefault("area", None)
        try:
            attrs["parsed"] = parse_yaml(attrs["yaml"])
        except DefinitionShapeError as error:
            raise serializers.ValidationError({"yaml": _shape_messages(error)}) from error
        return attrs
