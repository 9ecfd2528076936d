"""Whether an assessment type and a tool suit this child and this case: the rules' one home.

Hard blocks (the tool cannot be recorded):
  - age_range: the child's age at the assessment's start date is outside the tool's range.
    Tools designed for adolescents are never used with pre-adolescents (HSB framework;
    NICE NG55 1.4.4), so the message says so.
  - youth_justice: a youth-justice tool (AssetPlus) and no youth justice service is involved
    with the child: none is on the team around the child and none made a referral on the
    case. Police involvement alone does not count (most ends without the service).
  - certification: a certification-only tool, and the practitioner holds no current one.
Warnings (allowed with a recorded justification):
  - gender_validation: the tool was validated with other genders than the child's.
  - learning_disability_validation: the child has a learning disability the tool was not
    validated with (statement 3.1: "age, cognitive ability").
  - assessment_type / continuum_level: the catalogue does not list the tool for this kind of
    assessment or for the case's confirmed level.
  - type_level (on request): the assessment type does not suit the case's confirmed
    continuum level (statement 3.5: the right part of the system, the right level).
Order (`tools_for`, the one order the page and the API show): tools that suit the child
first, by fit (the catalogue's age band naming the tool for the child's age, then the case's
level, then the assessment type), then allowed before warning before a certification block
(the right tool for the child leads even when this practitioner may not use it), each with
the reason shown ("AIM Under 12s assessment model: suited to age 11 — ...").
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from agencies.models import AgencyType
from cases.codes import Gender
from cases.models import Case, Referral, TeamMember, age_on
from pathways.continuum import ContinuumLevel

from .models import AgeFit, AssessmentTool, AssessmentType, ToolCertification

PRE_ADOLESCENT_UNDER = 12

# Which continuum levels each assessment type suits: the assessment levels Hackett names for
# each level of the continuum ("A continuum of HSB assessment", Hackett 2019, in the HSB
# framework), inverted; the levels themselves are `ContinuumLevel` (pathways/continuum.py).
# A children's social care assessment suits abusive or violent behaviour, or any level where
# significant harm is suspected.
TYPE_LEVELS: dict[str, tuple[str, ...]] = {
    AssessmentType.SCREENING: (ContinuumLevel.NORMAL, ContinuumLevel.INAPPROPRIATE),
    AssessmentType.BRIEF_ASSESSMENT: (ContinuumLevel.INAPPROPRIATE, ContinuumLevel.PROBLEMATIC),
    AssessmentType.NICE_EARLY_HELP_ASSESSMENT: (
        ContinuumLevel.INAPPROPRIATE,
        ContinuumLevel.PROBLEMATIC,
    ),
    AssessmentType.COMPREHENSIVE_ASSESSMENT: (ContinuumLevel.PROBLEMATIC, ContinuumLevel.ABUSIVE),
    AssessmentType.HSB_FOCUSED_RISK_ASSESSMENT: (ContinuumLevel.ABUSIVE, ContinuumLevel.VIOLENT),
    AssessmentType.SPECIALIST_ASSESSMENT: (ContinuumLevel.VIOLENT,),
    AssessmentType.CSC_ASSESSMENT: (ContinuumLevel.ABUSIVE, ContinuumLevel.VIOLENT),
}
SIGNIFICANT_HARM_TYPES = frozenset({AssessmentType.CSC_ASSESSMENT})

_GENDER_GROUPS = {
    Gender.GIRL: "girls",
    Gender.BOY: "boys",
    Gender.NON_BINARY: "non-binary children",
    Gender.NOT_KNOWN: "children whose gender is not known",
}
_CHILD_GENDER = {
    Gender.GIRL: "this child is a girl",
    Gender.BOY: "this child is a boy",
    Gender.NON_BINARY: "this child is non-binary",
    Gender.NOT_KNOWN: "this child's gender is not known",
}
JUSTIFY_TOOL = "Record why it is still the right tool"


# How much an age band adds to a tool's fit; the case's level and the assessment type add 1
# each, so the guidance's own tool for the child's age leads a tool merely suggested for it.
AGE_FIT_POINTS = {AgeFit.LEAD: 3, AgeFit.CONSIDER: 2}
# Blocks that say the tool does not suit the child (not only this practitioner).
CHILD_BLOCKS = frozenset({"age_range", "youth_justice"})


@dataclass(frozen=True)
class YouthJusticeInvolvement:
    """Whether a youth justice service works with the child on this case, and what shows it:
    its agency on the team around the child, or a referral on the case that it made."""

    on_team: str = ""  # the youth justice agency on the team around the child
    referred_by: str = ""  # the youth justice agency that made a referral on the case
    police_involved: bool = False  # a referral on the case records police involvement

    @property
    def involved(self) -> bool:
        return bool(self.on_team or self.referred_by)


class Verdict(StrEnum):
    ALLOWED = "allowed"
    WARNING = "warning"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str


@dataclass(frozen=True)
class ToolSuitability:
    tool: AssessmentTool
    child_age: int
    blocks: tuple[Finding, ...]
    warnings: tuple[Finding, ...]
    certified: bool
    # The headline shown with the suggestion, and how well the tool suits this child and case
    # (0 when it does not suit the child); `reasons`: what counts for it.
    reason: str = ""
    fit: int = 0
    reasons: tuple[Finding, ...] = ()

    @property
    def suits_child(self) -> bool:
        return not any(finding.rule in CHILD_BLOCKS for finding in self.blocks)

    @property
    def verdict(self) -> Verdict:
        if self.blocks:
            return Verdict.BLOCKED
        return Verdict.WARNING if self.warnings else Verdict.ALLOWED

    @property
    def messages(self) -> list[str]:
        return [finding.message for finding in (*self.blocks, *self.warnings)]

    @property
    def blocked(self) -> bool:
        return bool(self.blocks)


def _join(words: Iterable[str], last: str = "or") -> str:
    items = list(words)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def _in_sentence(label: str) -> str:
    """A type inside a sentence, with its article: "a brief assessment", "a NICE early help
    assessment", "an HSB-focused risk assessment"."""
    text = label if label[:2].isupper() else label[:1].lower() + label[1:]
    article = "an" if text[:1].lower() in "aeiou" or text.startswith("HSB") else "a"
    return f"{article} {text}"


