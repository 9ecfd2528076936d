"""Children, referrals and cases. A case is one child's episode, pinned to a pathway version.

`Case` extends viewflow's Process row (multi-table inheritance), so viewflow's
`select_for_update_lock` on the process locks the case, and its timers and tasks
hang off the case directly.
"""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from guardian.models import UserObjectPermissionBase
from viewflow.workflow.models import Process, Task

from agencies.models import Agency, LocalArea
from core.limits import (
    CHILD_REFERENCE_MAX_LENGTH,
    CRIME_REFERENCE_MAX_LENGTH,
    LINE_MAX_LENGTH,
    NAME_MAX_LENGTH,
)
from pathways.closure import CLOSURE_REASON_CHOICES, CLOSURE_REASON_MAX_LENGTH
from pathways.continuum import ClosureReason, ContinuumLevel
from pathways.involvement import Involvement as _PathwayInvolvement
from pathways.models import PathwayVersion, Stage, Transition

from .codes import Ethnicity, Gender, ReferralSource


def age_on(date_of_birth: datetime.date, day: datetime.date) -> int:
    """Completed years of age on `day`: a child's age is computed at each event."""
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - before_birthday


class Child(models.Model):
    reference = models.CharField(
        max_length=CHILD_REFERENCE_MAX_LENGTH, unique=True, help_text="Pseudonymous reference"
    )
    first_name = models.CharField(max_length=NAME_MAX_LENGTH)
    last_name = models.CharField(max_length=NAME_MAX_LENGTH)
    date_of_birth = models.DateField()
    gender = models.CharField(max_length=16, choices=Gender.choices)
    ethnicity = models.CharField(max_length=32, choices=Ethnicity.choices, default="not_known")
    special_educational_needs = models.BooleanField(default=False)
    learning_disability = models.BooleanField(default=False)
    looked_after = models.BooleanField(default=False)
    school = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="pupils"
    )
    # The area that holds the child's record; row-level security keys on it (migration 0007).
    area = models.ForeignKey(LocalArea, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "children"
        indexes = [models.Index(fields=["date_of_birth"], name="child_dob_idx")]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.reference})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: datetime.date) -> int:
        return age_on(self.date_of_birth, day)


class Channel(models.TextChoices):
    PHONE = "phone", "Phone call"
    EMAIL = "email", "Email"
    ONLINE_FORM = "online_form", "Online form"
    IN_PERSON = "in_person", "In person"
    LETTER = "letter", "Letter"
    MEETING = "meeting", "Multi-agency meeting"


class Referral(models.Model):
    received_at = models.DateTimeField(db_index=True)
    source = models.CharField(max_length=4, choices=ReferralSource.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.PHONE)
    referring_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    # The person who referred: a user when they have an account, otherwise named here.
    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_made",
    )
    referrer_name = models.CharField(max_length=LINE_MAX_LENGTH, blank=True)
    referrer_contact = models.CharField(max_length=LINE_MAX_LENGTH, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_recorded",
    )
    description = models.TextField()
    # The highest continuum level among the referral's behaviours, kept for reporting.
    continuum_level = models.CharField(max_length=16, choices=ContinuumLevel.choices, blank=True)
    immediate_safety_actions = models.TextField(blank=True)
    parents_informed = models.BooleanField(null=True)
    parents_not_informed_reason = models.TextField(blank=True)
    police_involved = models.BooleanField(default=False)
    crime_reference = models.CharField(max_length=CRIME_REFERENCE_MAX_LENGTH, blank=True)
    police_outcome = models.TextField(blank=True)
    # The referring agency's (the recording actor's) area, denormalised for row-level security.
    area = models.ForeignKey(LocalArea, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Referral {self.pk} ({self.received_at:%d %b %Y})"


# A child's part in a referral: whose route their case follows. Its home is the pathway's
# (pathway data names these keys: pathways.involvement); cases use the same choices.
Involvement = _PathwayInvolvement


class TrafficLight(models.TextChoices):
    # Brook traffic light tool colours.
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"


class Setting(models.TextChoices):
    HOME = "home", "Home"
    SCHOOL = "school", "School"
    COMMUNITY = "community", "Community"
    ONLINE = "online", "Online"
    CARE_PLACEMENT = "care_placement", "Care placement"


class ReferralBehaviour(models.Model):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="behaviours")
    description = models.TextField()
    continuum_level = models.CharField(max_length=16, choices=ContinuumLevel.choices)
    traffic_light = models.CharField(max_length=8, choices=TrafficLight.choices)
    setting = models.CharField(max_length=16, choices=Setting.choices)
    technology_assisted = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.get_continuum_level_display()} behaviour ({self.get_setting_display()})"


