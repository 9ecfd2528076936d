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


# The case table as a template loop wrote it before `case_rows` (same markup, kept here to
# compare with): the rows must not change by a byte.
LOOP_TABLE = """{% load case_list %}<table class="hsb-table" aria-label="Cases">
  <thead><tr><th>Child</th><th>Stage</th><th>Due</th><th>Lead practitioner</th></tr></thead>
  <tbody>
  {% for case in cases %}
    <tr>
      <td><a href="{{ case|case_page_url }}">{{ case.child.full_name }}</a> <span class="hsb-muted">{{ case.child.reference }}</span>{% if case.involvement == "harmed" %} <span class="hsb-badge hsb-badge--harmed">child harmed</span>{% endif %}</td>
      <td>{{ case.current_stage.name }}</td>
      <td>{{ case.stage_due_on|short_date|default:"—" }}{% if case.stage_overdue_since or case.stage_due_on and case.stage_due_on < today %} <span class="hsb-badge hsb-badge--overdue">overdue</span>{% endif %}</td>
      <td>{{ case.lead_practitioner|default:"—" }}</td>
    </tr>
  {% empty %}<tr><td colspan="4">Nothing here.</td></tr>{% endfor %}
  </tbody>
</table>
"""  # noqa: E501


def _cases():
    from agencies.models import User
    from cases.models import Case, Child
    from pathways.models import Stage

    moment = datetime.datetime(2026, 3, 1, 9, 30, tzinfo=datetime.UTC)
    shapes = [
        # (involvement, due on, overdue since, lead's first and last name or None)
        ("harmed", datetime.date(2026, 3, 4), None, ("Ann", "Example")),
        ("displayed", None, None, None),
        ("displayed", datetime.date(2026, 1, 12), moment, ("", "")),  # a lead with no name
        ("harmed", datetime.date(2026, 12, 31), moment, ("Bo <b>", "O'Test & Co")),
    ]
    cases = []
    for number, (involvement, due_on, overdue_since, lead) in enumerate(shapes, start=1):
        case = Case(
            pk=number * 37,
            involvement=involvement,
            stage_due_on=due_on,
            stage_overdue_since=overdue_since,
        )
        case.child = Child(
            first_name=f"Sam{number} <i>", last_name="D'Invented", reference=f"C-{number}&"
        )
        case.current_stage = Stage(name=f"Stage <{number}> & more")
        case.lead_practitioner = (
            None
            if lead is None
            else User(username=f"lead{number}", first_name=lead[0], last_name=lead[1])
        )
        cases.append(case)
    return cases


@pytest.mark.parametrize("count", [0, 1, 4])
@pytest.mark.parametrize("today", [None, datetime.date(2026, 3, 5)])
def test_case_rows_write_the_loops_html(count, today):
    from django.template import Context, Template
    from django.template.loader import get_template

    context = {"cases": _cases()[:count]}
    if today is not None:
        context["today"] = today
    before = Template(LOOP_TABLE).render(Context(context))
    after = get_template("cases/includes/case_table.html").render(context)
    assert after == before
    assert after.count("<td><a href=") == count
