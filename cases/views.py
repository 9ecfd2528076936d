"""Pages of the "My work" application: landing, my tasks, my cases, the case page."""

from collections import Counter
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from agencies.actors import signed_in
from agencies.models import Agency
from agencies.roles import CAN_DESIGNATE_LEAD, Role
from cases.process import engine
from core.errors import DomainError
from core.pagination import (
    MAX_PAGE_SIZE,
    BoundedPage,
    bounded_counts,
    bounded_page,
    positive_int,
    rows_and_count,
)
from pathways.definitions import definition_from_version, route_of
from pathways.graph import layout

from .access.services import can_request_break_glass, can_review_break_glass, can_see_access_log
from .forms import LeadDesignationForm, TransitionForm
from .models import Case, Referral
from .pages import PAGE_SIZE, show_errors, visible_case
from .read_audit import (
    CASE_READ,
    REFERRAL_READ,
    audited_read,
    record_list_read,
    record_read,
    rendered,
)
from .referrals.selectors import referrals_visible_to
from .selectors import (
    active_grants,
    audit_events_visible_to,
    break_glass_reviews_for,
    case_list_shape,
    case_route,
    cases_visible_to,
    holds_cases,
    is_in_role_scope,
    open_cases_in_area_of,
    receives_shared_information,
)
from .services import designate_lead_practitioner


def _bounded_page(request: HttpRequest, queryset: Any) -> BoundedPage:
    """A page of a case list without counting every case (`core.pagination`): `?page=` and
    `?page_size=` (25 by default, at most 100)."""
    return bounded_page(
        queryset,
        number=positive_int(request.GET.get("page"), default=1),
        size=positive_int(request.GET.get("page_size"), default=PAGE_SIZE, maximum=MAX_PAGE_SIZE),
    )


LANDING_COUNT_LIMIT = 100


def _count_shown(count: int, exact: bool) -> str:
    return f"{count:,}" if exact else f"more than {count:,}"


def _require_caseworker(request: HttpRequest) -> None:
    if not holds_cases(request.user):
        raise PermissionDenied


@login_required
def landing(request: HttpRequest) -> HttpResponse:
    """A landing page per role: what this person needs first."""
    user = signed_in(request.user)
    context: dict[str, Any] = {
        "role_label": Role(user.role).label if user.role else "",
        "can_break_glass": can_request_break_glass(user),
        "shared_with_me": receives_shared_information(user),
    }
    if can_review_break_glass(user):
        context["break_glass_pending"] = (
            break_glass_reviews_for(user).filter(reviewed_at__isnull=True).count()
        )
    with audited_read():
        if user.role == Role.DSL:
            # Referrers see their agency's referrals and where each went, not the case file.
            referrals = list(
                referrals_visible_to(user)
                .prefetch_related("cases__current_stage")
                .order_by("-received_at")[:20]
            )
            context["referrals"] = referrals
            record_list_read(
                actor=user,
                action=REFERRAL_READ,
                model=Referral,
                ids=[referral.pk for referral in referrals],
                list="landing",
            )
        elif user.role == Role.ANALYST:
            by_stage = (
                open_cases_in_area_of(user)
                .values("current_stage__name")
                .annotate(n=Count("pk"))
                .order_by("current_stage__name")
            )
            context["stage_counts"] = [
                {
                    "stage": row["current_stage__name"],
                    "count": row["n"] if row["n"] >= 5 else "<5",
                }
                for row in by_stage
            ]
        elif user.role == Role.AUDITOR:
            context["events"] = audit_events_visible_to(user).order_by("-pk")[:25]
        elif user.role == Role.SYSTEM_ADMINISTRATOR:
            context["agencies"] = Agency.objects.order_by("name")
        elif holds_cases(user):
            # Bounded: a front door's area may hold thousands (core.pagination). A headline
            # counts to LANDING_COUNT_LIMIT ("more than 100"); the lists count further. Three
            # counts to 1,000 over a manager's five access paths took 29 of the page's 64 ms
            # at 100,000 cases (benchmarks/lists.py). The first tasks and their count come
            # from one reading of the list.
            context["tasks"], task_count = rows_and_count(
                case_list_shape("tasks", user), 0, 10, LANDING_COUNT_LIMIT
            )
            case_count, overdue_count = bounded_counts(
                case_list_shape("mine", user),
                case_list_shape("overdue", user),
                limit=LANDING_COUNT_LIMIT,
            )
            context["task_count"] = _count_shown(*task_count)
            context["case_count"] = _count_shown(*case_count)
            context["overdue_count"] = _count_shown(*overdue_count)
            record_list_read(
                actor=user,
                action=CASE_READ,
                model=Case,
                ids=[case.pk for case in context["tasks"]],
                list="landing",
            )
        return rendered(TemplateResponse(request, "cases/landing.html", context))