class Case(Process):
    """One child's episode on a pathway: where it is, by when, and who leads it."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="cases")
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    involvement = models.CharField(max_length=16, choices=Involvement.choices)
    pathway_version = models.ForeignKey(PathwayVersion, on_delete=models.PROTECT, related_name="+")
    # The pathway's area, denormalised so row-level security needs no join.
    area = models.ForeignKey(LocalArea, on_delete=models.PROTECT, related_name="+")
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
    # A census code (RC1-RC9) where a children's social care episode closed, else a plain
    # reason (pathways.closure).
    closure_reason = models.CharField(
        max_length=CLOSURE_REASON_MAX_LENGTH, choices=CLOSURE_REASON_CHOICES, blank=True
    )
    outcome_summary = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # A later referral about a child with an open case joins it and flags a repeat concern;
    # a referral after closure opens a new episode linked to the earlier one.
    repeat_concern = models.BooleanField(default=False)
    previous_episode = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="later_episodes"
    )
    # The cases of the other children in the same referrals (harmed and displaying HSB).
    linked_cases = models.ManyToManyField("self", symmetrical=True, blank=True)
    # The case's last children's social care episode (pathways.closure): it opens with the
    # referral to children's social care (the named event stages may count their timescale
    # from) and ends, with its census closure reason, when the case steps down or closes.
    csc_referred_at = models.DateTimeField(null=True, blank=True)
    csc_episode_ended_at = models.DateTimeField(null=True, blank=True)
    csc_episode_end_reason = models.CharField(
        max_length=CLOSURE_REASON_MAX_LENGTH, choices=ClosureReason.choices, blank=True
    )
    # Optimistic concurrency: a client that loaded an older version gets a conflict.
    lock_version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [
            models.Index(fields=["current_stage", "stage_due_on"], name="case_stage_due_idx"),
            models.Index(fields=["lead_practitioner"], name="case_lead_idx"),
            models.Index(fields=["closed_at"], name="case_closed_idx"),
            # An area's cases from the index alone: the row-level security wall of the tables
            # that hang off a case finds the area's case ids here (issue 15).
            models.Index(fields=["area", "process_ptr"], name="case_area_idx"),
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


class ReferralChild(models.Model):
    """A child named in a referral, the part they played, and the case it opened or joined."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="children")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="referral_links")
    involvement = models.CharField(max_length=16, choices=Involvement.choices)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referral_links")
    joined_open_case = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["referral", "child"], name="child_once_per_referral")
        ]

    def __str__(self) -> str:
        return f"{self.child} in referral {self.referral_id}"


class TeamMember(models.Model):
    """The team around the child: a practitioner or agency with a role on the case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="team")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    role_on_case = models.CharField(max_length=LINE_MAX_LENGTH)
    joined_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    left_reason = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["practitioner", "left_at"], name="team_member_idx"),
            # The active places of a practitioner and of an agency (a manager's team), with
            # their cases: the case lists' team parts read them from the index (issue 15).
            models.Index(
                fields=["practitioner", "case"],
                condition=models.Q(left_at__isnull=True),
                name="team_member_active_idx",
            ),
            models.Index(
                fields=["agency", "case"],
                condition=models.Q(left_at__isnull=True),
                name="team_agency_active_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role_on_case} on case {self.case_id}"


class ViewHolder(models.TextChoices):
    CHILD = "child", "The child"
    PARENT_CARER = "parent_carer", "Parent or carer"
    FAMILY = "family", "Other family member"


class RecordedView(models.Model):
    """The child's and the family's views, recordable at any time."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="views")
    holder = models.CharField(max_length=16, choices=ViewHolder.choices)
    holder_description = models.CharField(max_length=LINE_MAX_LENGTH, blank=True)
    view = models.TextField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"View of {self.get_holder_display()} on case {self.case_id}"


class SharingDecision(models.TextChoices):
    SHARE = "share", "Share"
    NOT_SHARE = "not_share", "Do not share"


class LawfulBasis(models.TextChoices):
    # HM Government information sharing advice (practice reference).
    PUBLIC_TASK_SAFEGUARDING = (
        "public_task_safeguarding",
        "UK GDPR Art 6(1)(e) public task with Art 9(2)(g) and DPA 2018 Sch 1 para 18 "
        "(safeguarding of children)",
    )
    VITAL_INTERESTS = "vital_interests", "UK GDPR Art 6(1)(d) vital interests"
    LEGAL_OBLIGATION = "legal_obligation", "UK GDPR Art 6(1)(c) legal obligation"
    CONSENT = "consent", "UK GDPR Art 6(1)(a) consent"


class Consent(models.TextChoices):
    GIVEN = "given", "Consent given"
    NOT_SOUGHT = "not_sought", "Consent not sought"
    REFUSED = "refused", "Consent refused (not shared)"
    OVERRIDDEN = "overridden", "Refusal overridden"


