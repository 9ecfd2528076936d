from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse


@extend_schema(exclude=True)
@api_view(["GET"])
def api_root(request: Request, format: Any = None) -> Response:
    """Entry points of the HSB Pathways API."""

    def link(name: str) -> str:
        return reverse(name, request=request, format=format)

    return Response(
        {
            "pathways": link("api:pathways:pathway-list"),
            "cases": link("api:cases:case-list"),
            "assessments": link("api:assessments:assessment-list"),
            "partnership": link("api:partnership:root"),
            "me": link("api:me"),
            "schema": link("api:schema"),
            "docs": link("api:docs"),
        }
    )