def _level_label(level: str) -> str:
    return str(ContinuumLevel(level).label).lower()


def type_suits_case(assessment_type: str, *, level: str, significant_harm: bool) -> bool:
    """Whether the type suits the case; an unconfirmed level cannot make it unsuitable."""
    if significant_harm and assessment_type in SIGNIFICANT_HARM_TYPES:
        return True
    if not level:
        return True
    return level in TYPE_LEVELS.get(assessment_type, ())


def type_findings(*, assessment_type: str, case: Any) -> list[Finding]:
    """A warning when the type does not suit the case's confirmed continuum level (3.5)."""
    level = case.confirmed_continuum_level
    if type_suits_case(
        assessment_type, level=level, significant_harm=case.significant_harm_suspected
    ):
        return []
    kind = _in_sentence(str(AssessmentType(assessment_type).label))
    suits = _join(_level_label(lvl) for lvl in TYPE_LEVELS[assessment_type])
    if assessment_type in SIGNIFICANT_HARM_TYPES:
        suits += " behaviour, or where significant harm is suspected"
    else:
        suits += " behaviour"
    return [
        Finding(
            "type_level",
            f"{kind[:1].upper()}{kind[1:]} suits {suits}; this case's confirmed continuum "
            f"level is {_level_label(level)}. Record why this is the right level of assessment "
            "(HSB framework audit statement 3.5).",
        )
    ]


def _age_block(tool: AssessmentTool, age: int) -> Finding | None:
    if tool.min_age <= age <= tool.max_age:
        return None
    if age < 0:
        return Finding("age_range", "The child was not yet born on the assessment's start date.")
    message = f"{tool.name} is for ages {tool.age_range}; this child is {age} at assessment."
    if tool.adolescent_only and age < PRE_ADOLESCENT_UNDER:
        message += (
            " Tools designed for adolescents must not be used with pre-adolescents"
            " (HSB framework, NICE NG55)."
        )
    else:
        message += (
            " A tool suits only the ages it was designed and validated for"
            " (HSB framework audit statement 3.1)."
        )
    return Finding("age_range", message)


def _youth_justice_block(
    tool: AssessmentTool, youth_justice: YouthJusticeInvolvement
) -> Finding | None:
    if not tool.requires_youth_justice or youth_justice.involved:
        return None
    if youth_justice.police_involved:
        why = (
            "the police are involved, but no youth justice service is on the team around the "
            "child; add the service to the team if it is working with the child"
        )
    else:
        why = (
            "no youth justice service is on the team around the child and the police are not "
            "involved"
        )
    return Finding(
        "youth_justice",
        f"{tool.name}: only where a youth justice service is involved — not here: {why} "
        "(HSB framework: youth justice assessments such as AssetPlus are completed by youth "
        "justice practitioners).",
    )


