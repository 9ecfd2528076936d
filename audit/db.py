"""Database expressions the audit models need, per backend."""

from typing import Any

from django.db import models


class CurrentTransactionId(models.Func):
    """The inserting transaction's id as bigint (PostgreSQL); NULL elsewhere.

    xid8 from pg_current_xact_id() never wraps around, so ordering by it is safe for the
    life of the cluster. It has no direct cast to bigint, hence the text step.
    """

    output_field = models.BigIntegerField()

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> Any:
        # Params as a list: the schema editor concatenates them with lists.
        return "NULL", []

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return "(pg_current_xact_id()::text::bigint)", []
