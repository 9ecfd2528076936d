"""Pages of the "Partnership" application: the domain 3 dashboard with its drill-downs, the
audit rounds, a round's page (scores by agency, agreed scores, radar, exports), and where a
case's lead practitioner records feedback on the process from the child and family (3.8).

Forms post to one view per step, each calling one service; a refusal re-renders the page with
the form's errors and the error's status.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from agencies.actors import signed_in
from agencies.models import Agency
from cases.read_audit import CASE_READ, audited_read, record_read
from cases.services import can_work_on_case
from core.errors import DomainError

from .disclosure import show_figures
from .drilldown import drilldown
from .evidence import suggested_evidence
from .exceptions import PartnershipNotFound
from .exports import round_pdf, round_xlsx
from .figures import (
    FIGURES,
    PARTS,
    DashboardQuery,
    cached_dashboard,
    dashboard_query,
    dashboard_scope,
)
from .forms import (
    AgencyScoreForm,
    AgreedScoreForm,
    DashboardFilterForm,
    OpenRoundForm,
    ProcessFeedbackForm,
)
from .models import AuditRound, Statement
from .permissions import (
    area_id_of,
    can_agree_scores,
    can_manage_rounds,
    can_score,
    can_view_audit,
    can_view_dashboard,
    sees_suppressed_figures,
)
from .radar import VIEWS, round_radar
from .selectors import (
    case_process_feedback,
    round_overview,
    rounds_for_area,
    scored_statements,
    visible_case_for_feedback,
)
from .services import (
    close_audit_round,
    open_audit_round,
    record_agency_score,
    record_drilldown_view,
    record_process_feedback,
    set_agreed_score,
)

DOMAIN_TITLES = {
    3: "Domain 3: effective assessment and referral pathways",
    1: "Domain 1: a continuum of responses (data about the children)",
}


def _show_errors(form: forms.Form, error: DomainError) -> None:
    for field, errors in error.fields.items():
        for message in errors:
            form.add_error(field if field in form.fields else None, message)
    if not error.fields:
        form.add_error(None, error.message)


def _dashboard_area(request: HttpRequest) -> int:
    if not can_view_dashboard(request.user):
        raise PermissionDenied
    return int(area_id_of(request.user))  # type: ignore[arg-type]


def _audit_area(request: HttpRequest) -> int:
    if not can_view_audit(request.user):
        raise PermissionDenied
    return int(area_id_of(request.user))  # type: ignore[arg-type]


def _query_from(
    request: HttpRequest, area_id: int
) -> tuple[DashboardQuery, DashboardFilterForm, str]:
    form = DashboardFilterForm(request.GET or None)
    if form.is_bound:
        form.is_valid()
    date_from, date_to = form.period()
    filters = form.filters()
    wanted = dashboard_query(area_id=area_id, date_from=date_from, date_to=date_to, filters=filters)
    query = urlencode(
        {"date_from": date_from.isoformat(), "date_to": date_to.isoformat(), **filters.as_query()}
    )
    return wanted, form, query


def _scope_from(request: HttpRequest, area_id: int) -> tuple[Any, DashboardFilterForm, str]:
    wanted, form, query = _query_from(request, area_id)
    scope = dashboard_scope(
        area_id=area_id,
        date_from=wanted.date_from,
        date_to=wanted.date_to,
        filters=wanted.filters,
        today=wanted.today,
    )
    return scope, form, query


# --- the dashboard ----------------------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Every figure for the chosen period and filters, grouped by the statement it informs."""
    area_id = _dashboard_area(request)
    wanted, form, query = _query_from(request, area_id)
    suppress = sees_suppressed_figures(request.user)
    shown = cached_dashboard(
        wanted,
        view=f"page:{suppress}",
        build=lambda figures: show_figures(figures, suppress=suppress),
    )
    texts = dict(Statement.objects.values_list("ref", "text"))
    groups: list[dict[str, Any]] = []
    for domain in (3, 1):
        statements: dict[str, list[Any]] = {}
        for figure in shown:
            if figure.domain == domain:
                statements.setdefault(figure.statement, []).append(figure)
        groups.append(
            {
                "domain": domain,
                "title": DOMAIN_TITLES[domain],
                "statements": [
                    {
                        "ref": ref,
                        "anchor": f"statement-{ref.replace('.', '-')}",
                        "text": texts.get(ref, ""),
                        "figures": statements[ref],
                    }
                    for ref in sorted(statements)
                ],
            }
        )
    return TemplateResponse(
        request,
        "partnership/dashboard.html",
        {
            "heading": "Partnership dashboard",
            "form": form,
            "groups": groups,
            # The template reads the period and filters, which the query holds.
            "scope": wanted,
            "query": query,
            "suppressed": suppress,
            "status": 400 if form.is_bound and form.errors else 200,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
def figure_cases(request: HttpRequest, key: str) -> HttpResponse:
    """The cases behind a figure: pseudonyms for analysts, references (and links) otherwise."""
    area_id = _dashboard_area(request)
    if key not in FIGURES:
        raise Http404
    scope, _, query = _scope_from(request, area_id)
    part = request.GET.get("part", "numerator")
    cell = request.GET.get("cell", "")[:64]
    if part not in PARTS:
        raise Http404
    try:
        result = drilldown(
            scope=scope,
            key=key,
            part=part,
            cell=cell,
            user=request.user,
            page=request.GET.get("page"),
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(f"{reverse('partnership_app:index')}?{query}")
    if not result.pseudonymised and result.case_ids:
        record_drilldown_view(
            actor=request.user,
            figure=key,
            part=part,
            cell=cell,
            case_ids=result.case_ids,
            filters={
                "from": scope.date_from.isoformat(),
                "to": scope.date_to.isoformat(),
                **scope.filters.as_query(),
            },
        )
    page_query = urlencode({"part": part, "cell": cell}) + "&" + query
    return TemplateResponse(
        request,
        "partnership/figure_cases.html",
        {
            "heading": FIGURES[key].label,
            "result": result,
            "spec": FIGURES[key],
            "scope": scope,
            "query": query,
            "page_query": page_query,
        },
    )


# --- the audit tool ---------------------------------------------------------------------------


@login_required
def round_list(request: HttpRequest) -> HttpResponse:
    area_id = _audit_area(request)
    form = OpenRoundForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not can_manage_rounds(request.user):
            raise PermissionDenied
        status = 400
        if form.is_valid():
            try:
                audit_round = open_audit_round(actor=request.user, **form.cleaned_data)
            except DomainError as error:
                _show_errors(form, error)
                status = error.status_code
            else:
                messages.success(request, f"Round {audit_round.label} opened.")
                return redirect("partnership_app:round", pk=audit_round.pk)
    return TemplateResponse(
        request,
        "partnership/round_list.html",
        {
            "heading": "Framework audit rounds",
            "rounds": rounds_for_area(area_id),
            "form": form,
            "can_manage": can_manage_rounds(request.user),
        },
        status=status,
    )


def _visible_round(request: HttpRequest, pk: int) -> AuditRound:
    return get_object_or_404(rounds_for_area(_audit_area(request)), pk=pk)


def _statement_choices() -> list[tuple[str, str]]:
    return [(s.ref, f"{s.ref} {s.text[:90]}") for s in scored_statements()]


def _known_ref(ref: str | None, statements: list[tuple[str, str]]) -> str:
    refs = [value for value, _ in statements]
    if ref in refs:
        return str(ref)
    return refs[0] if refs else ""


def _score_agencies(request: HttpRequest, area_id: int) -> Any:
    user = signed_in(request.user)
    agencies = Agency.objects.filter(area_id=area_id).order_by("name")
    if can_agree_scores(user):  # the coordinator records for any agency, as at a workshop
        return agencies
    # An account with no agency scores for none.
    return agencies.none() if user.agency_id is None else agencies.filter(pk=user.agency_id)


def _round_page(
    request: HttpRequest,
    audit_round: AuditRound,
    *,
    score_form: AgencyScoreForm | None = None,
    agreed_form: AgreedScoreForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = signed_in(request.user)
    overview = round_overview(audit_round)
    statements = _statement_choices()
    others = list(rounds_for_area(audit_round.area_id).exclude(pk=audit_round.pk))
    compare = next((r for r in others if str(r.pk) == request.GET.get("compare")), None)
    rounds = [audit_round, compare] if compare else [audit_round]
    view = request.GET.get("view", "domains")
    view = view if view in VIEWS else "domains"
    if score_form is None and can_score(user) and audit_round.is_open:
        ref = _known_ref(request.GET.get("score"), statements)
        agencies = _score_agencies(request, audit_round.area_id)
        agency = agencies.filter(pk=user.agency_id).first() or agencies.first()
        row = overview.row(ref)
        existing = row.score_for(agency.pk) if (row and agency) else None
        initial: dict[str, Any] = {"statement": ref, "agency": agency}
        if existing is not None:
            initial.update(
                score=existing.score,
                evidence=existing.evidence,
                assurance=existing.assurance,
                comments=existing.comments,
            )
        elif ref:
            initial["evidence"] = suggested_evidence(audit_round, [ref]).get(ref, "")
        score_form = AgencyScoreForm(initial=initial, statements=statements, agencies=agencies)
    if agreed_form is None and can_agree_scores(user) and audit_round.is_open:
        ref = _known_ref(request.GET.get("agree"), statements)
        row = overview.row(ref)
        agreed_form = AgreedScoreForm(
            initial={
                "statement": ref,
                "score": row.agreed.score if row and row.agreed else (row.lowest if row else None),
                "rationale": row.agreed.rationale if row and row.agreed else "",
            },
            statements=statements,
        )
    return TemplateResponse(
        request,
        "partnership/round_detail.html",
        {
            "heading": f"Framework audit {audit_round.label}",
            "audit_round": audit_round,
            "overview": overview,
            "radar": round_radar(rounds, view),
            "view": view,
            "views": VIEWS,
            "others": others,
            "compare": compare,
            "score_form": score_form,
            "agreed_form": agreed_form,
            "can_manage": can_manage_rounds(user),
            "can_agree": can_agree_scores(user),
            "can_score": can_score(user),
        },
        status=status,
    )


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _round_page(request, _visible_round(request, pk))


@login_required
@require_POST
def round_score(request: HttpRequest, pk: int) -> HttpResponse:
    audit_round = _visible_round(request, pk)
    if not can_score(request.user):
        raise PermissionDenied
    form = AgencyScoreForm(
        request.POST,
        statements=_statement_choices(),
        agencies=_score_agencies(request, audit_round.area_id),
    )
    if not form.is_valid():
        return _round_page(request, audit_round, score_form=form, status=400)
    data = form.cleaned_data
    try:
        record_agency_score(
            audit_round=audit_round,
            statement=Statement.objects.get(ref=data["statement"]),
            agency=data["agency"],
            score=data["score"],
            evidence=data["evidence"],
            assurance=data["assurance"],
            comments=data["comments"],
            actor=request.user,
        )
    except DomainError as error:
        _show_errors(form, error)
        return _round_page(request, audit_round, score_form=form, status=error.status_code)
    messages.success(request, f"{data['agency']}'s score for {data['statement']} recorded.")
    return redirect("partnership_app:round", pk=pk)


@login_required
@require_POST
def round_agreed(request: HttpRequest, pk: int) -> HttpResponse:
    audit_round = _visible_round(request, pk)
    if not can_agree_scores(request.user):
        raise PermissionDenied
    form = AgreedScoreForm(request.POST, statements=_statement_choices())
    if not form.is_valid():
        return _round_page(request, audit_round, agreed_form=form, status=400)
    data = form.cleaned_data
    try:
        set_agreed_score(
            audit_round=audit_round,
            statement=Statement.objects.get(ref=data["statement"]),
            score=data["score"],
            rationale=data["rationale"],
            actor=request.user,
        )
    except DomainError as error:
        _show_errors(form, error)
        return _round_page(request, audit_round, agreed_form=form, status=error.status_code)
    messages.success(request, f"The partnership's score for {data['statement']} is agreed.")
    return redirect("partnership_app:round", pk=pk)


@login_required
@require_POST
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    audit_round = _visible_round(request, pk)
    try:
        close_audit_round(audit_round=audit_round, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Round {audit_round.label} closed.")
    return redirect("partnership_app:round", pk=pk)


@login_required
def round_radar_svg(request: HttpRequest, pk: int) -> HttpResponse:
    audit_round = _visible_round(request, pk)
    rounds = [audit_round]
    compare = request.GET.get("compare")
    if compare and compare.isdigit() and int(compare) != audit_round.pk:
        rounds.append(get_object_or_404(rounds_for_area(audit_round.area_id), pk=int(compare)))
    view = request.GET.get("view", "domains")
    svg = render_to_string("partnership/includes/radar.svg", {"radar": round_radar(rounds, view)})
    return HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")


@login_required
def round_export(request: HttpRequest, pk: int, export_format: str) -> HttpResponse:
    audit_round = _visible_round(request, pk)
    if export_format == "xlsx":
        export = round_xlsx(audit_round)
    else:
        compare = request.GET.get("compare")
        others = (
            list(rounds_for_area(audit_round.area_id).filter(pk=int(compare)))
            if compare and compare.isdigit()
            else []
        )
        export = round_pdf(audit_round, others)
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@login_required
def case_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """A case's feedback on the process, and the form its lead practitioner records it with
    (a page of the case, under "My work": `config/site.py`).

    Any user who may see the case reads it; `record_process_feedback` decides who records.
    """
    user = signed_in(request.user)
    try:
        case = visible_case_for_feedback(user, pk)
    except PartnershipNotFound:
        raise Http404 from None  # a case the user may not see is a 404, as on its own page
    form = ProcessFeedbackForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                record_process_feedback(
                    case=case,
                    given_by=data["given_by"],
                    aspect=data["aspect"],
                    feedback=data["feedback"],
                    found_accessible=data["found_accessible"],
                    actor=user,
                )
            except DomainError as error:
                _show_errors(form, error)
                status = error.status_code
            else:
                messages.success(request, "Feedback on the process recorded.")
                return redirect("cases:case_process_feedback", pk=case.pk)
    with audited_read():  # children's and families' own words: read as the case's record is
        feedback = list(case_process_feedback(case))
        record_read(
            actor=user,
            action=CASE_READ,
            target=case,
            section="process_feedback",
            ids=[row.pk for row in feedback],
        )
    return TemplateResponse(
        request,
        "partnership/case_feedback.html",
        {
            "heading": "Feedback on the process",
            "case": case,
            "feedback": feedback,
            "form": form,
            "can_record": can_work_on_case(user, case),
        },
        status=status,
    )
