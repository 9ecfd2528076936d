"""Assessments of a child on a case, the tool catalogue, and practitioners' certifications.

An assessment is requested, started with a suitable tool, completed with holistic content
(harmful behaviours, development, family, environment) and contributions from other
agencies, submitted, then authorised by a team manager or returned with comments. An
authorised assessment releases a stage's `authorised_assessment` requirement and recommends
the case's next transition.
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone

from pathways.continuum import ContinuumLevel


class AssessmentStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    STARTED = "started", "Started"
    SUBMITTED = "submitted", "Submitted"
    AUTHORISED = "authorised", "Authorised"


OPEN_STATUSES = (AssessmentStatus.REQUESTED, AssessmentStatus.STARTED, AssessmentStatus.SUBMITTED)


class AssessmentType(models.TextChoices):
    # "A continuum of HSB assessment" (Hackett 2019), with the statutory assessment.
    SCREENING = "screening", "Screening"
    BRIEF_ASSESSMENT = "brief_assessment", "Brief assessment"
    NICE_EARLY_HELP_ASSESSMENT = "nice_early_help_assessment", "NICE early help assessment"
    COMPREHENSIVE_ASSESSMENT = "comprehensive_assessment", "Comprehensive assessment"
    HSB_FOCUSED_RISK_ASSESSMENT = "hsb_focused_risk_assessment", "HSB-focused risk assessment"
    SPECIALIST_ASSESSMENT = "specialist_assessment", "Specialist assessment"
    CSC_ASSESSMENT = "csc_assessment", "Children's social care assessment"


class RiskLevel(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


# The holistic view every assessment takes (HSB framework audit statement 3.2): each of these
# must be written before the assessment is submitted or authorised.
HOLISTIC_SECTIONS: dict[str, str] = {
    "harmful_behaviours": "Harmful behaviours",
    "development": "Development",
    "family": "Family",
    "environment": "Environment",
}
# Also required before submission or authorisation, or else the reason they are not recorded:
# the framework asks assessments to examine "protective factors and strengths" and to be
# child-focussed with the family central (HSB framework, domain 3), yet a child may decline
# to give their views, or a parent be out of reach, so a recorded reason answers instead.
FURTHER_SECTIONS: dict[str, str] = {
    "strengths_and_protective_factors": "Strengths and protective factors",
    "child_views": "The child's views",
    "parents_carers_views": "Parents' or carers' views",
}
SECTIONS: dict[str, str] = {**HOLISTIC_SECTIONS, **FURTHER_SECTIONS}
# Each further section's "why not recorded" field.
NOT_RECORDED_REASONS: dict[str, str] = {
    "strengths_and_protective_factors": "strengths_not_recorded_reason",
    "child_views": "child_views_not_recorded_reason",
    "parents_carers_views": "parents_carers_views_not_recorded_reason",
}
NOT_RECORDED_LABELS: dict[str, str] = {
    "strengths_not_recorded_reason": "Why strengths and protective factors are not recorded",
    "child_views_not_recorded_reason": "Why the child's views are not recorded",
    "parents_carers_views_not_recorded_reason": "Why parents' or carers' views are not recorded",
}


class AgeFit(models.TextChoices):
    """How the guidance names a tool for an age band of the catalogue (`age_bands`)."""

    LEAD = "lead", "Suited"  # the guidance's own tool for these ages
    CONSIDER = "consider", "May be considered"  # the guidance suggests it among others


class AssessmentTool(models.Model):
    """One tool of the catalogue (`assessments/data/tools.yaml`), with who it suits."""

    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    population_notes = models.TextField(blank=True)
    min_age = models.PositiveSmallIntegerField(help_text="Youngest age in whole years")
    max_age = models.PositiveSmallIntegerField(help_text="Oldest age in whole years")
    validated_on_genders = models.JSONField(
        default=list, blank=True, help_text="Genders it was validated with; empty: any"
    )
    validated_with_learning_disability = models.BooleanField(default=False)
    adolescent_only = models.BooleanField(
        default=False, help_text="Designed for adolescents: never for pre-adolescents"
    )
    certification_required = models.BooleanField(default=False)
    # Catalogue conditions (issue 16): a youth-justice tool is for a child a youth justice
    # service works with; age bands say for which ages the guidance names the tool, which
    # orders the suggestions: [{"min_age", "max_age", "fit": AgeFit, "guidance"}].
    requires_youth_justice = models.BooleanField(
        default=False, help_text="Only where a youth justice service is involved with the child"
    )
    age_bands = models.JSONField(
        default=list,
        blank=True,
        help_text='Ages the guidance names it for: [{"min_age", "max_age", "fit": "lead" or '
        '"consider", "guidance"}]',
    )
    suits_levels = models.JSONField(default=list, blank=True)
    assessment_types = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_age__lte=models.F("max_age")),
                name="assessment_tool_age_range",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def age_range(self) -> str:
        return f"{self.min_age}-{self.max_age}"


class ToolCertification(models.Model):
    """A practitioner's certification to use a tool, current from `certified_on`."""

    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tool_certifications"
    )
    tool = models.ForeignKey(
        AssessmentTool, on_delete=models.PROTECT, related_name="certifications"
    )
    certified_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True, help_text="Empty: does not expire")

    class Meta:
        indexes = [models.Index(fields=["practitioner", "tool"], name="tool_cert_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(expires_on__gte=models.F("certified_on")),
                name="tool_certification_dates",
            )
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} certified for {self.tool}"

    def is_current(self, on: date) -> bool:
        return self.certified_on <= on and (self.expires_on is None or on <= self.expires_on)


