from django.contrib.auth.models import AbstractUser
from django.db import models

from .roles import Role


class BankHolidayRegion(models.TextChoices):
    # Keys are the `holidays` package's UK subdivision codes.
    ENGLAND_AND_WALES = "ENG", "England and Wales"
    SCOTLAND = "SCT", "Scotland"
    NORTHERN_IRELAND = "NIR", "Northern Ireland"


class LocalArea(models.Model):
    """A local safeguarding partnership's area; working days follow its bank holidays."""

    name = models.CharField(max_length=200, unique=True)
    bank_holiday_region = models.CharField(
        max_length=3, choices=BankHolidayRegion.choices, default=BankHolidayRegion.ENGLAND_AND_WALES
    )

    def __str__(self) -> str:
        return self.name


class AgencyType(models.TextChoices):
    SCHOOL = "school", "School"
    HEALTH = "health", "Health"
    POLICE = "police", "Police"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care", "Children's social care"
    EARLY_HELP = "early_help", "Early help"
    SPECIALIST_HSB = "specialist_hsb", "Specialist HSB service"
    CAMHS = "camhs", "CAMHS"
    YOUTH_JUSTICE = "youth_justice", "Youth justice"
    VOLUNTARY = "voluntary", "Voluntary sector"
    OTHER = "other", "Other"


class Agency(models.Model):
    area = models.ForeignKey(LocalArea, on_delete=models.PROTECT, related_name="agencies")
    name = models.CharField(max_length=200)
    agency_type = models.CharField(max_length=32, choices=AgencyType.choices)

    class Meta:
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(fields=["area", "name"], name="agency_unique_name_in_area")
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A practitioner (or analyst, administrator, auditor): a user with an agency and a role."""

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="practitioners"
    )
    role = models.CharField(max_length=32, choices=Role.choices, blank=True)
    job_title = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["role"], name="user_role_idx")]

    def __str__(self) -> str:
        return self.get_full_name() or self.username
