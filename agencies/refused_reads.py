"""Refused reads in the audit trail: a 403 or 404 answered on a case-bearing route.

Someone walking case ids, or probing another area's referrals, leaves a trail of refusals;
without this the trail only shows what was allowed. The event is written here, after the
view has returned, so it is outside (and survives the rollback of) the view's transaction.
It names the actor, the path, the method and the status; never the object, which the actor
was not allowed to learn about.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from audit.services import record_event

# Cases, referrals, children, assessments, access logs and grants, chronology exports, shared
# decisions, break-glass, and the partnership drill-downs to cases: pages and API.
CASE_BEARING = re.compile(
    r"^/(?:"
    r"api/cases/|api/assessments/|api/partnership/dashboard/figures/"
    r"|work/(?:referrals|cases|assessments|access)/|partnership_app/figures/"
    r")"
)
REFUSED = frozenset({403, 404})
PATH_MAX = 500


def is_case_bearing(path: str) -> bool:
    return CASE_BEARING.match(path) is not None


def record_refused_read(*, request: HttpRequest, status: int) -> None:
    user = getattr(request, "user", None)
    actor = user if user is not None and user.is_authenticated else None
    # The event's object is the account that was refused (or an unsaved stand-in for an
    # anonymous caller): the refused object itself stays unnamed.
    target = actor or get_user_model()()
    with transaction.atomic():
        record_event(
            actor=actor,
            action="access.refused",
            target=target,
            changes={"path": request.path[:PATH_MAX], "method": request.method, "status": status},
        )


class RefusedReadMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code in REFUSED and is_case_bearing(request.path_info):
            record_refused_read(request=request, status=response.status_code)
        return response