class InformationSharingDecision(models.Model):
    """A decision to share, or not to share, information about the case: both are recorded."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sharing_decisions")
    decision = models.CharField(max_length=16, choices=SharingDecision.choices)
    information = models.TextField(help_text="What was (or would have been) shared")
    recipient_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    recipient_practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    purpose = models.TextField()
    lawful_basis = models.CharField(max_length=32, choices=LawfulBasis.choices)
    consent = models.CharField(max_length=16, choices=Consent.choices)
    consent_reason = models.TextField(blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    child_family_views = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["recipient_practitioner"], name="sharing_recipient_idx"),
            models.Index(fields=["recipient_agency"], name="sharing_agency_idx"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_decision_display()} with {self.recipient_agency_id} (case {self.case_id})"
        )


class CaseNote(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField()
    written_at = models.DateTimeField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"Note on case {self.case_id}"


# --- explicit access to one case ---------------------------------------------------------------


class AccessGrantKind(models.TextChoices):
    CONSULTANT = "consultant", "Consultant"
    INFORMATION_SHARING = "information_sharing", "Information-sharing recipient"
    BREAK_GLASS = "break_glass", "Break-glass (emergency access)"


class AccessGrant(models.Model):
    """Read access to one case for one person, outside their role's rule: the audited record
    of who granted what, why, until when, and who ended it.

    What opens the case is its guardian row (`CaseUserObjectPermission`, carrying the
    expiry), kept in step by `cases.access`: an expired or revoked grant stops working at
    that moment, with no job to run. A grant lets its holder read the case file; it never
    lets them change it.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="access_grants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_access_grants"
    )
    kind = models.CharField(max_length=24, choices=AccessGrantKind.choices)
    reason = models.TextField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_reason = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "case"], name="access_grant_user_case_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__isnull=True)
                | models.Q(expires_at__gt=models.F("granted_at")),
                name="access_grant_expires_after_granted",
            ),
            # Emergency access is always time-limited.
            models.CheckConstraint(
                condition=~models.Q(kind="break_glass") | models.Q(expires_at__isnull=False),
                name="break_glass_grant_expires",
            ),
        ]
        ordering = ["-granted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} access to case {self.case_id} for {self.user_id}"

    def is_active(self, at: datetime.datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > at)


class BreakGlassOutcome(models.TextChoices):
    JUSTIFIED = "justified", "Justified"
    NOT_JUSTIFIED = "not_justified", "Not justified (remaining access revoked)"


class BreakGlassReview(models.Model):
    """A team manager's review of a practitioner's emergency access to a case."""

    grant = models.OneToOneField(AccessGrant, on_delete=models.CASCADE, related_name="review")
    outcome = models.CharField(max_length=16, choices=BreakGlassOutcome.choices, blank=True)
    notes = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # Reviewed means an outcome, a reviewer and a time, together.
            models.CheckConstraint(
                condition=models.Q(reviewed_at__isnull=True, reviewed_by__isnull=True, outcome="")
                | (
                    models.Q(reviewed_at__isnull=False, reviewed_by__isnull=False)
                    & ~models.Q(outcome="")
                ),
                name="break_glass_review_complete",
            )
        ]

    def __str__(self) -> str:
        return f"Review of break-glass grant {self.grant_id}"


class CaseUserObjectPermission(UserObjectPermissionBase):
    """Guardian's per-case user permissions with a real foreign key to the case (guardian's
    "direct foreign key" form): rows go with their case, and lookups use an index.

    This is the per-object check for grants: `cases.selectors.cases_visible_to` reads these
    rows, and `cases.backends.ExpiringObjectPermissionBackend` answers `has_perm` from them.
    `cases.access` keeps one row per person and case in step with their `AccessGrant`
    records: the latest expiry of their grants in force (null: until revoked), and no row
    once none is in force.
    """

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)
    # Guardian has no expiry of its own; read at query time, so expiry needs no job.
    expires_at = models.DateTimeField(null=True, blank=True)


# --- a referral that joined an open case ---------------------------------------------------


class RepeatReferralOutcome(models.TextChoices):
    NO_CHANGE = "no_change", "No change to the current route"
    STEP_UP = "step_up", "Step up"


class RepeatReferralDecision(models.Model):
    """The front door's decision on a referral that joined a child's open case.

    Every referral needs a decision within one working day (Working Together); a new case
    gets it as its first stage, a joined case gets this row, written with the referral
    (`cases.referrals.services`) and due one working day after the referral was received.
    Undecided past `due_on`, it is overdue.
    """

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="repeat_decisions")
    # The case's area, kept here so row-level security and the front door's list need no join.
    area = models.ForeignKey(LocalArea, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    outcome = models.CharField(max_length=16, choices=RepeatReferralOutcome.choices, blank=True)
    # The step-up taken through the engine (a stage move of its own, with its own audit event).
    transition = models.ForeignKey(
        Transition, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["referral", "case"], name="one_decision_per_joining"),
            # Decided means an outcome, a decider and a time, together.
            models.CheckConstraint(
                condition=models.Q(decided_at__isnull=True, decided_by__isnull=True, outcome="")
                | (
                    models.Q(decided_at__isnull=False, decided_by__isnull=False)
                    & ~models.Q(outcome="")
                ),
                name="repeat_decision_complete",
            ),
        ]
        indexes = [
            # The front door's undecided list: an area's, soonest due first.
            models.Index(
                fields=["area", "due_on"],
                condition=models.Q(decided_at__isnull=True),
                name="repeat_decision_open_idx",
            ),
            models.Index(fields=["case", "referral"], name="repeat_decision_case_idx"),
        ]

    def __str__(self) -> str:
        return f"Decision on referral {self.referral_id} for case {self.case_id}"