def _age_band(tool: AssessmentTool, age: int) -> dict[str, Any] | None:
    """The catalogue's band naming the tool for this age: the best fit when bands overlap."""
    bands = [
        band
        for band in tool.age_bands or []
        if isinstance(band, dict) and band.get("min_age", 0) <= age <= band.get("max_age", -1)
    ]
    if not bands:
        return None
    return max(bands, key=lambda band: AGE_FIT_POINTS.get(band.get("fit", ""), 0))


def _fit(
    tool: AssessmentTool,
    *,
    age: int,
    youth_justice: YouthJusticeInvolvement,
    assessment_type: str,
    continuum_level: str,
) -> tuple[str, int, list[Finding]]:
    """The headline, the fit and the reasons for a tool that suits the child's age."""
    reasons = []
    points = 0
    band = _age_band(tool, age)
    if band is None:
        headline = f"{tool.name}: usable at age {age} (ages {tool.age_range})"
    elif band.get("fit") == AgeFit.LEAD:
        headline = f"{tool.name}: suited to age {age} — {band['guidance']}"
    else:
        headline = f"{tool.name}: may be considered at age {age} — {band['guidance']}"
    if band is not None:
        points += AGE_FIT_POINTS.get(band.get("fit", ""), 0)
        reasons.append(Finding("age_band", headline))
    if tool.requires_youth_justice and youth_justice.involved:
        shown_by = (
            f"{youth_justice.on_team} is on the team around the child"
            if youth_justice.on_team
            else f"{youth_justice.referred_by} made a referral on this case"
        )
        reasons.append(
            Finding("youth_justice", f"A youth justice service is involved: {shown_by}.")
        )
    if continuum_level and continuum_level in (tool.suits_levels or []):
        points += 1
        reasons.append(
            Finding(
                "continuum_level",
                f"Named for {_level_label(continuum_level)} behaviour on the continuum.",
            )
        )
    if assessment_type and assessment_type in (tool.assessment_types or []):
        points += 1
        label = str(AssessmentType(assessment_type).label)
        reasons.append(Finding("assessment_type", f"Listed for {_in_sentence(label)}."))
    return headline, points, reasons


def _certification_block(
    tool: AssessmentTool, certifications: list[ToolCertification], on: date
) -> Finding | None:
    if not tool.certification_required:
        return None
    if any(cert.is_current(on) for cert in certifications):
        return None
    message = f"Only practitioners with a current {tool.name} certification may record {tool.name}"
    expired = [c.expires_on for c in certifications if c.expires_on and c.expires_on < on]
    if expired:
        last = max(expired)
        message += f"; yours expired on {last.day} {last:%B %Y}."
    else:
        message += "; you hold none."
    return Finding("certification", message)


def tool_suitability(
    *,
    tool: AssessmentTool,
    child: Any,
    on: date,
    certifications: list[ToolCertification],
    assessment_type: str = "",
    continuum_level: str = "",
    youth_justice: YouthJusticeInvolvement | None = None,
) -> ToolSuitability:
    """Every rule for one tool, one child, one start date and one practitioner's certifications,
    with the case's youth-justice involvement (none given: none known)."""
    age = age_on(child.date_of_birth, on)
    youth_justice = youth_justice or YouthJusticeInvolvement()
    blocks = [
        finding
        for finding in (
            _age_block(tool, age),
            _youth_justice_block(tool, youth_justice),
            _certification_block(tool, certifications, on),
        )
        if finding is not None
    ]
    warnings = []
    genders = tool.validated_on_genders or []
    if genders and child.gender not in genders:
        validated = _join((_GENDER_GROUPS.get(g, g) for g in genders), "and")
        warnings.append(
            Finding(
                "gender_validation",
                f"{tool.name} was validated with {validated}; "
                f"{_CHILD_GENDER.get(child.gender, 'this child is not')}. {JUSTIFY_TOOL} "
                "(population, HSB framework audit statement 3.1).",
            )
        )
    if child.learning_disability and not tool.validated_with_learning_disability:
        warnings.append(
            Finding(
                "learning_disability_validation",
                f"{tool.name} has not been validated with children who have a learning "
                f"disability, and this child has one. {JUSTIFY_TOOL} (cognitive ability, "
                "HSB framework audit statement 3.1).",
            )
        )
    if assessment_type and assessment_type not in (tool.assessment_types or []):
        label = str(AssessmentType(assessment_type).label)
        warnings.append(
            Finding(
                "assessment_type",
                f"The catalogue does not list {tool.name} for {_in_sentence(label)}. "
                f"{JUSTIFY_TOOL}.",
            )
        )
    if continuum_level and tool.suits_levels and continuum_level not in tool.suits_levels:
        warnings.append(
            Finding(
                "continuum_level",
                f"The catalogue does not list {tool.name} for {_level_label(continuum_level)} "
                f"behaviour on the continuum. {JUSTIFY_TOOL} (HSB framework audit statement 3.5).",
            )
        )
    child_blocks = [finding for finding in blocks if finding.rule in CHILD_BLOCKS]
    reasons: list[Finding] = []
    points = 0
    if child_blocks:
        age_block = next((f for f in child_blocks if f.rule == "age_range"), None)
        headline = (
            f"{tool.name}: for ages {tool.age_range}, not age {age}"
            if age_block is not None and age >= 0
            else child_blocks[0].message
        )
    else:
        headline, points, reasons = _fit(
            tool,
            age=age,
            youth_justice=youth_justice,
            assessment_type=assessment_type,
            continuum_level=continuum_level,
        )
    return ToolSuitability(
        tool=tool,
        child_age=age,
        blocks=tuple(blocks),
        warnings=tuple(warnings),
        certified=any(cert.is_current(on) for cert in certifications),
        reason=headline,
        fit=points,
        reasons=tuple(reasons),
    )


