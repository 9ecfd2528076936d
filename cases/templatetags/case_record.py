"""The case record on the case page: team, views, sharing decisions and notes, with forms.

An inclusion tag, so the case page's own context (`cases.views._case_context`) stays as it is.
A fixed number of queries: one per list, one for the permission check, one per choice list.
"""

from typing import Any

from django import template

from agencies.actors import Actor
from cases.models import Case
from cases.record.forms import (
    CaseNoteForm,
    RecordedViewForm,
    RemoveTeamMemberForm,
    SharingDecisionForm,
    TeamMemberForm,
)
from cases.selectors import case_notes, case_recorded_views, case_sharing_decisions, case_team
from cases.services import can_work_on_case

register = template.Library()


@register.inclusion_tag("cases/includes/case_record.html", takes_context=True)
def case_record(context: template.Context, case: Case, user: Actor) -> dict[str, Any]:
    # Bound forms with errors, when the case page is re-rendered after a refused post.
    bound: dict[str, Any] = context.get("record_forms") or {}
    area_id = case.pathway_version.pathway.area_id
    can_work = can_work_on_case(user, case)
    team = []
    for member in case_team(case):
        form = None
        if can_work and member.left_at is None:
            if bound.get("remove_member_id") == member.pk:
                form = bound["remove"]
            else:
                form = RemoveTeamMemberForm(member_id=member.pk)
        team.append({"member": member, "remove_form": form})
    open_case = case.closed_at is None
    return {
        "case": case,
        "can_work": can_work,
        "team": team,
        "recorded_views": list(case_recorded_views(case)),
        "sharing_decisions": list(case_sharing_decisions(case)),
        "notes": list(case_notes(case)),
        "team_form": (bound.get("team") or TeamMemberForm(area_id=area_id))
        if can_work and open_case
        else None,
        "view_form": (bound.get("view") or RecordedViewForm()) if can_work else None,
        "sharing_form": (bound.get("sharing") or SharingDecisionForm(area_id=area_id))
        if can_work
        else None,
        "note_form": (bound.get("note") or CaseNoteForm()) if can_work else None,
        "failed": {key for key, form in bound.items() if hasattr(form, "errors") and form.errors},
        "csrf_token": context.get("csrf_token"),
    }
