"""Access pages: what was shared with me, break-glass access and its review, and under a case
its access log with the grants of access to it.

The rules are `cases.access` and `cases.selectors`, the same the API asks; a record outside
the user's selector is a 404, a page their role never uses is a 403.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.errors import DomainError

from ..models import AccessGrant, Case, InformationSharingDecision
from ..pages import PAGE_SIZE, show_errors, visible_case
from ..read_audit import (
    CASE_READ,
    SHARING_READ,
    audited_read,
    record_list_read,
    record_read,
    rendered,
)
from ..selectors import (
    break_glass_reviews_for,
    case_access_log,
    case_grants,
    decisions_shared_with,
    receives_shared_information,
)
from .forms import BreakGlassForm, BreakGlassReviewForm, GrantAccessForm, RevokeAccessForm
from .services import (
    can_request_break_glass,
    can_review_break_glass,
    can_see_access_log,
    grant_case_access,
    request_break_glass_access,
    review_break_glass,
    revoke_case_access,
)

# --- shared with me --------------------------------------------------------------------------


def _require_recipient(request: HttpRequest) -> None:
    if not receives_shared_information(request.user):
        raise PermissionDenied


@login_required
def shared_with_me(request: HttpRequest) -> HttpResponse:
    """Information shared with you by decisions to share: not the case file."""
    _require_recipient(request)
    with audited_read():
        page = Paginator(decisions_shared_with(request.user), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        record_list_read(
            actor=request.user,
            action=SHARING_READ,
            model=InformationSharingDecision,
            ids=[decision.pk for decision in page.object_list],
        )
        return rendered(
            TemplateResponse(
                request, "cases/shared_with_me.html", {"page": page, "heading": "Shared with me"}
            )
        )


@login_required
def shared_decision(request: HttpRequest, pk: int) -> HttpResponse:
    _require_recipient(request)
    with audited_read():
        decision = get_object_or_404(decisions_shared_with(request.user), pk=pk)
        response = rendered(
            TemplateResponse(
                request,
                "cases/shared_decision.html",
                {"decision": decision, "heading": "Shared with me"},
            )
        )
        record_read(actor=request.user, action=SHARING_READ, target=decision)
    return response


# --- break glass -----------------------------------------------------------------------------


@login_required
def break_glass(request: HttpRequest) -> HttpResponse:
    """Ask for emergency access to a case you cannot see; granted at once, reviewed later."""
    if not can_request_break_glass(request.user):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = BreakGlassForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                grant = request_break_glass_access(
                    case_id=form.cleaned_data["case"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as error:
                show_errors(form, error)
                status = error.status_code
            else:
                until = timezone.localtime(grant.expires_at)
                messages.success(
                    request,
                    f"Emergency access until {until:%H:%M}. Your team manager will review it.",
                )
                return redirect("cases:case_detail", pk=grant.case_id)
    else:
        form = BreakGlassForm(initial={"case": request.GET.get("case") or None})
    return TemplateResponse(
        request,
        "cases/break_glass.html",
        {"form": form, "heading": "Emergency access (break glass)"},
        status=status,
    )


@login_required
def break_glass_reviews(request: HttpRequest) -> HttpResponse:
    if not can_review_break_glass(request.user):
        raise PermissionDenied
    page = Paginator(break_glass_reviews_for(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return TemplateResponse(
        request,
        "cases/break_glass_reviews.html",
        {"page": page, "heading": "Break-glass reviews"},
    )


@login_required
def break_glass_review(request: HttpRequest, pk: int) -> HttpResponse:
    if not can_review_break_glass(request.user):
        raise PermissionDenied
    review = get_object_or_404(break_glass_reviews_for(request.user), pk=pk)
    status = 200
    form = BreakGlassReviewForm()
    if request.method == "POST":
        form = BreakGlassReviewForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                review_break_glass(review=review, actor=request.user, **form.cleaned_data)
            except DomainError as error:
                show_errors(form, error)
                status = error.status_code
            else:
                messages.success(request, "Review recorded.")
                return redirect("cases:break_glass_reviews")
    return TemplateResponse(
        request,
        "cases/break_glass_review.html",
        {"review": review, "form": form, "heading": "Break-glass review"},
        status=status,
    )


# --- one case: who has looked, and who may -----------------------------------------------------


def _steward_case(request: HttpRequest, pk: int) -> Case:
    case = visible_case(request, pk)  # unseen: 404
    if not can_see_access_log(request.user, case):
        raise PermissionDenied
    return case


def _access_log_page(request: HttpRequest, case: Case, *, status: int = 200, **bound: Any) -> Any:
    with audited_read():
        page = Paginator(case_access_log(case), PAGE_SIZE).get_page(request.GET.get("page"))
        now = timezone.now()
        grants = [
            {
                "grant": grant,
                "active": grant.is_active(now),
                "revoke_form": bound.get("revoke")
                if bound.get("revoke_grant_id") == grant.pk
                else RevokeAccessForm(grant_id=grant.pk),
            }
            for grant in case_grants(case)
        ]
        response = rendered(
            TemplateResponse(
                request,
                "cases/access_log.html",
                {
                    "case": case,
                    "page": page,
                    "grants": grants,
                    "grant_form": bound.get("grant")
                    or GrantAccessForm(area_id=case.pathway_version.pathway.area_id),
                    "heading": f"Access log · case {case.pk}",
                },
                status=status,
            )
        )
        record_read(actor=request.user, action=CASE_READ, target=case, section="access_log")
    return response


@login_required
def case_access_log_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Who has looked at this child's record, newest first, and who has been given access."""
    with audited_read():
        return _access_log_page(request, _steward_case(request, pk))


def _back_to_log(request: HttpRequest, case: Case, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(reverse("cases:case_access_log", args=[case.pk]) + "#access-grants")


@login_required
@require_POST
def case_access_grant_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = _steward_case(request, pk)
    form = GrantAccessForm(request.POST, area_id=case.pathway_version.pathway.area_id)
    status = 400
    if form.is_valid():
        try:
            grant_case_access(case=case, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            show_errors(form, error)
            status = error.status_code
        else:
            return _back_to_log(request, case, "Access granted.")
    return _access_log_page(request, case, status=status, grant=form)


@login_required
@require_POST
def case_access_grant_revoke(request: HttpRequest, pk: int, grant_id: int) -> HttpResponse:
    case = _steward_case(request, pk)
    grant = get_object_or_404(AccessGrant.objects.filter(case=case), pk=grant_id)
    form = RevokeAccessForm(request.POST, grant_id=grant.pk)
    status = 400
    if form.is_valid():
        try:
            revoke_case_access(grant=grant, actor=request.user, reason=form.cleaned_data["reason"])
        except DomainError as error:
            show_errors(form, error)
            status = error.status_code
        else:
            return _back_to_log(request, case, "Access revoked.")
    return _access_log_page(request, case, status=status, revoke=form, revoke_grant_id=grant.pk)
