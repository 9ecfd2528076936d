import datetime

import pytest
from django.template.defaultfilters import date as date_filter
from django.utils import translation

from cases.templatetags.case_list import short_date


@pytest.mark.parametrize("month", range(1, 13))
def test_short_date_reads_as_djangos_date_filter(month):
    day = datetime.date(2026, month, 3 + month)
    with translation.override("en-gb"):
        assert short_date(day) == date_filter(day, "j M Y")


def test_short_date_of_no_date_is_blank():
    assert short_date(None) == ""
