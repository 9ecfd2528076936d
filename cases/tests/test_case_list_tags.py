import datetime

import pytest
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import translation

from cases.templatetags.case_list import case_page_url, short_date


@pytest.mark.parametrize("month", range(1, 13))
def test_short_date_reads_as_djangos_date_filter(month):
    day = datetime.date(2026, month, 3 + month)
    with translation.override("en-gb"):
        assert short_date(day) == date_filter(day, "j M Y")


def test_short_date_of_no_date_is_blank():
    assert short_date(None) == ""


@pytest.mark.parametrize("pk", [1, 7, 10, 100, 12345])
def test_case_page_url_is_the_case_pages_url(pk):
    class Row:
        pass

    row = Row()
    row.pk = pk
    assert case_page_url(row) == reverse("cases:case_detail", args=[pk])
