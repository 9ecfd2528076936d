"""Writes to assessments: each locks the case, checks permission, validates, writes and audits
in one transaction.

Every assessment write takes the case's lock (`PathwayFlow.lock`), the same lock a stage move
takes, so a route recommended on authorisation is checked against the stage the case is at.
Role rules live in `permissions.py`; suitability rules in `suitability.py`.
"""

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db.models import F
from django.utils import timezone

from agencies.actors import Actor
from agencies.models import User
from agencies.roles import CAN_ASSESS, CAN_REVIEW_ASSESSMENT
from audit.services import record_event
from cases.models import Case
from cases.process.flow import PathwayFlow
from cases.selectors import cases_visible_to
from cases.services import practitioner_problem
from core.limits import SHORT_TEXT_MAX_LENGTH, TEXT_MAX_LENGTH
from core.validation import length_problem, text
from pathways.continuum import ContinuumLevel

from .exceptions import (
    AssessmentNotAtStep,
    AssessmentNotFound,
    InvalidAssessment,
    JustificationRequired,
    LateReasonRequired,
    NotAllowedToAuthorise,
    NotAllowedToRequestAssessment,
    NotTheAssessor,
    SectionsIncomplete,
    ToolNotSuitable,
)
from .models import (
    FURTHER_SECTIONS,
    HOLISTIC_SECTIONS,
    NOT_RECORDED_LABELS,
    NOT_RECORDED_REASONS,
    OPEN_STATUSES,
    SECTIONS,
    Assessment,
    AssessmentContribution,
    AssessmentStatus,
    AssessmentTool,
    AssessmentType,
    RiskLevel,
    ToolCertification,
)
from .permissions import (
    agency_of_case_area,
    can_request_assessment,
    can_see_case,
    is_assessor,
    is_reviewer,
    person_of_case_area,
)
from .selectors import route_options
from .suitability import tool_suitability, type_findings, youth_justice_involvement


def _locked_assessment(assessment: Assessment, actor: Actor) -> Assessment:
    """Re-read the assessment and its case under the case's lock; unseen is a refusal."""
    locked = Assessment.objects.select_related(
        "case__child",
        "case__current_stage",
        "case__lead_practitioner",
        "case__pathway_version__pathway",
        "tool",
        "requested_for",
    ).get(pk=assessment.pk)
    if not can_see_case(actor, locked.case_id):
        # Unseen (another area's, or out of the actor's rule): as if it did not exist.
        raise AssessmentNotFound()
    return locked


def _require_step(assessment: Assessment, *statuses: str, doing: str) -> None:
    if assessment.case.closed_at is not None:
        raise AssessmentNotAtStep(
            f"The case is closed: the assessment can no longer be {doing}.",
            status=assessment.status,
        )
    if assessment.status not in statuses:
        raise AssessmentNotAtStep(
            f"The assessment is {assessment.get_status_display().lower()}: it cannot be "
            f"{doing} now.",
            status=assessment.status,
        )


def _require_assessor(assessment: Assessment, actor: Actor) -> User:
    """The actor, once they are the assessment's assessor (a signed-in user)."""
    if not is_assessor(actor, assessment):
        raise NotTheAssessor(
            "Only the assessor (the practitioner it was requested for, or else the case's "
            "lead practitioner) may complete this assessment."
        )
    return actor


def _require_reviewer(assessment: Assessment, actor: Actor, doing: str) -> User:
    """The actor, once they may review the assessment (a signed-in user)."""
    if is_reviewer(actor, assessment):
        return actor
    if getattr(actor, "role", None) in CAN_REVIEW_ASSESSMENT:
        raise NotAllowedToAuthorise(f"You completed this assessment: another manager {doing} it.")
    raise NotAllowedToAuthorise(f"Only a team manager {doing} an assessment.")


def _route_errors(case: Case, key: str) -> list[str]:
    exits = route_options(case)
    if not key:
        return ["Choose the route the assessment recommends."]
    if key in {transition.key for transition in exits}:
        return []
    stage = case.current_stage.name
    known = ", ".join(transition.key for transition in exits) or "none"
    return [f"'{key}' does not leave the case's current stage '{stage}'; choose one of: {known}."]


