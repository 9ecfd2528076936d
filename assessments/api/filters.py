"""The assessment list's filters (see `cases.api.filters` for how a FilterSet is applied)."""

from django.db.models import QuerySet
from django_filters import rest_framework as filters

from cases.api.filters import BooleanFilter, IdFilter

from ..models import Assessment, AssessmentStatus
from ..selectors import is_overdue


class AssessmentFilter(filters.FilterSet):
    # An id, not a ModelChoiceFilter: no query to validate it, and a case the user may not
    # see yields no rows, as one that does not exist. `case__id` reads the `case_id` column
    # (no join) and names the primary key, so the schema types it as an integer.
    case = IdFilter(field_name="case__id", help_text="Only this case's assessments.")
    status = filters.ChoiceFilter(
        choices=AssessmentStatus.choices, help_text="Only those at this step."
    )
    overdue = BooleanFilter(
        method="filter_overdue", help_text="Open and past the due date (or not)."
    )

    class Meta:
        model = Assessment
        fields = ["case", "status", "overdue"]

    def filter_overdue(
        self, queryset: QuerySet[Assessment], name: str, value: bool
    ) -> QuerySet[Assessment]:
        late = is_overdue()
        return queryset.filter(late) if value else queryset.exclude(late)