class Assessment(models.Model):
    """An assessment of one child on one case; authorised ones release stage requirements."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="assessments")
    assessment_type = models.CharField(max_length=64, choices=AssessmentType.choices)
    status = models.CharField(
        max_length=16, choices=AssessmentStatus.choices, default=AssessmentStatus.REQUESTED
    )

    # Requested: by whom, for whom (empty: the case's lead practitioner), by when.
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments_to_complete",
    )
    request_notes = models.TextField(blank=True)
    # The case's stage deadline when requested (a CSC assessment: 45 working days from referral).
    due_on = models.DateField(null=True, blank=True)
    # A type that does not suit the case's confirmed continuum level needs a reason (3.5).
    type_warnings = models.JSONField(default=list, blank=True)
    type_justification = models.TextField(blank=True)

    # Started: with which tool, for a child of what age, overriding which warnings.
    started_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_on = models.DateField(null=True, blank=True)
    tool = models.ForeignKey(
        AssessmentTool, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    child_age_at_start = models.PositiveSmallIntegerField(null=True, blank=True)
    tool_warnings = models.JSONField(default=list, blank=True)
    tool_justification = models.TextField(blank=True)

    # The holistic content (SECTIONS).
    harmful_behaviours = models.TextField(blank=True)
    development = models.TextField(blank=True)
    family = models.TextField(blank=True)
    environment = models.TextField(blank=True)
    strengths_and_protective_factors = models.TextField(blank=True)
    child_views = models.TextField(blank=True)
    parents_carers_views = models.TextField(blank=True)
    # Why a further section is not recorded (NOT_RECORDED_REASONS): the answer instead of it.
    strengths_not_recorded_reason = models.TextField(blank=True)
    child_views_not_recorded_reason = models.TextField(blank=True)
    parents_carers_views_not_recorded_reason = models.TextField(blank=True)

    # The outcome, proposed on submission and confirmed on authorisation.
    confirmed_continuum_level = models.CharField(
        max_length=16, choices=ContinuumLevel.choices, blank=True
    )
    risk_level = models.CharField(max_length=8, choices=RiskLevel.choices, blank=True)
    needs = models.TextField(blank=True)
    strengths = models.TextField(blank=True)
    intervention_focus = models.TextField(blank=True)
    # The key of a transition out of the case's stage, offered to the lead once authorised.
    recommended_route = models.CharField(max_length=64, blank=True)

    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Each return with comments, oldest first: {"submitted_at", "submitted_by", "returned_at",
    # "returned_by", "returned_by_name", "comments"}. Kept on the row so the chronology reads
    # the whole history in its one query; every return is audited as well.
    returns = models.JSONField(default=list, blank=True)

    authorised_at = models.DateTimeField(null=True, blank=True)
    authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    late_reason = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["case", "status"], name="assessment_case_status_idx"),
            models.Index(fields=["status", "due_on"], name="assessment_status_due_idx"),
        ]
        constraints = [
            # One open assessment of each type per case: a second request would split the work.
            models.UniqueConstraint(
                fields=["case", "assessment_type"],
                condition=models.Q(status__in=["requested", "started", "submitted"]),
                name="one_open_assessment_per_type",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_assessment_type_display()} for case {self.case_id}"

    @property
    def assessor_id(self) -> int | None:
        """Who completes it: the practitioner it was requested for, else the case's lead."""
        return self.requested_for_id or self.case.lead_practitioner_id

    @property
    def assessor(self) -> object | None:
        return self.requested_for or self.case.lead_practitioner

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.is_open and self.due_on is not None and self.due_on < today

    def missing_sections(self) -> list[str]:
        """The holistic sections not written, and the further sections with neither their
        text nor a reason why not."""
        return [key for key in HOLISTIC_SECTIONS if not getattr(self, key).strip()] + [
            key
            for key, reason in NOT_RECORDED_REASONS.items()
            if not getattr(self, key).strip() and not getattr(self, reason).strip()
        ]

    @property
    def not_recorded_reasons(self) -> dict[str, str]:
        return {key: getattr(self, reason) for key, reason in NOT_RECORDED_REASONS.items()}


class AssessmentContribution(models.Model):
    """What another agency contributed to the assessment (multi-agency, statement 3.4)."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="contributions"
    )
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    summary = models.TextField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"Contribution of {self.agency_id} to assessment {self.assessment_id}"