def _audited_case_list(request: HttpRequest, kind: str, **context: Any) -> HttpResponse:
    _require_caseworker(request)
    with audited_read():
        page = _bounded_page(request, case_list_shape(kind, signed_in(request.user)))
        record_list_read(
            actor=request.user,
            action=CASE_READ,
            model=Case,
            ids=[case.pk for case in page.rows],
            list=context.get("list", ""),
        )
        return rendered(
            TemplateResponse(
                request,
                "cases/case_list.html",
                {
                    "page": page,
                    "count": _count_shown(page.count, page.count_exact),
                    "default_size": PAGE_SIZE,
                    **context,
                },
            )
        )


@login_required
def task_inbox(request: HttpRequest) -> HttpResponse:
    return _audited_case_list(request, "tasks", heading="My tasks", inbox=True, list="tasks")


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    return _audited_case_list(request, "mine", heading="My cases", list="cases")


def _case_context(request: HttpRequest, case: Case, **extra: Any) -> dict[str, Any]:
    user = signed_in(request.user)
    route = list(case_route(case))
    # Only the child's own route: a child harmed's page draws no continuum stage.
    definition = route_of(definition_from_version(case.pathway_version), case.involvement)
    taken = Counter(move.transition.key for move in route if move.transition)
    visited = {move.to_stage.key for move in route}
    # Access from a grant is read-only: the page offers nothing the services would refuse.
    by_role = is_in_role_scope(user, case.pk)
    options = engine.transitions_for(case=case, actor=user) if by_role else []
    grant = (
        None if by_role else active_grants(user).filter(case=case).order_by("-expires_at").first()
    )
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
                        # The area's leads, for a move that names one (and only then).
                        area_id=case.area_id if "lead_practitioner" in option.asks else None,
                    ),
                ),
            }
            for option in options
        ],
        "can_designate": by_role and user.role in CAN_DESIGNATE_LEAD and case.closed_at is None,
        "access_grant": grant,
        "can_see_access_log": can_see_access_log(user, case),
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


def case_page(request: HttpRequest, case: Case, *, status: int = 200, **extra: Any) -> HttpResponse:
    """The case page, read and audited as one `case.read` of the case (also when a refused
    form re-renders it: the page shows the record again)."""
    with audited_read():
        response = rendered(
            TemplateResponse(
                request,
                "cases/case_detail.html",
                _case_context(request, case, **extra),
                status=status,
            )
        )
        record_read(actor=request.user, action=CASE_READ, target=case)
    return response


def _workable_case(request: HttpRequest, pk: int) -> Case:
    """A case the user may act on by their role: unseen is 404, read-only access is 403."""
    case = visible_case(request, pk)
    if not is_in_role_scope(request.user, case.pk):
        raise PermissionDenied
    return case


def _back_to_case_or_home(request: HttpRequest, case: Case) -> HttpResponse:
    # A manager who hands a case to another team, or clears a stage escalated to them,
    # may no longer see it: back home rather than to a 404.
    if cases_visible_to(request.user).filter(pk=case.pk).exists():
        return redirect("cases:case_detail", pk=case.pk)
    messages.info(request, f"Case {case.pk} is no longer in your view.")
    return redirect("cases:index")


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    with audited_read():  # the case is fetched in the read's transaction too
        return case_page(request, visible_case(request, pk))


@login_required
@require_POST
def case_transition(request: HttpRequest, pk: int) -> HttpResponse:
    case = _workable_case(request, pk)
    key = request.POST.get("transition_key", "")
    form = TransitionForm(request.POST, prefix=key, area_id=case.area_id)
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
            return _back_to_case_or_home(request, case)
    case = visible_case(request, pk)
    return case_page(request, case, status=status, forms={key: form}, failed_transition=key)


@login_required
@require_POST
def case_designate_lead(request: HttpRequest, pk: int) -> HttpResponse:
    case = _workable_case(request, pk)
    form = LeadDesignationForm(request.POST, area_id=case.pathway_version.pathway.area_id)
    status = 400
    if form.is_valid():
        try:
            designate_lead_practitioner(
                case=case,
                practitioner=form.cleaned_data["practitioner"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            status = error.status_code
            show_errors(form, error)
        else:
            messages.success(request, "Lead practitioner designated.")
            return _back_to_case_or_home(request, case)
    return case_page(request, case, status=status, lead_form=form)
