"""The partnership API's entry point: links to its collections, like the API root."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from cases.selectors import holds_cases


# Out of the schema like config/api_root.py: it holds only links, each of which is documented
# (and checked for every role by the permission matrices) in its own right.
@extend_schema(exclude=True)
@api_view(["GET"])
def partnership_root(request: Request, format: Any = None) -> Response:
    """Entry points of the partnership API: the dashboard, the statements, audit rounds and
    feedback on the process.

    Links only, for any signed-in user: each endpoint applies its own role rule
    (`partnership.permissions`), so a role that may not see the figures gets 403 there; the
    feedback on the process is linked only for the casework roles that may read it.
    """

    def link(name: str) -> str:
        return reverse(f"api:partnership:{name}", request=request, format=format)

    links = {
        "dashboard": link("dashboard"),
        "statements": link("statement-list"),
        "rounds": link("round-list"),
    }
    if holds_cases(request.user):  # a case's own words: the casework roles' only
        links["process_feedback"] = link("process-feedback")
    return Response(links)