# Why each further section is asked for, named in its refusal (HSB framework, domain 3:
# "holistic, child-focussed, multi-agency assessments that examine ... protective factors and
# strengths"; the resilience-based approach puts the young person and family at the centre).
_FURTHER_RULES: dict[str, str] = {
    "strengths_and_protective_factors": (
        "assessments examine the protective factors and strengths that can manage or reduce "
        "the behaviour (HSB framework, domain 3)"
    ),
    "child_views": (
        "assessments are child-focussed, with the child central to the process (HSB "
        "framework, domain 3)"
    ),
    "parents_carers_views": (
        "assessments are child- and family-centred, with the family central to the process "
        "(HSB framework, domain 3)"
    ),
}
# Sections and reasons the service accepts on save: each further section's reason too.
_SAVEABLE: dict[str, str] = {**SECTIONS, **NOT_RECORDED_LABELS}


def _section_errors(assessment: Assessment, doing: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for key in assessment.missing_sections():
        if key in HOLISTIC_SECTIONS:
            errors[key] = [
                f"{HOLISTIC_SECTIONS[key]} must be completed before the assessment is {doing}: "
                "assessments take a holistic view of the child (HSB framework audit statement "
                "3.2)."
            ]
        else:
            errors[key] = [
                f"{FURTHER_SECTIONS[key]} must be recorded before the assessment is {doing}, "
                f"or the reason they are not ({NOT_RECORDED_REASONS[key]}): "
                f"{_FURTHER_RULES[key]}."
            ]
    return errors


def _incomplete_summary(sections: dict[str, list[str]]) -> str:
    return ", ".join(SECTIONS[key] for key in sections)


# --- request ---------------------------------------------------------------------------------


def request_assessment(
    *,
    case: Case | int,
    assessment_type: str,
    actor: Actor,
    requested_for: Any = None,
    notes: str = "",
    type_justification: str = "",
) -> Assessment:
    """Request an assessment of the case's child, due by the case's stage deadline.

    Rules: the actor may work on the case and it is open; a known type, with no other open
    assessment of that type; the assessor (named, or the case's lead) can see the case; a type
    that does not suit the case's confirmed continuum level needs a justification (3.5).
    The case and the assessor (objects or ids) must be ones the actor may see and of the
    case's area: otherwise `AssessmentNotFound`, as for ids that do not exist.
    """
    notes = text(notes)
    type_justification = text(type_justification)
    case_id = getattr(case, "pk", case)
    if not isinstance(case_id, int) or not can_see_case(actor, case_id):
        raise AssessmentNotFound()
    with PathwayFlow.lock(case_id):
        locked = Case.objects.select_related(
            "child", "current_stage", "pathway_version__pathway"
        ).get(pk=case_id)
        if not can_request_assessment(actor, locked):
            if locked.closed_at is not None and can_see_case(actor, locked.pk):
                raise InvalidAssessment("The case is closed: no new assessments.")
            raise NotAllowedToRequestAssessment("You may not request assessments on this case.")
        errors: dict[str, list[str]] = {}
        findings = []
        if assessment_type not in AssessmentType.values:
            errors["assessment_type"] = ["Choose a type of assessment."]
        else:
            if Assessment.objects.filter(
                case=locked, assessment_type=assessment_type, status__in=OPEN_STATUSES
            ).exists():
                errors["assessment_type"] = [
                    f"A {AssessmentType(assessment_type).label} is already open on this case."
                ]
            findings = type_findings(assessment_type=assessment_type, case=locked)
            if findings and not type_justification:
                errors["type_justification"] = [finding.message for finding in findings]
        if requested_for is not None:
            # Named by id: only a practitioner of the case's area exists for this request.
            requested_for = person_of_case_area(locked, requested_for)
            if requested_for is None:
                raise AssessmentNotFound()
            if not requested_for.is_active or requested_for.role not in CAN_ASSESS:
                errors["requested_for"] = [
                    "Choose an active lead practitioner, team manager or HSB coordinator."
                ]
            elif not cases_visible_to(requested_for).filter(pk=locked.pk).exists():
                errors["requested_for"] = [
                    f"{requested_for} cannot see this case: designate them lead practitioner "
                    "or choose a practitioner of the case's area."
                ]
        elif locked.lead_practitioner_id is None:
            errors["requested_for"] = [
                "The case has no lead practitioner: name who will complete the assessment."
            ]
        if problem := length_problem(notes, TEXT_MAX_LENGTH):
            errors["notes"] = [problem]
        if problem := length_problem(type_justification, SHORT_TEXT_MAX_LENGTH):
            errors["type_justification"] = [problem]
        if errors:
            only_justification = set(errors) == {"type_justification"}
            raise (JustificationRequired if only_justification else InvalidAssessment)(
                "The assessment type does not suit the case's continuum level: say why it is "
                "the right level."
                if only_justification
                else "The assessment could not be requested.",
                fields=errors,
            )
        assessment = Assessment.objects.create(
            case=locked,
            assessment_type=assessment_type,
            requested_at=timezone.now(),
            requested_by=actor,
            requested_for=requested_for,
            request_notes=notes,
            due_on=locked.stage_due_on,
            type_warnings=[{"rule": f.rule, "message": f.message} for f in findings],
            type_justification=type_justification if findings else "",
        )
        record_event(
            actor=actor,
            action="assessment.requested",
            target=assessment,
            changes={
                "case": locked.pk,
                "assessment_type": assessment_type,
                "requested_for": getattr(requested_for, "pk", None),
                "due_on": locked.stage_due_on.isoformat() if locked.stage_due_on else None,
                "warnings": [f.rule for f in findings],
            },
            reason=assessment.type_justification,
        )
    return assessment


# --- start -----------------------------------------------------------------------------------


def start_assessment(
    *,
    assessment: Assessment,
    tool: AssessmentTool | None,
    actor: Actor,
    justification: str = "",
    started_on: date | None = None,
) -> Assessment:
    """Start the assessment with a tool that suits the child (`suitability.py`).

    Refuses, naming the rule: a child whose age at the start date is outside the tool's range
    (adolescent tools never with pre-adolescents) or a certification-only tool without a
    current certification; a population mismatch without a recorded justification.
    """
    justification = text(justification)
    with PathwayFlow.lock(assessment.case_id):
        locked = _locked_assessment(assessment, actor)
        assessor = _require_assessor(locked, actor)
        _require_step(locked, AssessmentStatus.REQUESTED, doing="started")
        today = timezone.localdate()
        started_on = started_on or today
        errors: dict[str, list[str]] = {}
        if started_on > today:
            errors["started_on"] = ["The start date cannot be in the future."]
        elif started_on < timezone.localtime(locked.requested_at).date():
            errors["started_on"] = ["The start date cannot be before the request."]
        if tool is None or not tool.active:
            errors["tool"] = ["Choose a tool from the catalogue."]
        if problem := length_problem(justification, SHORT_TEXT_MAX_LENGTH):
            errors["justification"] = [problem]
        if errors:
            raise InvalidAssessment("The assessment could not be started.", fields=errors)
        assert tool is not None  # narrowed by the check above
        judged = tool_suitability(
            tool=tool,
            child=locked.case.child,
            on=started_on,
            certifications=list(ToolCertification.objects.filter(practitioner=assessor, tool=tool)),
            assessment_type=locked.assessment_type,
            continuum_level=locked.case.confirmed_continuum_level,
            youth_justice=youth_justice_involvement(locked.case)
            if tool.requires_youth_justice
            else None,
        )
        if judged.blocks:
            raise ToolNotSuitable(
                " ".join(finding.message for finding in judged.blocks),
                fields={"tool": [finding.message for finding in judged.blocks]},
                rules=[finding.rule for finding in judged.blocks],
            )
        if judged.warnings and not justification:
            raise JustificationRequired(
                f"{tool.name} needs a recorded justification for this child.",
                fields={"justification": [finding.message for finding in judged.warnings]},
                rules=[finding.rule for finding in judged.warnings],
            )
        locked.status = AssessmentStatus.STARTED
        locked.started_at = timezone.now()
        locked.started_by = assessor
        locked.started_on = started_on
        locked.tool = tool
        locked.child_age_at_start = judged.child_age
        locked.tool_warnings = [{"rule": f.rule, "message": f.message} for f in judged.warnings]
        locked.tool_justification = justification if judged.warnings else ""
        locked.save(
            update_fields=[
                "status",
                "started_at",
                "started_by",
                "started_on",
                "tool",
                "child_age_at_start",
                "tool_warnings",
                "tool_justification",
            ]
        )
        record_event(
            actor=actor,
            action="assessment.started",
            target=locked,
            changes={
                "status": [AssessmentStatus.REQUESTED, AssessmentStatus.STARTED],
                "tool": tool.key,
                "child_age_at_start": judged.child_age,
                "warnings": [f.rule for f in judged.warnings],
            },
            reason=locked.tool_justification,
        )
    return locked


# --- content ---------------------------------------------------------------------------------


def save_assessment_sections(
    *, assessment: Assessment, sections: Mapping[str, str], actor: Actor
) -> Assessment:
    """Save some or all of the holistic sections, and the reasons a further section (strengths,
    the child's views, the parents' or carers' views) is not recorded; only the ones given
    change. A further section and its reason are not both kept: the reason answers only for
    a section left empty.
    """
    with PathwayFlow.lock(assessment.case_id):
        locked = _locked_assessment(assessment, actor)
        _require_assessor(locked, actor)
        _require_step(locked, AssessmentStatus.STARTED, doing="edited")
        errors: dict[str, list[str]] = {}
        cleaned: dict[str, str] = {}
        for key, value in sections.items():
            if key not in _SAVEABLE:
                errors[key] = [f"Unknown section; expected one of {', '.join(_SAVEABLE)}."]
            elif value is not None and not isinstance(value, str):
                errors[key] = ["Must be text."]
            else:
                cleaned[key] = text(value)
                limit = TEXT_MAX_LENGTH if key in SECTIONS else SHORT_TEXT_MAX_LENGTH
                if problem := length_problem(cleaned[key], limit):
                    errors[key] = [problem]
        if not sections:
            errors["sections"] = ["Give at least one section."]
        for key, reason in NOT_RECORDED_REASONS.items():
            written = cleaned.get(key, getattr(locked, key))
            why_not = cleaned.get(reason, getattr(locked, reason))
            if written and why_not and reason not in errors:
                errors[reason] = [
                    f"{FURTHER_SECTIONS[key]} are recorded: leave the reason they are not "
                    "empty (a reason answers only for a section left empty)."
                ]
        if errors:
            raise InvalidAssessment("The sections could not be saved.", fields=errors)
        changed = [key for key, value in cleaned.items() if getattr(locked, key) != value]
        for key in changed:
            setattr(locked, key, cleaned[key])
        if changed:
            locked.save(update_fields=changed)
            # The content is sensitive: the audit says which sections changed, not what.
            record_event(
                actor=actor,
                action="assessment.sections_saved",
                target=locked,
                changes={"sections": changed},
            )
    return locked


def add_contribution(
    *,
    assessment: Assessment,
    agency: Any,
    summary: str,
    actor: Actor,
    practitioner: Any = None,
) -> AssessmentContribution:
    """Record another agency's contribution (multi-agency assessment, statement 3.4).

    Rules: the assessment is not yet submitted; the agency belongs to the case's area; a named
    practitioner is active and works for that agency; the summary is said.
    """
    summary = text(summary)
    with PathwayFlow.lock(assessment.case_id):
        locked = _locked_assessment(assessment, actor)
        assessor = _require_assessor(locked, actor)
        _require_step(
            locked, AssessmentStatus.REQUESTED, AssessmentStatus.STARTED, doing="added to"
        )
        errors: dict[str, list[str]] = {}
        # Named by id: another area's agency or practitioner is one that does not exist.
        if agency is not None:
            agency = agency_of_case_area(locked.case, agency)
            if agency is None:
                raise AssessmentNotFound()
        if practitioner is not None:
            practitioner = person_of_case_area(locked.case, practitioner)
            if practitioner is None:
                raise AssessmentNotFound()
        if agency is None:
            errors["agency"] = ["Choose an agency in the case's area."]
        elif practitioner is not None and (problem := practitioner_problem(practitioner, agency)):
            errors["practitioner"] = [problem]
        if not summary:
            errors["summary"] = ["Summarise what the agency contributed."]
        if problem := length_problem(summary, TEXT_MAX_LENGTH):
            errors["summary"] = [problem]
        if errors:
            raise InvalidAssessment("The contribution could not be added.", fields=errors)
        contribution = AssessmentContribution.objects.create(
            assessment=locked,
            agency=agency,
            practitioner=practitioner,
            summary=summary,
            recorded_at=timezone.now(),
            recorded_by=assessor,
        )
        record_event(
            actor=actor,
            action="assessment.contribution_added",
            target=contribution,
            changes={
                "assessment": locked.pk,
                "agency": agency.pk,
                "practitioner": getattr(practitioner, "pk", None),
            },
        )
    return contribution


# --- submit, authorise, return ---------------------------------------------------------------


def _outcome_errors(
    case: Case,
    *,
    confirmed_continuum_level: str,
    risk_level: str,
    recommended_route: str,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if confirmed_continuum_level not in ContinuumLevel.values:
        errors["confirmed_continuum_level"] = ["Confirm the continuum level."]
    if risk_level not in RiskLevel.values:
        errors["risk_level"] = ["Choose low, medium or high."]
    if route := _route_errors(case, recommended_route):
        errors["recommended_route"] = route
    return errors


def submit_assessment(
    *,
    assessment: Assessment,
    actor: Actor,
    confirmed_continuum_level: str,
    risk_level: str,
    needs: str,
    intervention_focus: str,
    recommended_route: str,
    strengths: str = "",
) -> Assessment:
    """Submit the completed assessment with its outcome for a manager's authorisation.

    Rules: harmful behaviours, development, family and environment are all written (3.2);
    the outcome confirms a continuum level and a risk level, says the needs and the
    intervention focus, and recommends a route that leaves the case's current stage.
    """
    needs, strengths = text(needs), text(strengths)
    intervention_focus = text(intervention_focus)
    recommended_route = text(recommended_route)
    with PathwayFlow.lock(assessment.case_id):
        locked = _locked_assessment(assessment, actor)
        assessor = _require_assessor(locked, actor)
        _require_step(locked, AssessmentStatus.STARTED, doing="submitted")
        sections = _section_errors(locked, "submitted")
        errors = _outcome_errors(
            locked.case,
            confirmed_continuum_level=confirmed_continuum_level,
            risk_level=risk_level,
            recommended_route=recommended_route,
        )
        if not needs:
            errors["needs"] = ["Say what the child needs."]
        if not intervention_focus:
            errors["intervention_focus"] = ["Say what the intervention should focus on."]
        for field, value in (
            ("needs", needs),
            ("strengths", strengths),
            ("intervention_focus", intervention_focus),
        ):
            if problem := length_problem(value, TEXT_MAX_LENGTH):
                errors[field] = [problem]
        if sections:
            raise SectionsIncomplete(
                "Complete the holistic sections before submitting (strengths and the child's "
                "and family's views, or the reason they are not recorded): "
                + _incomplete_summary(sections)
                + ".",
                fields={**sections, **errors},
            )
        if errors:
            raise InvalidAssessment("The outcome is incomplete.", fields=errors)
        locked.status = AssessmentStatus.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.submitted_by = assessor
        locked.confirmed_continuum_level = confirmed_continuum_level
        locked.risk_level = risk_level
        locked.needs = needs
        locked.strengths = strengths
        locked.intervention_focus = intervention_focus
        locked.recommended_route = recommended_route
        locked.save(
            update_fields=[
                "status",
                "submitted_at",
                "submitted_by",
                "confirmed_continuum_level",
                "risk_level",
                "needs",
                "strengths",
                "intervention_focus",
                "recommended_route",
            ]
        )
        record_event(
            actor=actor,
            action="assessment.submitted",
            target=locked,
            changes={
                "status": [AssessmentStatus.STARTED, AssessmentStatus.SUBMITTED],
                "confirmed_continuum_level": confirmed_continuum_level,
                "risk_level": risk_level,
                "recommended_route": recommended_route,
            },
        )
    return locked


def authorise_assessment(
    *,
    assessment: Assessment,
    actor: Actor,
    late_reason: str = "",
    confirmed_continuum_level: str = "",
    risk_level: str = "",
    recommended_route: str = "",
) -> Assessment:
    """Authorise a submitted assessment; the case's confirmed continuum level follows it.

    Rules: a team manager who did not complete it; the holistic sections are all written;
    after the due date, a late reason (Working Together: the reason must be recorded); the
    recommended route (the submitted one unless the manager chooses another) still leaves
    the case's current stage. The recommendation is then offered to the lead practitioner.
    """
    late_reason = text(late_reason)
    with PathwayFlow.lock(assessment.case_id):
        locked = _locked_assessment(assessment, actor)
        reviewer = _require_reviewer(locked, actor, "may authorise")
        _require_step(locked, AssessmentStatus.SUBMITTED, doing="authorised")
        level = text(confirmed_continuum_level) or locked.confirmed_continuum_level
        risk = text(risk_level) or locked.risk_level
        route = text(recommended_route) or locked.recommended_route
        sections = _section_errors(locked, "authorised")
        errors = _outcome_errors(
            locked.case, confirmed_continuum_level=level, risk_level=risk, recommended_route=route
        )
        today = timezone.localdate()
        late = locked.due_on is not None and today > locked.due_on
        if late and not late_reason:
            errors["late_reason"] = [
                f"The assessment was due on {locked.due_on:%d %B %Y}: record why it is late."
            ]
        if problem := length_problem(late_reason, SHORT_TEXT_MAX_LENGTH):
            errors["late_reason"] = [problem]
        if sections:
            raise SectionsIncomplete(
                "Every holistic section must be completed before authorisation (strengths and "
                "the child's and family's views, or the reason they are not recorded): "
                + _incomplete_summary(sections)
                + ".",
                fields={**sections, **errors},
            )
        if set(errors) == {"late_reason"}:
            raise LateReasonRequired("A late authorisation needs a reason.", fields=errors)
        if errors:
            raise InvalidAssessment("The assessment could not be authorised.", fields=errors)
        before = {
            "confirmed_continuum_level": locked.confirmed_continuum_level,
            "risk_level": locked.risk_level,
            "recommended_route": locked.recommended_route,
        }
        locked.status = AssessmentStatus.AUTHORISED
        locked.authorised_at = timezone.now()
        locked.authorised_by = reviewer
        locked.late_reason = late_reason if late else ""
        locked.confirmed_continuum_level = level
        locked.risk_level = risk
        locked.recommended_route = route
        locked.save(
            update_fields=[
                "status",
                "authorised_at",
                "authorised_by",
                "late_reason",
                "confirmed_continuum_level",
                "risk_level",
                "recommended_route",
            ]
        )
        after = {"confirmed_continuum_level": level, "risk_level": risk, "recommended_route": route}
        record_event(
            actor=actor,
            action="assessment.authorised",
            target=locked,
            changes={
                "status": [AssessmentStatus.SUBMITTED, AssessmentStatus.AUTHORISED],
                "late": late,
                **after,
                "changed_on_authorisation": [key for key in after if before[key] != after[key]],
            },
            reason=locked.late_reason,
        )
        _confirm_case_level(locked.case, level, actor=actor, assessment=locked)
    return locked


def _confirm_case_level(case: Case, level: str, *, actor: Actor, assessment: Assessment) -> None:
    """The case takes the authorised assessment's continuum level (under the case's lock)."""
    previous = case.confirmed_continuum_level
    if previous == level:
        return
    Case.objects.filter(pk=case.pk).update(
        confirmed_continuum_level=level, lock_version=F("lock_version") + 1
    )
    case.confirmed_continuum_level = level
    case.lock_version += 1
    record_event(
        actor=actor,
        action="case.continuum_level_confirmed",
        target=case,
        changes={"confirmed_continuum_level": [previous, level], "assessment": assessment.pk},
    )


def return_assessment(*, assessment: Assessment, actor: Actor, comments: str) -> Assessment:
    """Return a submitted assessment to its assessor with comments; it is started again."""
    comments = text(comments)
    with PathwayFlow.lock(assessment.case_id):
        locked = _locked_assessment(assessment, actor)
        _require_reviewer(locked, actor, "may return")
        _require_step(locked, AssessmentStatus.SUBMITTED, doing="returned")
        errors: dict[str, list[str]] = {}
        if not comments:
            errors["comments"] = ["Say what needs to change."]
        if problem := length_problem(comments, SHORT_TEXT_MAX_LENGTH):
            errors["comments"] = [problem]
        if errors:
            raise InvalidAssessment("The assessment could not be returned.", fields=errors)
        now = timezone.now()
        entry = {
            "submitted_at": locked.submitted_at.isoformat() if locked.submitted_at else None,
            "submitted_by": locked.submitted_by_id,
            "submitted_by_name": str(locked.submitted_by) if locked.submitted_by_id else "",
            "returned_at": now.isoformat(),
            "returned_by": actor.pk,
            "returned_by_name": str(actor),
            "comments": comments,
        }
        locked.returns = [*locked.returns, entry]
        locked.status = AssessmentStatus.STARTED
        locked.submitted_at = None
        locked.submitted_by = None
        locked.save(update_fields=["returns", "status", "submitted_at", "submitted_by"])
        record_event(
            actor=actor,
            action="assessment.returned",
            target=locked,
            changes={"status": [AssessmentStatus.SUBMITTED, AssessmentStatus.STARTED]},
            reason=comments,
        )
    return locked
