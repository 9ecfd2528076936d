"""The case lists' pages: numbered, with `next` and `previous` links and a bounded count.

`?page=` (from 1) and `?page_size=` (default 50, at most 100). `count` is exact while
`count_exact` is true; a list with more than 1,000 rows past the page's start says so with
`count_exact: false` (`count` is then that bound) rather than counting every case the user
may see (`core.pagination`). A page past the end answers 404, as DRF's own pages do.
"""

from typing import Any

from rest_framework.exceptions import NotFound
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.pagination import COUNT_LIMIT, MAX_PAGE_SIZE, BoundedPage, bounded_page, positive_int


class BoundedCountPagination(BasePagination):
    page_query_param = "page"
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        self.request = request
        number = positive_int(request.query_params.get(self.page_query_param, 1), default=0)
        if number == 0:
            raise NotFound("Invalid page.")
        size = positive_int(
            request.query_params.get(self.page_size_query_param),
            default=api_settings.PAGE_SIZE or MAX_PAGE_SIZE,
            maximum=self.max_page_size,
        )
        self.page: BoundedPage = bounded_page(queryset, number=number, size=size)
        if not self.page.rows and number > 1:
            raise NotFound("Invalid page.")
        return self.page.rows

    def _link(self, number: int) -> str:
        url = self.request.build_absolute_uri()
        if number == 1:
            return str(remove_query_param(url, self.page_query_param))
        return str(replace_query_param(url, self.page_query_param, number))

    def get_paginated_response(self, data: Any) -> Response:
        page = self.page
        return Response(
            {
                "count": page.count,
                "count_exact": page.count_exact,
                "next": self._link(page.number + 1) if page.has_next else None,
                "previous": self._link(page.number - 1) if page.has_previous else None,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["count", "count_exact", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "description": "Rows in the list; with count_exact false, a lower bound.",
                    "example": 123,
                },
                "count_exact": {
                    "type": "boolean",
                    "description": f"False when the list goes on more than {COUNT_LIMIT} rows "
                    "past this page's start: it was not counted further.",
                },
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "A page number (from 1).",
                "schema": {"type": "integer"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, at most {self.max_page_size}.",
                "schema": {"type": "integer"},
            },
        ]
