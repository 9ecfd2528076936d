"""A partnership analyst's journey: the domain 3 dashboard and its drill-downs, with no child
identifiable anywhere on the pages (names, references, dates of birth, case ids)."""

import re

import pytest
from playwright.sync_api import expect

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory, UserFactory
from partnership.tests.dataset import PERIOD, build_dataset

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"
PSEUDONYM = re.compile(r"Case [0-9A-F]{4}-[0-9A-F]{4}")


def _identifiers(dataset):
    # Case ids only as whole numbers in a case's URL or label: a bare digit would match counts.
    return [*dataset.names, *dataset.references, *dataset.dates_of_birth]


def _assert_nothing_identifying(page, dataset):
    html = page.content()
    text = page.locator("body").inner_text()
    for value in _identifiers(dataset):
        assert value not in html, value
        assert value not in text, value
    for case in dataset.cases.values():
        assert f"/cases/{case.pk}/" not in html
        # "Case 2" would name case 2; "Case 2942-E2F9" is a pseudonym.
        assert not re.search(rf"\b[Cc]ase {case.pk}(?![0-9A-F-])", text)


def test_an_analyst_reads_the_dashboard_and_drill_downs_without_identifying_a_child(
    page, live_server, log_in
):
    area = LocalAreaFactory()
    front_door = UserFactory(role=Role.FRONT_DOOR, agency=AgencyFactory(area=area))
    dataset = build_dataset(actor=front_door, area=area)
    UserFactory(username="analyst.e2e", role=Role.ANALYST, agency=AgencyFactory(area=area))

    log_in("analyst.e2e", PASSWORD)
    page.goto(
        f"{live_server.url}/partnership_app/?date_from={PERIOD[0].isoformat()}"
        f"&date_to={PERIOD[1].isoformat()}"
    )

    expect(page.locator("#figure-education_share [data-share]")).to_have_text("54.5%")
    expect(page.locator("#figure-re_referrals [data-numerator]")).to_have_text("<5")
    expect(page.locator("#figure-re_referrals [data-share]")).to_have_text("—")
    expect(page.locator("#statement-3-5")).to_be_visible()
    _assert_nothing_identifying(page, dataset)

    # A drill-down of ten referrals lists pseudonyms only.
    page.locator("#figure-education_share a[data-drill='denominator']").click()
    page.wait_for_load_state("networkidle")
    rows = page.locator("table[aria-label='Cases'] tbody tr")
    expect(rows).to_have_count(10)
    for label in rows.locator("td:first-child").all_inner_texts():
        assert PSEUDONYM.fullmatch(label.strip()), label
    _assert_nothing_identifying(page, dataset)

    # Every drill-down the dashboard offers, cells included, keeps the children anonymous.
    page.locator("#back-to-dashboard").click()
    expect(page.locator("#figure-education_share")).to_be_visible()
    links = [link.get_attribute("href") for link in page.locator("a[data-drill]").all()]
    assert links, "the dashboard offers drill-downs"
    for href in links:
        page.goto(f"{live_server.url}{href}")
        expect(page.locator("#drilldown")).to_be_visible()
        _assert_nothing_identifying(page, dataset)

    # A cell of fewer than five is neither linked nor listed.
    page.goto(
        f"{live_server.url}/partnership_app/figures/re_referrals/cases/?part=numerator"
        f"&date_from={PERIOD[0].isoformat()}&date_to={PERIOD[1].isoformat()}"
    )
    expect(page.locator("#withheld")).to_be_visible()
    expect(page.locator("table[aria-label='Cases']")).to_have_count(0)
