"""Pages of the "My work" application: landing, my tasks, my cases, the case page."""

from collections import Counter
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from agencies.models import Agency
from agencies.roles import Role
from audit.models import AuditEvent
from config.errors import DomainError
from pathways import engine
from pathways.definitions import definition_from_version
from pathways.graph import layout

from .forms import LeadDesignationForm, TransitionForm
from .models import Case, Referral
from .selectors import case_route, cases_visible_to, my_cases, stage_tasks_for
from .services import DESIGNATING_ROLES, designate_lead_practitioner

PAGE_SIZE = 25


def _page(request: HttpRequest, queryset: Any) -> Any:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def landing(request: HttpRequest) -> HttpResponse:
    """A landing page per role: what this person needs first."""
    user: Any = request.user
    context: dict[str, Any] = {"role_label": Role(user.role).label if user.role else ""}
    if user.role == Role.DSL:
        # Referrers see their agency's referrals and where each went, not the case file.
        context["referrals"] = (
            Referral.objects.filter(referring_agency_id=user.agency_id)
            .prefetch_related("cases__current_stage")
            .order_by("-received_at")[:20]
        )
    elif user.role in (Role.ANALYST,):
        by_stage = (
            Case.objects.filter(closed_at__isnull=True)
            .values("current_stage__name")
            .annotate(n=Count("pk"))
            .order_by("current_stage__name")
        )
        context["stage_counts"] = [
            {"stage": row["current_stage__name"], "count": row["n"] if row["n"] >= 5 else "<5"}
            for row in by_stage
        ]
    elif user.role == Role.AUDITOR:
        context["events"] = AuditEvent.objects.select_related("actor").order_by("-pk")[:25]
    elif user.role == Role.SYSTEM_ADMINISTRATOR:
        context["agencies"] = Agency.objects.order_by("name")
    else:
        tasks = stage_tasks_for(user)
        context["tasks"] = tasks[:10]
        context["task_count"] = tasks.count()
        context["case_count"] = my_cases(user).count()
        context["overdue_count"] = tasks.filter(stage_due_on__lt=timezone.localdate()).count()
    return TemplateResponse(request, "work/landing.html", context)


@login_required
def task_inbox(request: HttpRequest) -> HttpResponse:
    page = _page(request, stage_tasks_for(request.user))
    return TemplateResponse(
        request, "work/case_list.html", {"page": page, "heading": "My tasks", "inbox": True}
    )


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    page = _page(request, my_cases(request.user))
    return TemplateResponse(request, "work/case_list.html", {"page": page, "heading": "My cases"})


def _case_context(request: HttpRequest, case: Case, **extra: Any) -> dict[str, Any]:
    user: Any = request.user
    route = list(case_route(case))
    definition = definition_from_version(case.pathway_version)
    taken = Counter(move.transition.key for move in route if move.transition)
    visited = {move.to_stage.key for move in route}
    options = engine.transitions_for(case=case, actor=user) if not extra.get("closed") else []
    forms = extra.pop("forms", {})
    context = {
        "case": case,
        "route": route,
        "graph": layout(definition, visited=visited, current=case.current_stage.key, taken=taken),
        "route_mode": True,
        "title": f"{definition.name} v{case.pathway_version.number}",
        "options": [
            {
                "option": option,
                "form": forms.get(
                    option.transition.key,
                    TransitionForm(
                        initial={
                            "transition": option.transition.key,
                            "expected_version": case.lock_version,
                        },
                        prefix=option.transition.key,
                    ),
                ),
            }
            for option in options
        ],
        "can_designate": user.role in DESIGNATING_ROLES and case.closed_at is None,
        "lead_form": extra.pop("lead_form", None)
        or LeadDesignationForm(area_id=case.pathway_version.pathway.area_id),
        "designations": case.lead_designations.select_related("practitioner", "designated_by"),
        # Only linked cases the user may see are named: no leaking of the other child's file.
        "linked_cases": cases_visible_to(user).filter(linked_cases=case).order_by("pk"),
        "previous_episode": cases_visible_to(user).filter(pk=case.previous_episode_id).first()
        if case.previous_episode_id
        else None,
        "today": timezone.localdate(),
    }
    context.update(extra)
    return context


def _visible_case(request: HttpRequest, pk: int) -> Case:
    # A case outside the user's selector is a 404, never a 403: no leaking of existence.
    return get_object_or_404(cases_visible_to(request.user), pk=pk)


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    return TemplateResponse(request, "work/case_detail.html", _case_context(request, case))


@login_required
@require_POST
def case_transition(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    key = request.POST.get("transition_key", "")
    form = TransitionForm(request.POST, prefix=key)
    status = 400
    if form.is_valid():
        try:
            engine.take_transition(
                case=case,
                transition=form.cleaned_data["transition"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
                data=form.transition_data(),
                expected_version=form.cleaned_data["expected_version"],
            )
        except DomainError as error:
            status = error.status_code
            for field, errors in error.fields.items():
                if field in form.fields:
                    for message in errors:
                        form.add_error(field, message)
            form.add_error(None, error.message)
        else:
            messages.success(request, "The case has moved on.")
            return redirect("work:case_detail", pk=case.pk)
    case = _visible_case(request, pk)
    return TemplateResponse(
        request,
        "work/case_detail.html",
        _case_context(request, case, forms={key: form}, failed_transition=key),
        status=status,
    )


@login_required
@require_POST
def case_designate_lead(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    form = LeadDesignationForm(request.POST, area_id=case.pathway_version.pathway.area_id)
    if form.is_valid():
        try:
            designate_lead_practitioner(
                case=case,
                practitioner=form.cleaned_data["practitioner"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            for field, errors in error.fields.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
            if not error.fields:
                form.add_error(None, error.message)
        else:
            messages.success(request, "Lead practitioner designated.")
            return redirect("work:case_detail", pk=case.pk)
    return TemplateResponse(
        request,
        "work/case_detail.html",
        _case_context(request, case, lead_form=form),
        status=400,
    )
