"""The framework audit tool: the statements, audit rounds, each agency's scores and the
partnership's agreed scores.

The domain 3 dashboard reads the live case records (`partnership/figures/`), and one table of
its own: feedback from children and families on the referral and assessment process
(`ProcessFeedback`, statement 3.8), which the partnership's review of its processes reads. The
audit follows the HSB framework's audit tool (Hackett et al. 2019): each scored statement gets
0-4 per the scoring key, with evidence and the local assurance; where agencies cannot agree,
the lower score stands.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from agencies.models import Agency, LocalArea
from core.limits import AUDIT_ROUND_LABEL_MAX_LENGTH

# The framework's scoring key, 0-4 (audit-statements.yaml).
SCORING_KEY: dict[int, str] = {
    0: "Not at all / never / no evidence for this",
    1: "Very little / very infrequently / very little evidence for this",
    2: "To some extent / sometimes / some evidence for this",
    3: "To a fair extent / frequently / good evidence of this",
    4: "Always / to a great extent / a wealth of extremely strong evidence for this",
}
SCORE_CHOICES = [(score, f"{score}: {text}") for score, text in SCORING_KEY.items()]
MIN_SCORE, MAX_SCORE = 0, 4


class Domain(models.Model):
    """One of the framework's five domains (1 Responses … 5 Workforce development)."""

    number = models.PositiveSmallIntegerField(unique=True)
    short = models.CharField(max_length=50)
    title = models.CharField(max_length=200)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"Domain {self.number}: {self.short}"


class Statement(models.Model):
    """An audit statement; parents that only introduce lettered sub-items are not scored."""

    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="statements")
    ref = models.CharField(max_length=8, unique=True)
    text = models.TextField()
    scored = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.ref} {self.text[:60]}"


class RoundStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class AuditRound(models.Model):
    """One run of the audit (T1, T2, …) over a period, repeated every 6 to 12 months."""

    area = models.ForeignKey(LocalArea, on_delete=models.PROTECT, related_name="audit_rounds")
    label = models.CharField(max_length=AUDIT_ROUND_LABEL_MAX_LENGTH)
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=8, choices=RoundStatus.choices, default=RoundStatus.OPEN)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["area", "period_start", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["area", "label"], name="audit_round_label_in_area"),
            models.CheckConstraint(
                condition=Q(period_start__lte=models.F("period_end")),
                name="audit_round_period_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.period_start:%d %b %Y} to {self.period_end:%d %b %Y})"

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN


class AgencyScore(models.Model):
    """One agency's score for one statement in one round, with its evidence and assurance."""

    round = models.ForeignKey(AuditRound, on_delete=models.CASCADE, related_name="agency_scores")
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(choices=SCORE_CHOICES)
    evidence = models.TextField()
    assurance = models.TextField(blank=True)
    comments = models.TextField(blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    scored_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["round", "statement", "agency"], name="agency_score_once_per_statement"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=MIN_SCORE, score__lte=MAX_SCORE),
                name="agency_score_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} scores {self.statement_id} {self.score} in round {self.round_id}"


class AgreedBasis(models.TextChoices):
    LOWEST = "lowest", "Lowest agency score (the framework's default)"
    AGREED = "agreed", "Agreed by the partnership, with a rationale"


class AgreedScore(models.Model):
    """The partnership's score for a statement in a round.

    It follows the lowest agency score (the framework: "where agencies cannot agree, use the
    lower score") until the partnership agrees a different one, which needs a rationale.
    """

    round = models.ForeignKey(AuditRound, on_delete=models.CASCADE, related_name="agreed_scores")
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(choices=SCORE_CHOICES)
    basis = models.CharField(max_length=8, choices=AgreedBasis.choices, default=AgreedBasis.LOWEST)
    rationale = models.TextField(blank=True)
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agreed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["round", "statement"], name="agreed_score_once_per_statement"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=MIN_SCORE, score__lte=MAX_SCORE),
                name="agreed_score_range",
            ),
            # A score other than the lowest is never recorded without its reason.
            models.CheckConstraint(
                condition=Q(basis=AgreedBasis.LOWEST) | ~Q(rationale=""),
                name="agreed_score_rationale",
            ),
        ]

    def __str__(self) -> str:
        return f"Agreed {self.score} for {self.statement_id} in round {self.round_id}"


class FeedbackGiver(models.TextChoices):
    CHILD = "child", "The child"
    PARENT_CARER = "parent_carer", "A parent or carer"
    FAMILY = "family", "Another family member"


class ProcessAspect(models.TextChoices):
    """The part of the process the feedback is about (statement 3.8: referral and assessment
    processes, reviewed for effect, responsiveness and accessibility)."""

    REFERRAL = "referral", "Referral and the first response"
    ASSESSMENT = "assessment", "Assessment"
    SUPPORT = "support", "Support, planning and review"
    OVERALL = "overall", "The process overall"


class ProcessFeedback(models.Model):
    """What a child or their family said about the process they went through (not their views
    on their own case, which the case record holds): recorded by the case's lead practitioner
    for the partnership's review of its processes (3.8).

    Kept by the partnership, not in the child's record: it is read across cases to review the
    processes; the case it came from is kept so the figure counts it among the period's cases
    and the area wall holds it (a row carries its case's area, as a case does).
    """

    area = models.ForeignKey(LocalArea, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="process_feedback"
    )
    given_by = models.CharField(max_length=16, choices=FeedbackGiver.choices)
    aspect = models.CharField(max_length=16, choices=ProcessAspect.choices)
    feedback = models.TextField()
    # Whether they found the process easy to understand and take part in (None: not said).
    found_accessible = models.BooleanField(null=True, blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        # The figure's sets: the cases with feedback from a child, from a family (3.8).
        indexes = [models.Index(fields=["given_by", "case"], name="process_feedback_giver_idx")]

    def __str__(self) -> str:
        return f"Feedback on {self.aspect} from {self.given_by} (case {self.case_id})"
