"""The Partnership pages: dashboard, drill-down, rounds and a round's page."""

import pytest
from django.urls import reverse

from agencies.roles import Role
from partnership.models import AgencyScore, AgreedScore

from .dataset import PERIOD

pytestmark = pytest.mark.django_db

PERIOD_QUERY = f"date_from={PERIOD[0].isoformat()}&date_to={PERIOD[1].isoformat()}"


@pytest.fixture
def logged_in(client):
    def log_in(user):
        client.force_login(user)
        return client

    return log_in


def test_an_analyst_sees_the_dashboard_suppressed_without_identifiers(dataset, analyst, logged_in):
    response = logged_in(analyst).get(f"{reverse('partnership_app:index')}?{PERIOD_QUERY}")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="figure-education_share"' in html and "54.5%" in html
    assert "&lt;5" in html
    assert 'data-statement="3.5"' in html and 'data-statement="1.2"' in html
    for forbidden in [*dataset.names, *dataset.references]:
        assert forbidden not in html
    # The menu shows the application and its links.
    assert "Audit rounds" in html and "Partnership" in html


def test_the_dashboard_filters_by_the_form(dataset, make_user, logged_in):
    response = logged_in(make_user(Role.TEAM_MANAGER)).get(
        f"{reverse('partnership_app:index')}?{PERIOD_QUERY}&gender=boy&sen=yes"
    )

    assert response.status_code == 200
    assert "gender: Boy; SEN" in response.content.decode()


def test_a_bad_period_is_a_400_with_the_message(dataset, analyst, logged_in):
    response = logged_in(analyst).get(
        f"{reverse('partnership_app:index')}?date_from=2025-06-01&date_to=2025-01-01"
    )

    assert response.status_code == 400
    assert "cannot end before it starts" in response.content.decode()


def test_an_analysts_drill_down_page_lists_pseudonyms(dataset, analyst, logged_in):
    url = reverse("partnership_app:figure_cases", args=["education_share"])

    response = logged_in(analyst).get(f"{url}?part=denominator&{PERIOD_QUERY}")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("Case ") >= 10
    assert "/work/cases/" not in html
    for forbidden in [*dataset.names, *dataset.references, *dataset.dates_of_birth]:
        assert forbidden not in html


def test_a_small_drill_down_is_withheld_on_the_page(dataset, analyst, logged_in):
    url = reverse("partnership_app:figure_cases", args=["re_referrals"])

    html = logged_in(analyst).get(f"{url}?part=numerator&{PERIOD_QUERY}").content.decode()

    assert 'id="withheld"' in html


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMINISTRATOR, Role.DSL, Role.LEAD_PRACTITIONER])
def test_other_roles_are_refused_the_pages(make_user, logged_in, role):
    client = logged_in(make_user(role))

    assert client.get(reverse("partnership_app:index")).status_code == 403
    assert client.get(reverse("partnership_app:rounds")).status_code == 403
    assert "partnership_app" not in client.get(reverse("cases:index")).content.decode()


def test_the_coordinator_opens_a_round_from_the_page(statements, coordinator_user, logged_in):
    client = logged_in(coordinator_user)

    response = client.post(
        reverse("partnership_app:rounds"),
        {"label": "T1", "period_start": "2025-04-01", "period_end": "2025-06-30"},
    )

    assert response.status_code == 302
    assert "T1" in client.get(reverse("partnership_app:rounds")).content.decode()


def test_the_score_form_comes_pre_filled_with_the_live_figures(
    dataset, audit_round, make_user, logged_in
):
    client = logged_in(make_user(Role.TEAM_MANAGER))

    html = client.get(
        reverse("partnership_app:round", args=[audit_round.pk]) + "?score=3.6"
    ).content.decode()

    assert "Referrals from education settings: 6 of 11 referrals of children" in html
    assert html.count('class="radar-series"') == 1


def test_scores_and_agreement_through_the_pages(
    audit_round, statements, make_user, coordinator_user, logged_in
):
    manager = make_user(Role.TEAM_MANAGER)
    url = reverse("partnership_app:round_score", args=[audit_round.pk])
    response = logged_in(manager).post(
        url,
        {
            "score-statement": "3.8",
            "score-agency": manager.agency_id,
            "score-score": "2",
            "score-evidence": "Views recorded in 3 of 10 sampled cases.",
        },
    )
    assert response.status_code == 302
    assert AgencyScore.objects.get(round=audit_round).score == 2

    agreed_url = reverse("partnership_app:round_agreed", args=[audit_round.pk])
    coordinator = logged_in(coordinator_user)
    refused = coordinator.post(agreed_url, {"agreed-statement": "3.8", "agreed-score": "3"})
    accepted = coordinator.post(
        agreed_url,
        {
            "agreed-statement": "3.8",
            "agreed-score": "3",
            "agreed-rationale": "Young people's panel.",
        },
    )

    assert refused.status_code == 400
    assert "record why the partnership agrees 3" in refused.content.decode()
    assert accepted.status_code == 302
    assert AgreedScore.objects.get(round=audit_round).score == 3


def test_the_round_page_compares_and_exports(
    audit_round, statements, coordinator_user, analyst, logged_in
):
    from datetime import date

    from partnership.services import open_audit_round

    later = open_audit_round(
        label="T2",
        period_start=date(2025, 7, 1),
        period_end=date(2025, 12, 31),
        actor=coordinator_user,
    )
    client = logged_in(analyst)

    page = client.get(
        reverse("partnership_app:round", args=[later.pk])
        + f"?compare={audit_round.pk}&view=statements"
    )
    xlsx = client.get(reverse("partnership_app:round_xlsx", args=[later.pk]))
    pdf = client.get(
        reverse("partnership_app:round_pdf", args=[later.pk]) + f"?compare={audit_round.pk}"
    )
    svg = client.get(
        reverse("partnership_app:round_radar", args=[later.pk]) + f"?compare={audit_round.pk}"
    )

    assert page.content.decode().count('class="radar-series"') == 2
    assert 'id="score-form"' not in page.content.decode()  # analysts read, they do not score
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert pdf.content.startswith(b"%PDF")
    assert svg["Content-Type"].startswith("image/svg+xml")
