"""Referral intake pages: the one-page form and the confirmation of what became of each child."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone

from agencies.actors import signed_in
from agencies.roles import CAN_DECIDE_REPEAT_REFERRALS, CAN_LOG_REFERRAL, Role
from core.errors import DomainError, DomainPermissionDenied

from ..models import Child, ReferralChild, RepeatReferralDecision
from ..pages import show_errors
from ..read_audit import (
    CASE_READ,
    CHILD_READ,
    REFERRAL_READ,
    audited_read,
    record_list_read,
    record_read,
    rendered,
)
from ..selectors import cases_visible_to, holds_cases
from .forms import ReferralForms, RepeatDecisionForm
from .selectors import (
    case_referral_pattern,
    is_overdue,
    referrals_visible_to,
    repeat_decision_list_for,
    repeat_decisions_for,
)
from .services import decide_repeat_referral, record_referral, step_ups_open_to

ROW_SECTIONS = ("behaviour", "child")


@login_required
def referral_new(request: HttpRequest) -> HttpResponse:
    """Log a referral; every write goes through `record_referral`."""
    user = signed_in(request.user)
    if user.role not in CAN_LOG_REFERRAL:
        raise PermissionDenied
    status = 200
    if request.method != "POST":
        forms = ReferralForms(user=user)
    elif request.POST.get("add") in ROW_SECTIONS:
        # "Add another" without JavaScript: the same page, one more empty row, no judgement.
        section = "behaviours" if request.POST["add"] == "behaviour" else "children"
        data = ReferralForms.with_added_row(request.POST, section)
        forms = ReferralForms(data, user=user, quiet=True)
    else:
        forms = ReferralForms(request.POST, user=user)
        status = 400
        if forms.is_valid():
            try:
                referral = record_referral(actor=user, **forms.values())
            except DomainPermissionDenied as error:
                raise PermissionDenied(error.message) from error
            except DomainError as error:
                forms.show_error(error)
                status = error.status_code
            else:
                messages.success(request, "Referral received.")
                return redirect("cases:referral_detail", pk=referral.pk)
        forms.propose_again()
    response = TemplateResponse(
        request,
        "cases/referrals/referral_form.html",
        {"forms": forms, "heading": "Log a referral", "is_dsl": user.role == Role.DSL},
        status=status,
    )
    proposed = sorted(
        {
            candidate["id"]
            for form in forms.children.forms
            for candidate in getattr(form, "candidates", [])
        }
    )
    if proposed:
        # Existing children proposed as likely duplicates, with names and dates of birth:
        # a read of their records.
        with audited_read():
            rendered(response)
            record_list_read(
                actor=user,
                action=CHILD_READ,
                model=Child,
                ids=proposed,
                purpose="duplicate_check",
            )
    return response


@login_required
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """What became of each child: the case opened or joined, and where it stands now.

    A referrer sees the stage; a link to the case only appears for someone who may open it.
    """
    links = ReferralChild.objects.select_related("child", "case__current_stage").order_by("pk")
    with audited_read():
        referral = get_object_or_404(
            referrals_visible_to(request.user).prefetch_related(
                Prefetch("children", queryset=links), "behaviours"
            ),
            pk=pk,
        )
        children = list(referral.children.all())
        visible = set(
            cases_visible_to(request.user)
            .filter(pk__in=[link.case_id for link in children])
            .values_list("pk", flat=True)
        )
        rows = [{"link": link, "can_open": link.case_id in visible} for link in children]
        response = rendered(
            TemplateResponse(
                request,
                "cases/referrals/referral_detail.html",
                {"referral": referral, "rows": rows, "heading": f"Referral {referral.pk}"},
            )
        )
        record_read(
            actor=request.user,
            action=REFERRAL_READ,
            target=referral,
            cases=[link.case_id for link in children],
        )
    return response


# --- repeat referrals: the front door's decisions -----------------------------------------------


@login_required
def repeat_decisions(request: HttpRequest) -> HttpResponse:
    """Referrals that joined an open case on the user's cases: those awaiting the front
    door's decision (soonest due first, overdue marked), then the latest decided."""
    user = signed_in(request.user)
    if not holds_cases(user):
        raise PermissionDenied
    today = timezone.localdate()
    with audited_read():
        decisions = repeat_decision_list_for(user)
        undecided = list(decisions.filter(decided_at__isnull=True)[:100])
        decided = list(decisions.filter(decided_at__isnull=False).order_by("-decided_at")[:25])
        response = rendered(
            TemplateResponse(
                request,
                "cases/referrals/repeat_decisions.html",
                {
                    "heading": "Repeat referrals",
                    "undecided": [{"d": d, "overdue": is_overdue(d, today)} for d in undecided],
                    "decided": decided,
                },
            )
        )
        record_list_read(
            actor=user,
            action=REFERRAL_READ,
            model=RepeatReferralDecision,
            ids=[decision.pk for decision in undecided + decided],
            list="repeat_decisions",
        )
    return response


@login_required
def repeat_decision(request: HttpRequest, pk: int) -> HttpResponse:
    """One repeat referral: what it says, the child's pattern of referrals on the case, and
    (to the front door or a team manager, while undecided) the decision form."""
    user = signed_in(request.user)
    if not holds_cases(user):
        raise PermissionDenied
    decision = get_object_or_404(repeat_decisions_for(user), pk=pk)
    case = decision.case
    step_ups = [(t.key, f"{t.name} → {t.to_stage.name}") for t in step_ups_open_to(case, user)]
    status = 200
    form = RepeatDecisionForm(
        initial={"expected_version": case.lock_version}, step_ups=step_ups, area_id=case.area_id
    )
    if request.method == "POST":
        form = RepeatDecisionForm(request.POST, step_ups=step_ups, area_id=case.area_id)
        status = 400
        if form.is_valid():
            try:
                decide_repeat_referral(decision=decision.pk, actor=user, **form.decision())
            except DomainError as error:
                if isinstance(error, DomainPermissionDenied):
                    raise PermissionDenied(error.message) from error
                status = error.status_code
                show_errors(form, error)
                if error.fields:
                    form.add_error(None, error.message)
            else:
                messages.success(request, "Decision recorded.")
                return redirect("cases:repeat_decisions")
        decision = get_object_or_404(repeat_decisions_for(user), pk=pk)
    with audited_read():
        response = rendered(
            TemplateResponse(
                request,
                "cases/referrals/repeat_decision.html",
                {
                    "heading": f"Repeat referral about {case.child.full_name}",
                    "decision": decision,
                    "case": case,
                    "overdue": is_overdue(decision, timezone.localdate()),
                    "pattern": case_referral_pattern(case),
                    "form": form,
                    "can_decide": decision.decided_at is None
                    and user.role in CAN_DECIDE_REPEAT_REFERRALS,
                },
                status=status,
            )
        )
        record_read(
            actor=user,
            action=CASE_READ,
            target=case,
            section="repeat_decision",
            decision=decision.pk,
            referral=decision.referral_id,
        )
    return response
