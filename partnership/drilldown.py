"""The cases behind a figure, one page at a time, as the reader may see them.

Analysts get pseudonyms only (`disclosure.pseudonym`), never the child's reference, name,
date of birth or the case id, and no list at all when it holds fewer than five cases or when
the dashboard withholds its count by secondary suppression (its length would give the
withheld count away). Team managers and HSB coordinators see exact
counts, and for each case that `cases_visible_to` lets them open, the child's reference with
a link to the case; a case outside their own rule is shown by its pseudonym, as to analysts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.urls import reverse

from agencies.actors import Actor
from cases.models import Case
from cases.selectors import cases_visible_to

from .disclosure import WITHHELD, Part, Shown, is_small, pseudonym, show_count, withheld_parts
from .figures import (
    FIGURES,
    DashboardQuery,
    Scope,
    analytic_reads,
    cached_dashboard,
    figure_cases,
)
from .permissions import sees_suppressed_figures

PAGE_SIZE = 25


@dataclass(frozen=True)
class DrillRow:
    label: str
    stage: str
    status: str
    involvement: str
    case_id: int | None = None
    url: str | None = None


@dataclass(frozen=True)
class DrillDown:
    figure_key: str
    figure_label: str
    statement: str
    part: str
    cell: str
    count: Shown
    rows: list[DrillRow]
    withheld: bool
    pseudonymised: bool
    page_number: int
    page_count: int
    # The cases shown by reference (audited as a read of those children's records).
    case_ids: list[int]

    @property
    def has_next(self) -> bool:
        return self.page_number < self.page_count

    @property
    def has_previous(self) -> bool:
        return self.page_number > 1


def drilldown(
    *, scope: Scope, key: str, part: str, cell: str, user: Actor, page: Any = 1
) -> DrillDown:
    """One page of the cases behind a figure's part: the count, the page, and for exact-figure
    roles which of them the user may open."""
    suppress = sees_suppressed_figures(user)
    # Before the reads' transaction, so the cached dashboard can answer (figures.cache).
    on_dashboard = _withheld_on_dashboard(scope) if suppress else frozenset()
    with analytic_reads():
        return _drilldown(
            scope=scope,
            key=key,
            part=part,
            cell=cell,
            user=user,
            page=page,
            suppress=suppress,
            on_dashboard=on_dashboard,
        )


def _withheld_on_dashboard(scope: Scope) -> frozenset[Part]:
    """The parts the analysts' dashboard for this scope withholds (a "[c]" by secondary
    suppression): a list of one would give the count away, so it lists none. From the
    dashboard's cache when the analyst has just seen it."""
    query = DashboardQuery(
        area_id=scope.area_id,
        date_from=scope.date_from,
        date_to=scope.date_to,
        filters=scope.filters,
        today=scope.today,
    )
    return cached_dashboard(query, view="withheld", build=withheld_parts, scope=scope)


def _drilldown(
    *,
    scope: Scope,
    key: str,
    part: str,
    cell: str,
    user: Actor,
    page: Any,
    suppress: bool,
    on_dashboard: frozenset[Part],
) -> DrillDown:
    cases = figure_cases(scope, key, part, cell)
    spec = FIGURES[key]
    related = ["current_stage"] if suppress else ["current_stage", "child"]
    paginator = Paginator(cases.select_related(*related).order_by("pk"), PAGE_SIZE)
    count = paginator.count
    withheld = suppress and (
        is_small(count) or (key, part, cell if part == "cell" else "") in on_dashboard
    )
    shown = Shown(None, WITHHELD, withheld=True) if withheld and not is_small(count) else None
    shown = shown or show_count(count, suppress=suppress)
    rows: list[DrillRow] = []
    case_ids: list[int] = []
    page_obj = paginator.get_page(page)
    if not withheld and count:
        page_cases: list[Case] = list(page_obj.object_list)
        visible: set[int] = set()
        if not suppress:
            visible = set(
                cases_visible_to(user)
                .filter(pk__in=[case.pk for case in page_cases])
                .values_list("pk", flat=True)
            )
            case_ids = [case.pk for case in page_cases if case.pk in visible]
        for case in page_cases:
            common = {
                "stage": case.current_stage.name,
                "status": "Closed" if case.closed_at else "Open",
                "involvement": case.get_involvement_display(),
            }
            if suppress or case.pk not in visible:
                rows.append(DrillRow(label=pseudonym(case.pk), **common))
            else:
                rows.append(
                    DrillRow(
                        label=case.child.reference,
                        case_id=case.pk,
                        url=reverse("cases:case_detail", args=[case.pk]),
                        **common,
                    )
                )
    return DrillDown(
        figure_key=key,
        figure_label=spec.label,
        statement=spec.statement,
        part=part,
        cell=cell,
        count=shown,
        rows=rows,
        withheld=withheld,
        pseudonymised=suppress,
        page_number=page_obj.number,
        page_count=paginator.num_pages,
        case_ids=case_ids,
    )
