"""Filters for a table of cases, called once per row: a page of 100 cases spent more time in
Django's `date` filter (which parses its format on every call) and in `{% url %}` (which
resolves the pattern on every call) than in its queries."""

import datetime
from typing import Any

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.dates import MONTHS_3

register = template.Library()


@register.filter
def short_date(day: datetime.date | None) -> str:
    """`day|date:"j M Y"` (3 Mar 2026) without parsing the format for each row; '' for none."""
    if day is None:
        return ""
    return f"{day.day} {str(MONTHS_3[day.month]).title()} {day.year}"


# The case page's path up to the case's id, per script prefix and URLconf (reverse() reads both).
_CASE_PAGE_PREFIXES: dict[tuple[str, Any], str] = {}


@register.filter
def case_page_url(case: Any) -> str:
    """`{% url 'cases:case_detail' case.pk %}`, the pattern resolved once rather than per row."""
    key = (get_script_prefix(), get_urlconf())
    prefix = _CASE_PAGE_PREFIXES.get(key)
    if prefix is None:
        # The path ends with the id and a slash (cases/<int:pk>/).
        prefix = reverse("cases:case_detail", args=[0]).removesuffix("0/")
        _CASE_PAGE_PREFIXES[key] = prefix
    return f"{prefix}{int(case.pk)}/"
