"""Pathway definitions as data: a pathway has versions; a version has stages and transitions.

A version is a draft until published and immutable afterwards, so every open case
can keep following the version it started on.
"""

from typing import Any

from django.conf import settings
from django.db import models

from agencies.models import LocalArea
from agencies.roles import Role
from core.limits import PATHWAY_KEY_MAX_LENGTH, PATHWAY_NAME_MAX_LENGTH

from .involvement import every_involvement


class ServiceTier(models.IntegerChoices):
    # Ordered: step-up rises in tier, step-down falls.
    UNIVERSAL = 1, "Universal"
    EARLY_HELP = 2, "Early help"
    SPECIALIST = 3, "Specialist"
    STATUTORY = 4, "Statutory"


class TimescaleFrom(models.TextChoices):
    STAGE_ENTRY = "stage_entry", "Stage entry"
    REFERRAL = "referral", "Referral received"
    # A named event recorded on the case: the move into a statutory stage (pathways.closure).
    CSC_REFERRAL = "csc_referral", "Referral to children's social care"


class TransitionKind(models.TextChoices):
    ROUTE = "route", "Route"
    STEP_UP = "step_up", "Step-up"
    STEP_DOWN = "step_down", "Step-down"
    CLOSE = "close", "Close"
    REOPEN = "reopen", "Reopen"


class Pathway(models.Model):
    area = models.ForeignKey(LocalArea, on_delete=models.PROTECT, related_name="pathways")
    key = models.SlugField(max_length=PATHWAY_KEY_MAX_LENGTH)
    name = models.CharField(max_length=PATHWAY_NAME_MAX_LENGTH)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["area", "key"], name="pathway_unique_key_in_area")
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class PathwayVersion(models.Model):
    pathway = models.ForeignKey(Pathway, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    # Name and description belong to the version: a later draft's rename leaves
    # published versions exactly as they were.
    name = models.CharField(max_length=PATHWAY_NAME_MAX_LENGTH)
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["pathway", "number"], name="pathway_version_unique_number"
            )
        ]
        ordering = ["pathway", "-number"]

    def __str__(self) -> str:
        return f"{self.name} v{self.number} ({self.status})"

    @property
    def is_published(self) -> bool:
        return self.status == VersionStatus.PUBLISHED


class PublishedVersionIsImmutable(Exception):
    pass


class VersionPart(models.Model):
    """A row of a version's definition: it refuses to change once the version is published."""

    version_id: int

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._refuse_if_published()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        self._refuse_if_published()
        return super().delete(*args, **kwargs)

    def _refuse_if_published(self) -> None:
        if PathwayVersion.objects.filter(
            pk=self.version_id, status=VersionStatus.PUBLISHED
        ).exists():
            raise PublishedVersionIsImmutable(
                "A published pathway version cannot change; create a new draft version."
            )


class Stage(VersionPart):
    version = models.ForeignKey(PathwayVersion, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveIntegerField(default=0)
    key = models.SlugField(max_length=PATHWAY_KEY_MAX_LENGTH)
    name = models.CharField(max_length=PATHWAY_NAME_MAX_LENGTH)
    description = models.TextField(blank=True)
    tier = models.PositiveSmallIntegerField(choices=ServiceTier.choices)
    responsible_role = models.CharField(max_length=32)
    timescale_working_days = models.IntegerField(null=True, blank=True)
    timescale_from = models.CharField(
        max_length=16, choices=TimescaleFrom.choices, default=TimescaleFrom.STAGE_ENTRY
    )
    is_terminal = models.BooleanField(default=False)
    is_initial = models.BooleanField(default=False)
    # Artefact keys (pathways.artefacts) that must exist before the case leaves the stage.
    requires = models.JSONField(default=list, blank=True)
    # Whose route the stage is on (pathways.involvement keys).
    involvements = models.JSONField(default=every_involvement)
    # A case enters the stage with a designated lead practitioner: the move names one when
    # the case has none (engine.take_transition), so no case waits here without a lead.
    needs_lead_practitioner = models.BooleanField(default=False)

    class Meta(VersionPart.Meta):
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="stage_unique_key_in_version")
        ]
        ordering = ["version", "position"]

    def __str__(self) -> str:
        return self.name

    @property
    def responsible_role_label(self) -> str:
        return (
            str(Role(self.responsible_role).label) if self.responsible_role in Role.values else ""
        )


class Transition(VersionPart):
    version = models.ForeignKey(
        PathwayVersion, on_delete=models.CASCADE, related_name="transitions"
    )
    position = models.PositiveIntegerField(default=0)
    key = models.SlugField(max_length=PATHWAY_KEY_MAX_LENGTH)
    name = models.CharField(max_length=PATHWAY_NAME_MAX_LENGTH)
    kind = models.CharField(max_length=16, choices=TransitionKind.choices)
    from_stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="exits")
    to_stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="entries")
    allowed_roles = models.JSONField(default=list)
    # {guard_key: argument}; guard keys are functions in pathways.guards.
    guards = models.JSONField(default=dict, blank=True)
    reason_required = models.BooleanField(default=False)
    # The children it is offered for (pathways.involvement keys): the case's child's
    # involvement must be among them.
    involvements = models.JSONField(default=every_involvement)
    # The closure reasons a closing transition (or a step-down out of children's social care)
    # allows (pathways.closure); none listed: every reason of the kind the case needs.
    closure_reasons = models.JSONField(default=list, blank=True)

    class Meta(VersionPart.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["version", "key"], name="transition_unique_key_in_version"
            )
        ]
        ordering = ["version", "position"]

    def __str__(self) -> str:
        return self.name
