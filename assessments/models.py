from django.conf import settings
from django.db import models

from pathways.continuum import ContinuumLevel


class AssessmentStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    STARTED = "started", "Started"
    SUBMITTED = "submitted", "Submitted"
    AUTHORISED = "authorised", "Authorised"
    RETURNED = "returned", "Returned with comments"


class Assessment(models.Model):
    """An assessment of one child on one case; authorised ones release stage requirements."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="assessments")
    assessment_type = models.CharField(max_length=64)
    status = models.CharField(
        max_length=16, choices=AssessmentStatus.choices, default=AssessmentStatus.REQUESTED
    )
    requested_at = models.DateTimeField()
    authorised_at = models.DateTimeField(null=True, blank=True)
    authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_continuum_level = models.CharField(
        max_length=16, choices=ContinuumLevel.choices, blank=True
    )

    class Meta:
        indexes = [models.Index(fields=["case", "status"], name="assessment_case_status_idx")]

    def __str__(self) -> str:
        return f"{self.assessment_type} for case {self.case_id}"
