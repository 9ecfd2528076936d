"""List filters as django-filter FilterSets: typed, bounded, and refused when malformed.

`DjangoFilterBackend` (the project's default filter backend) applies a view's `filterset_class`
to the queryset the view's selector returns, so a filter only ever narrows what the actor may
see: an id from another area yields no rows, the same answer as an id that does not exist.
A value that does not parse is a 400 naming the parameter (`config/exceptions.py` wraps the
backend's `ValidationError` as `{"code": "invalid", "detail": ..., "fields": {...}}`).
Query parameters no filter declares are ignored, as DRF does.

The filters for ids and booleans below are strict versions of django-filter's own:
`NumberFilter` takes decimals, and its `BooleanFilter` reads any unknown word as "not given".
"""

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django_filters import rest_framework as filters
from rest_framework.fields import BooleanField

from cases.models import Case
from cases.selectors import my_cases


class StrictBooleanField(forms.Field):
    """The words DRF's `BooleanField` takes (`true`/`false`, `1`/`0`, `yes`/`no`, ...); absent,
    empty or `null` is "not given"; anything else is invalid."""

    def to_python(self, value: Any) -> bool | None:
        if isinstance(value, str):
            value = value.lower()
        if value is None or value in BooleanField.NULL_VALUES:
            return None
        if value in BooleanField.TRUE_VALUES:
            return True
        if value in BooleanField.FALSE_VALUES:
            return False
        raise ValidationError("Must be a valid boolean (true or false).", code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    # The plain filter, not `rest_framework.BooleanFilter`: that one's widget reads unknown
    # words as "not given" before the field sees them.
    field_class = StrictBooleanField


class IdFilter(filters.NumberFilter):
    """A whole-number id (django-filter's `NumberFilter` would take `1.5`). Give it the field
    `<fk>__id`: Django reads the `<fk>_id` column without a join, no query is asked to
    validate it (unlike a `ModelChoiceFilter`), and the schema types it as an integer."""

    field_class = forms.IntegerField


class CaseFilter(filters.FilterSet):
    scope = filters.ChoiceFilter(
        choices=[("mine", "only the open cases you work, soonest due first")],
        method="filter_scope",
        help_text="Whose cases.",
    )
    stage = filters.CharFilter(
        field_name="current_stage__key",
        max_length=64,
        help_text="Only cases at the stage with this key.",
    )
    open = BooleanFilter(
        method="filter_open",
        help_text="`true`: only open cases (`false` filters nothing).",
    )

    class Meta:
        model = Case
        fields = ["scope", "stage", "open"]

    def filter_scope(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        # `my_cases` is a narrower selector of the cases the user may see, in its own order.
        # It replaces the queryset, so `scope` is declared first and the filters after it
        # narrow it in turn.
        return my_cases(self.request.user) if value == "mine" else queryset

    def filter_open(self, queryset: QuerySet[Case], name: str, value: bool) -> QuerySet[Case]:
        return queryset.filter(closed_at__isnull=True) if value else queryset