def certifications_of(practitioner: Any) -> dict[int, list[ToolCertification]]:
    """A practitioner's certifications by tool, in one query."""
    by_tool: dict[int, list[ToolCertification]] = {}
    if practitioner is None or not getattr(practitioner, "pk", None):
        return by_tool
    for cert in ToolCertification.objects.filter(practitioner=practitioner):
        by_tool.setdefault(cert.tool_id, []).append(cert)
    return by_tool


def active_tools() -> QuerySet[AssessmentTool]:
    return AssessmentTool.objects.filter(active=True).order_by("position", "name")


def youth_justice_involvement(case: Any) -> YouthJusticeInvolvement:
    """The case's youth-justice involvement, in one query: a youth justice agency on the team
    around the child (still on it), or one that made a referral on the case; and whether any
    referral on the case records police involvement.

    Nothing on the case records youth-justice involvement as such, so it is read from who
    works with the child: the youth justice service joins the team when it does.
    """
    youth_justice = AgencyType.YOUTH_JUSTICE
    on_team = TeamMember.objects.filter(
        case=OuterRef("pk"), left_at__isnull=True, agency__agency_type=youth_justice
    ).order_by("joined_at", "pk")
    # The case's referrals: the one that opened it and any that joined it later.
    referrals = Referral.objects.filter(
        Q(pk=OuterRef("referral_id")) | Q(children__case=OuterRef("pk"))
    )
    row = (
        Case.objects.filter(pk=case.pk)
        .annotate(
            yjs_on_team=Subquery(on_team.values("agency__name")[:1]),
            yjs_referred=Subquery(
                referrals.filter(referring_agency__agency_type=youth_justice).values(
                    "referring_agency__name"
                )[:1]
            ),
            police=Exists(referrals.filter(police_involved=True)),
        )
        .values_list("yjs_on_team", "yjs_referred", "police")
        .first()
    )
    if row is None:
        return YouthJusticeInvolvement()
    return YouthJusticeInvolvement(
        on_team=row[0] or "", referred_by=row[1] or "", police_involved=bool(row[2])
    )


_VERDICT_ORDER = {Verdict.ALLOWED: 0, Verdict.WARNING: 1, Verdict.BLOCKED: 2}


def suggestion_order(judged: ToolSuitability) -> tuple[int, int, int, int, str]:
    """Tools that suit the child first, the best fit first; then allowed, warning, blocked."""
    return (
        0 if judged.suits_child else 1,
        -judged.fit,
        _VERDICT_ORDER[judged.verdict],
        judged.tool.position,
        judged.tool.name,
    )


def tools_for(
    *, case: Any, practitioner: Any, on: date, assessment_type: str = ""
) -> list[ToolSuitability]:
    """Each active tool judged for the case's child, in three queries, ordered as suggestions
    (`suggestion_order`), each with its reason: the one order the page and the API show."""
    certifications = certifications_of(practitioner)
    youth_justice = youth_justice_involvement(case)
    judged = [
        tool_suitability(
            tool=tool,
            child=case.child,
            on=on,
            certifications=certifications.get(tool.pk, []),
            assessment_type=assessment_type,
            continuum_level=case.confirmed_continuum_level,
            youth_justice=youth_justice,
        )
        for tool in active_tools()
    ]
    return sorted(judged, key=suggestion_order)
