"""Assessment pages in the "My work" application: request one from the case page, then one
page per assessment with the tool picker, the holistic sections, contributions, submission
and, for team managers, authorisation or return.

Forms post to one view per step, each calling one service. Success redirects back to the
assessment page; a refusal re-renders it with the form's errors and the error's status.
"""

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from agencies.actors import Actor
from cases.models import age_on
from cases.pages import visible_case
from cases.read_audit import ASSESSMENT_READ, CASE_READ, audited_read, record_read, rendered
from core.errors import DomainError
from pathways.continuum import ContinuumLevel

from .forms import (
    AuthoriseAssessmentForm,
    ContributionForm,
    RequestAssessmentForm,
    ReturnAssessmentForm,
    SectionsForm,
    StartAssessmentForm,
    SubmitAssessmentForm,
)
from .models import (
    FURTHER_SECTIONS,
    HOLISTIC_SECTIONS,
    NOT_RECORDED_REASONS,
    SECTIONS,
    Assessment,
    AssessmentContribution,
    AssessmentType,
)
from .permissions import actions_for, can_request_assessment
from .selectors import assessments_visible_to, recommendation_for
from .services import (
    add_contribution,
    authorise_assessment,
    request_assessment,
    return_assessment,
    save_assessment_sections,
    start_assessment,
    submit_assessment,
)
from .suitability import TYPE_LEVELS, tools_for, type_suits_case


def _show_errors(form: forms.Form, error: DomainError) -> None:
    # Messages about fields of another form (a section, when submitting) show above the form.
    for field, errors in error.fields.items():
        for message in errors:
            form.add_error(field if field in form.fields else None, message)
    if not error.fields:
        form.add_error(None, error.message)


def _visible_assessment(request: HttpRequest, pk: int) -> Assessment:
    # An assessment on a case outside the user's selector is a 404, never a 403.
    return get_object_or_404(
        assessments_visible_to(request.user)
        .select_related("case__pathway_version__pathway", "started_by")
        .prefetch_related(
            Prefetch(
                "contributions",
                queryset=AssessmentContribution.objects.select_related(
                    "agency", "practitioner", "recorded_by"
                ),
            )
        ),
        pk=pk,
    )


# --- request ---------------------------------------------------------------------------------


def _type_guide(case: Any) -> list[dict[str, Any]]:
    return [
        {
            "value": value,
            "label": label,
            "levels": ", ".join(str(ContinuumLevel(level).label) for level in TYPE_LEVELS[value]),
            "suits": type_suits_case(
                value,
                level=case.confirmed_continuum_level,
                significant_harm=case.significant_harm_suspected,
            ),
        }
        for value, label in AssessmentType.choices
    ]


@login_required
def assessment_request(request: HttpRequest, case_pk: int) -> HttpResponse:
    """Request an assessment of the case's child; every write goes through the service."""
    case = visible_case(request, case_pk)
    if not can_request_assessment(request.user, case):
        raise PermissionDenied
    area_id = case.pathway_version.pathway.area_id
    status = 200
    if request.method == "POST":
        form = RequestAssessmentForm(request.POST, area_id=area_id)
        status = 400
        if form.is_valid():
            try:
                assessment = request_assessment(
                    case=case,
                    assessment_type=form.cleaned_data["assessment_type"],
                    requested_for=form.cleaned_data["requested_for"],
                    notes=form.cleaned_data["notes"],
                    type_justification=form.cleaned_data["type_justification"],
                    actor=request.user,
                )
            except DomainError as error:
                _show_errors(form, error)
                status = error.status_code
            else:
                messages.success(request, "Assessment requested.")
                return redirect("assessments:assessment_detail", pk=assessment.pk)
    else:
        form = RequestAssessmentForm(area_id=area_id)
    with audited_read():
        response = rendered(
            TemplateResponse(
                request,
                "assessments/assessment_request.html",
                {
                    "case": case,
                    "form": form,
                    "type_guide": _type_guide(case),
                    "heading": "Request an assessment",
                },
                status=status,
            )
        )
        record_read(actor=request.user, action=CASE_READ, target=case, section="assessment_request")
    return response


# --- the assessment page ---------------------------------------------------------------------


def _returns(assessment: Assessment) -> list[dict[str, Any]]:
    return [
        {
            **entry,
            "returned_at": datetime.fromisoformat(entry["returned_at"]),
            "submitted_at": datetime.fromisoformat(entry["submitted_at"])
            if entry.get("submitted_at")
            else None,
        }
        for entry in assessment.returns or []
    ]


