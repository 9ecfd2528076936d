"""Children, referrals and cases. A case is one child's episode, pinned to a pathway version.

`Case` extends viewflow's Process row (multi-table inheritance), so viewflow's
`select_for_update_lock` on the process locks the case, and its timers and tasks
hang off the case directly.
"""

from django.conf import settings
from django.db import models
from viewflow.workflow.models import Process, Task

from agencies.models import Agency
from pathways.continuum import ClosureReason, ContinuumLevel
from pathways.models import PathwayVersion, Stage, Transition

from .codes import Ethnicity, Gender, ReferralSource


class Child(models.Model):
    reference = models.CharField(max_length=32, unique=True, help_text="Pseudonymous reference")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    gender = models.CharField(max_length=16, choices=Gender.choices)
    ethnicity = models.CharField(max_length=32, choices=Ethnicity.choices, default="not_known")
    special_educational_needs = models.BooleanField(default=False)
    learning_disability = models.BooleanField(default=False)
    looked_after = models.BooleanField(default=False)
    school = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="pupils"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "children"
        indexes = [models.Index(fields=["date_of_birth"], name="child_dob_idx")]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.reference})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Referral(models.Model):
    received_at = models.DateTimeField(db_index=True)
    source = models.CharField(max_length=4, choices=ReferralSource.choices)
    referring_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_made",
    )
    description = models.TextField()
    continuum_level = models.CharField(max_length=16, choices=ContinuumLevel.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Referral {self.pk} ({self.received_at:%d %b %Y})"


class Involvement(models.TextChoices):
    DISPLAYING_HSB = "displaying_hsb", "Child displaying HSB"
    HARMED = "harmed", "Child harmed"


class Case(Process):
    """One child's episode on a pathway: where it is, by when, and who leads it."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="cases")
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    involvement = models.CharField(max_length=16, choices=Involvement.choices)
    pathway_version = models.ForeignKey(PathwayVersion, on_delete=models.PROTECT, related_name="+")
    current_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    current_task = models.ForeignKey(
        Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    referral_received_at = models.DateTimeField()
    stage_entered_at = models.DateTimeField()
    stage_due_on = models.DateField(null=True, blank=True)
    stage_overdue_since = models.DateTimeField(null=True, blank=True)
    confirmed_continuum_level = models.CharField(
        max_length=16, choices=ContinuumLevel.choices, blank=True
    )
    significant_harm_suspected = models.BooleanField(default=False)
    lead_practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lead_cases",
    )
    closure_reason = models.CharField(max_length=3, choices=ClosureReason.choices, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Optimistic concurrency: a client that loaded an older version gets a conflict.
    lock_version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [
            models.Index(fields=["current_stage", "stage_due_on"], name="case_stage_due_idx"),
            models.Index(fields=["lead_practitioner"], name="case_lead_idx"),
            models.Index(fields=["closed_at"], name="case_closed_idx"),
        ]

    def __str__(self) -> str:
        return f"Case {self.pk}"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class StageMove(models.Model):
    """A case entering a stage: the pathway route, one row per move, written with the move."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="moves")
    transition = models.ForeignKey(
        Transition, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=16)
    from_stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    moved_at = models.DateTimeField()
    due_on = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["case", "moved_at"], name="stagemove_case_idx")]
        ordering = ["moved_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.kind} to {self.to_stage_id}"


class LeadDesignation(models.Model):
    """Who is (or was) the designated lead practitioner: the single point of contact."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="lead_designations")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # At most one active designation per case, enforced by the database.
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(ended_at__isnull=True),
                name="one_active_lead_per_case",
            )
        ]
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"Lead for case {self.case_id}: {self.practitioner_id}"
