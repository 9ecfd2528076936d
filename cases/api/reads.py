"""DRF list views whose page is read and audited in one transaction."""

from typing import Any

from django.db.models import Model
from rest_framework.request import Request
from rest_framework.response import Response

from cases.models import Case
from cases.read_audit import CASE_READ, audited_read, record_list_read


class AuditedListMixin:
    """A list whose page is read and audited in one transaction: one event naming the ids
    shown, whatever the page size (`cases.read_audit`)."""

    read_action = CASE_READ
    audit_model: type[Model] = Case

    def audit_changes(self) -> dict[str, Any]:
        return {}

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view: Any = self
        with audited_read():
            queryset = view.filter_queryset(view.get_queryset())
            page = view.paginate_queryset(queryset)
            rows = list(queryset) if page is None else page
            data = view.get_serializer(rows, many=True).data
            record_list_read(
                actor=request.user,
                action=self.read_action,
                model=self.audit_model,
                ids=[row.pk for row in rows],
                **self.audit_changes(),
            )
        return Response(data) if page is None else view.get_paginated_response(data)