def _page(
    request: HttpRequest, assessment: Assessment, *, status: int = 200, **bound: Any
) -> HttpResponse:
    user: Actor = request.user
    case = assessment.case
    today = timezone.localdate()
    actions = actions_for(user, assessment)
    area_id = case.pathway_version.pathway.area_id
    context: dict[str, Any] = {
        "assessment": assessment,
        "case": case,
        "child": case.child,
        "child_age_today": age_on(case.child.date_of_birth, today),
        "actions": actions,
        "overdue": assessment.is_overdue(today),
        "late": assessment.due_on is not None and today > assessment.due_on,
        "recommendation": recommendation_for(assessment),
        "sections": [
            {
                "key": key,
                "label": label,
                "text": getattr(assessment, key),
                "required": key in HOLISTIC_SECTIONS,
                "or_reason": key in FURTHER_SECTIONS,
                "not_recorded_reason": getattr(assessment, NOT_RECORDED_REASONS[key])
                if key in NOT_RECORDED_REASONS
                else "",
            }
            for key, label in SECTIONS.items()
        ],
        "required_sections": list(HOLISTIC_SECTIONS),
        "sections_or_reason": list(FURTHER_SECTIONS),
        "contributions": list(assessment.contributions.all()),
        "returns": _returns(assessment),
        "failed": bound.get("failed", ""),
        "heading": f"{assessment.get_assessment_type_display()} · {case.child.full_name}",
    }
    if "start" in actions:
        context["tools"] = tools_for(
            case=case,
            practitioner=user,
            on=today,
            assessment_type=assessment.assessment_type,
        )
        context["start_form"] = bound.get("start") or StartAssessmentForm()
    if "contributions" in actions:
        context["contribution_form"] = bound.get("contribution") or ContributionForm(
            area_id=area_id
        )
    if "sections" in actions:
        context["sections_form"] = bound.get("sections") or SectionsForm(assessment=assessment)
    if "submit" in actions:
        context["submit_form"] = bound.get("submit") or SubmitAssessmentForm(assessment=assessment)
    if "authorise" in actions:
        context["authorise_form"] = bound.get("authorise") or AuthoriseAssessmentForm(
            assessment=assessment
        )
    if "return" in actions:
        context["return_form"] = bound.get("return") or ReturnAssessmentForm()
    with audited_read():
        response = rendered(
            TemplateResponse(request, "assessments/assessment_detail.html", context, status=status)
        )
        record_read(actor=user, action=ASSESSMENT_READ, target=assessment, case=assessment.case_id)
    return response


@login_required
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    with audited_read():  # the assessment is fetched in the read's transaction too
        return _page(request, _visible_assessment(request, pk))


def _step(
    request: HttpRequest,
    pk: int,
    name: str,
    make_form: Any,
    act: Any,
    done: str,
) -> HttpResponse:
    """Bind the step's form, call its service, and redirect or re-render with the errors."""
    assessment = _visible_assessment(request, pk)
    form = make_form(request.POST, assessment)
    status = 400
    if form.is_valid():
        try:
            act(assessment, form.cleaned_data, request.user)
        except DomainError as error:
            _show_errors(form, error)
            status = error.status_code
        else:
            messages.success(request, done)
            return redirect(
                reverse("assessments:assessment_detail", args=[assessment.pk]) + f"#{name}"
            )
    return _page(
        request, _visible_assessment(request, pk), status=status, failed=name, **{name: form}
    )


@login_required
@require_POST
def assessment_start(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "start",
        lambda data, assessment: StartAssessmentForm(data),
        lambda assessment, values, user: start_assessment(
            assessment=assessment,
            tool=values["tool"],
            started_on=values["started_on"],
            justification=values["justification"],
            actor=user,
        ),
        "Assessment started.",
    )


@login_required
@require_POST
def assessment_sections(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "sections",
        lambda data, assessment: SectionsForm(data, assessment=assessment),
        lambda assessment, values, user: save_assessment_sections(
            assessment=assessment, sections=values, actor=user
        ),
        "Sections saved.",
    )


@login_required
@require_POST
def assessment_contribution_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "contribution",
        lambda data, assessment: ContributionForm(
            data, area_id=assessment.case.pathway_version.pathway.area_id
        ),
        lambda assessment, values, user: add_contribution(
            assessment=assessment,
            agency=values["agency"],
            practitioner=values["practitioner"],
            summary=values["summary"],
            actor=user,
        ),
        "Contribution added.",
    )


@login_required
@require_POST
def assessment_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "submit",
        lambda data, assessment: SubmitAssessmentForm(data, assessment=assessment),
        lambda assessment, values, user: submit_assessment(
            assessment=assessment, actor=user, **values
        ),
        "Assessment submitted for authorisation.",
    )


@login_required
@require_POST
def assessment_authorise(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "authorise",
        lambda data, assessment: AuthoriseAssessmentForm(data, assessment=assessment),
        lambda assessment, values, user: authorise_assessment(
            assessment=assessment, actor=user, **values
        ),
        "Assessment authorised.",
    )


@login_required
@require_POST
def assessment_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "return",
        lambda data, assessment: ReturnAssessmentForm(data),
        lambda assessment, values, user: return_assessment(
            assessment=assessment, comments=values["comments"], actor=user
        ),
        "Assessment returned to the assessor with comments.",
    )
