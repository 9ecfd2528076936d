"""Case record pages: the team around the child, views, sharing decisions, notes, chronology.

The lists and forms show on the case page (`cases.templatetags.case_record`); the forms post
here. Success redirects back to the case page; a refusal re-renders it with the form's
errors and the error's status (400 or 403).
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError

from ..chronology.export import export_chronology
from ..chronology.render import describe_filters
from ..chronology.timeline import child_chronology, clean_kinds
from ..models import Case, TeamMember
from ..pages import show_errors, visible_case
from ..read_audit import CASE_READ, audited_read, record_read, rendered
from ..services import (
    add_case_note,
    add_team_member,
    record_information_sharing_decision,
    record_view,
    remove_team_member,
)
from ..views import case_page
from .forms import (
    CaseNoteForm,
    ChronologyFilterForm,
    RecordedViewForm,
    RemoveTeamMemberForm,
    SharingDecisionForm,
    TeamMemberForm,
)


def _area_id(case: Case) -> int:
    return case.pathway_version.pathway.area_id


def _back_to_case(request: HttpRequest, case: Case, message: str, anchor: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(reverse("cases:case_detail", args=[case.pk]) + f"#{anchor}")


def _case_page_with(
    request: HttpRequest, case: Case, status: int, **record_forms: Any
) -> HttpResponse:
    return case_page(request, case, status=status, record_forms=record_forms)


@login_required
@require_POST
def case_team_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = visible_case(request, pk)
    form = TeamMemberForm(request.POST, area_id=_area_id(case))
    status = 400
    if form.is_valid():
        try:
            add_team_member(
                case=case,
                agency=form.cleaned_data["agency"],
                practitioner=form.cleaned_data["practitioner"],
                role_on_case=form.cleaned_data["role_on_case"],
                actor=request.user,
            )
        except DomainError as error:
            status = error.status_code
            show_errors(form, error)
        else:
            return _back_to_case(
                request, case, "Added to the team around the child.", "team-around-the-child"
            )
    return _case_page_with(request, case, status, team=form)


@login_required
@require_POST
def case_team_remove(request: HttpRequest, pk: int, member_id: int) -> HttpResponse:
    case = visible_case(request, pk)
    member = get_object_or_404(TeamMember.objects.filter(case=case), pk=member_id)
    form = RemoveTeamMemberForm(request.POST, member_id=member.pk)
    status = 400
    if form.is_valid():
        try:
            remove_team_member(
                member=member, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            status = error.status_code
            show_errors(form, error)
        else:
            return _back_to_case(
                request, case, "Removed from the team around the child.", "team-around-the-child"
            )
    return _case_page_with(request, case, status, remove=form, remove_member_id=member.pk)


@login_required
@require_POST
def case_view_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = visible_case(request, pk)
    form = RecordedViewForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            record_view(case=case, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            status = error.status_code
            show_errors(form, error)
        else:
            return _back_to_case(request, case, "View recorded.", "views-of-the-child-and-family")
    return _case_page_with(request, case, status, view=form)


@login_required
@require_POST
def case_sharing_decision_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = visible_case(request, pk)
    form = SharingDecisionForm(request.POST, area_id=_area_id(case))
    status = 400
    if form.is_valid():
        try:
            record_information_sharing_decision(case=case, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            status = error.status_code
            show_errors(form, error)
        else:
            return _back_to_case(
                request,
                case,
                "Information-sharing decision recorded.",
                "information-sharing-decisions",
            )
    return _case_page_with(request, case, status, sharing=form)


@login_required
@require_POST
def case_note_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = visible_case(request, pk)
    form = CaseNoteForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            add_case_note(case=case, text=form.cleaned_data["text"], actor=request.user)
        except DomainError as error:
            status = error.status_code
            show_errors(form, error)
        else:
            return _back_to_case(request, case, "Note added.", "notes")
    return _case_page_with(request, case, status, note=form)


def _filters(form: ChronologyFilterForm) -> dict[str, Any]:
    return {
        "kinds": form.cleaned_data["kinds"] or None,
        "date_from": form.cleaned_data["date_from"],
        "date_to": form.cleaned_data["date_to"],
    }


def _chronology_page(
    request: HttpRequest, case: Case, form: ChronologyFilterForm, status: int
) -> HttpResponse:
    entries = []
    description = ""
    with audited_read():
        if form.is_valid():
            filters = _filters(form)
            entries = child_chronology(child=case.child, user=request.user, **filters)
            description = describe_filters(
                clean_kinds(filters["kinds"]), filters["date_from"], filters["date_to"]
            )
        response = rendered(
            TemplateResponse(
                request,
                "cases/chronology.html",
                {
                    "case": case,
                    "child": case.child,
                    "form": form,
                    "entries": entries,
                    "filters_description": description,
                },
                status=status,
            )
        )
        record_read(
            actor=request.user,
            action=CASE_READ,
            target=case,
            section="chronology",
            cases=sorted({entry.case_id for entry in entries}),
            entries=len(entries),
        )
    return response


@login_required
@require_GET
def case_chronology(request: HttpRequest, pk: int) -> HttpResponse:
    """The child's whole timeline, across every case of theirs the user may see."""
    with audited_read():
        case = visible_case(request, pk)
        form = ChronologyFilterForm(request.GET)
        return _chronology_page(request, case, form, 200 if form.is_valid() else 400)


def _export(request: HttpRequest, pk: int, export_format: str) -> HttpResponse:
    case = visible_case(request, pk)
    form = ChronologyFilterForm(request.GET)
    if not form.is_valid():
        return _chronology_page(request, case, form, 400)
    export = export_chronology(
        child=case.child, user=request.user, export_format=export_format, **_filters(form)
    )
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def case_chronology_csv(request: HttpRequest, pk: int) -> HttpResponse:
    return _export(request, pk, "csv")


@login_required
@require_GET
def case_chronology_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _export(request, pk, "pdf")
