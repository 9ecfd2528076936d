import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory
from audit.models import AuditEvent
from cases.models import Case, Child, Referral
from cases.tests.factories import ChildFactory

pytestmark = pytest.mark.django_db


def _area_child(**details):
    """A child of the test area (their school is in it): one a referrer there may name."""
    return ChildFactory(school=AgencyFactory(), **details)


NEW = reverse("cases:referral_new")
TODAY = datetime.date.today()


def _born(years: int) -> str:
    return TODAY.replace(year=TODAY.year - years).isoformat()


def _form_data(**overrides):
    received = timezone.localtime() - datetime.timedelta(hours=1)
    data = {
        "received_at": received.strftime("%Y-%m-%dT%H:%M"),
        "source": "2A",
        "channel": "phone",
        "description": "Invented: a teaching assistant saw the behaviour at break time.",
        "immediate_safety_actions": "Children separated; supervision at break.",
        "parents_informed": "yes",
        "police_involved": "no",
        "behaviours-TOTAL_FORMS": "3",
        "behaviours-INITIAL_FORMS": "0",
        "behaviours-MIN_NUM_FORMS": "0",
        "behaviours-MAX_NUM_FORMS": "20",
        "behaviours-0-description": "Invented: touching over clothes in the toilets.",
        "behaviours-0-continuum_level": "problematic",
        "behaviours-0-traffic_light": "amber",
        "behaviours-0-setting": "school",
        "children-TOTAL_FORMS": "2",
        "children-INITIAL_FORMS": "0",
        "children-MIN_NUM_FORMS": "0",
        "children-MAX_NUM_FORMS": "20",
        "children-0-involvement": "displaying_hsb",
        "children-0-first_name": "Leo",
        "children-0-last_name": "Ashdown",
        "children-0-date_of_birth": _born(11),
        "children-0-gender": "boy",
        "children-0-ethnicity": "not_known",
        "children-1-involvement": "harmed",
        "children-1-first_name": "Mia",
        "children-1-last_name": "Kettleby",
        "children-1-date_of_birth": _born(8),
        "children-1-gender": "girl",
        "children-1-ethnicity": "not_known",
    }
    data.update(overrides)
    return data


def _counts():
    return (
        Referral.objects.count(),
        Child.objects.count(),
        Case.objects.count(),
        AuditEvent.objects.count(),
    )


def _errors_near(content: bytes, field_id: str) -> list[str]:
    """The messages rendered next to one input (our field template puts them in `<id>_error`)."""
    match = re.search(
        rf'<ul class="errorlist" id="{field_id}_error">(.*?)</ul>', content.decode(), re.S
    )
    return re.findall(r"<li>(.*?)</li>", match.group(1)) if match else []


@pytest.fixture
def dsl(make_user):
    return make_user(Role.DSL)


def test_the_form_offers_three_behaviour_rows_and_two_child_rows(client, dsl):
    client.force_login(dsl)

    page = client.get(NEW)

    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="behaviours-TOTAL_FORMS" value="3"' in html
    assert 'name="children-TOTAL_FORMS" value="2"' in html
    assert 'name="received_at" value="' in html  # defaults to now
    assert '<option value="2A" selected>' in html  # a school's usual census code
    for section in ("Referral", "Behaviours", "Children involved", "Safety", "Police"):
        assert f"<h2>{section}</h2>" in html
    assert 'name="referring_agency"' not in html  # a DSL refers for their own agency


def test_roles_that_do_not_refer_are_refused_the_form(client, lead_practitioner):
    client.force_login(lead_practitioner)

    assert client.get(NEW).status_code == 403


def test_the_landing_page_links_a_dsl_to_the_form(client, dsl):
    client.force_login(dsl)

    assert f'href="{NEW}"'.encode() in client.get(reverse("cases:index")).content


def test_a_dsl_logs_a_referral_and_sees_each_child_without_the_case_file(
    client, default_version, dsl
):
    client.force_login(dsl)

    response = client.post(NEW, _form_data())

    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("cases:referral_detail", args=[referral.pk])
    assert referral.children.count() == 2
    assert referral.behaviours.count() == 1
    page = client.get(response.url)
    html = page.content.decode()
    assert "Leo Ashdown" in html and "Mia Kettleby" in html
    assert html.count("New case opened") == 2
    assert "Initial decision" in html
    assert "/work/cases/" not in html


def test_the_front_door_sees_links_to_the_cases_on_the_confirmation(
    client, default_version, dsl, front_door
):
    client.force_login(dsl)
    client.post(NEW, _form_data())
    referral = Referral.objects.get()

    client.force_login(front_door)
    html = client.get(reverse("cases:referral_detail", args=[referral.pk])).content.decode()

    for case in Case.objects.filter(referral=referral):
        assert reverse("cases:case_detail", args=[case.pk]) in html


def test_another_agencys_dsl_gets_404_for_the_confirmation(client, default_version, dsl, make_user):
    client.force_login(dsl)
    client.post(NEW, _form_data())
    referral = Referral.objects.get()

    client.force_login(make_user(Role.DSL))

    assert client.get(reverse("cases:referral_detail", args=[referral.pk])).status_code == 404


@pytest.mark.parametrize(
    ("change", "field_id", "message"),
    [
        ({"children-1-date_of_birth": ""}, "id_children-1-date_of_birth",
         "Enter the child&#x27;s date of birth."),
        ({"children-1-date_of_birth": (TODAY + datetime.timedelta(days=2)).isoformat()},
         "id_children-1-date_of_birth", "The date of birth cannot be in the future."),
        ({"children-0-date_of_birth": _born(18)}, "id_children-0-date_of_birth",
         "A child displaying HSB must be under 18 at referral: this child was 18 when the "
         "referral was received. HSB is behaviour of children under 18; a young adult&#x27;s "
         "support is a matter for adult services."),
        ({"behaviours-0-traffic_light": "red"}, "id_behaviours-0-traffic_light",
         "A problematic behaviour cannot be red: on the Brook traffic light it is amber (green: "
         "normal; amber: inappropriate or problematic; red: abusive or violent)."),
        ({"source": "2Z"}, "id_source",
         "Select a valid choice. 2Z is not one of the available choices."),
        ({"behaviours-0-traffic_light": ""}, "id_behaviours-0-traffic_light",
         "Choose a traffic light: green, amber or red."),
        ({"parents_informed": "no"}, "id_parents_not_informed_reason",
         "Say why the parents or carers were not informed."),
    ],
)  # fmt: skip
def test_bad_input_gets_a_message_next_to_the_field_and_nothing_is_written(
    client, default_version, dsl, change, field_id, message
):
    client.force_login(dsl)
    before = _counts()

    response = client.post(NEW, _form_data(**change))

    assert response.status_code == 400
    assert _errors_near(response.content, field_id) == [message]
    assert b"Nothing was saved yet" in response.content
    assert _counts() == before


def test_a_referral_with_no_child_displaying_hsb_says_so_in_the_children_section(
    client, default_version, dsl
):
    client.force_login(dsl)
    before = _counts()

    response = client.post(NEW, _form_data(**{"children-0-involvement": "harmed"}))

    assert response.status_code == 400
    section = re.search(r'id="children-errors">(.*?)</ul>', response.content.decode(), re.S)
    assert section and "Name at least one child displaying HSB." in section.group(1)
    assert _counts() == before


def test_a_likely_duplicate_is_proposed_and_can_be_linked(client, default_version, dsl):
    existing = _area_child(first_name="Mia", last_name="Kettleby", date_of_birth=_born(8))
    client.force_login(dsl)

    proposed = client.post(NEW, _form_data())

    assert proposed.status_code == 400
    html = proposed.content.decode()
    assert 'data-candidates="child-1"' in html
    assert f'name="children-1-decision" value="{existing.pk}"' in html
    assert existing.reference in html
    assert "This is a different child: create a new record." in html
    assert Referral.objects.count() == 0

    linked = client.post(NEW, _form_data(**{"children-1-decision": str(existing.pk)}))

    assert linked.status_code == 302
    link = Referral.objects.get().children.get(involvement="harmed")
    assert link.child == existing


def test_a_referrer_can_say_the_proposed_record_is_a_different_child(client, default_version, dsl):
    existing = _area_child(first_name="Mia", last_name="Kettleby", date_of_birth=_born(8))
    client.force_login(dsl)

    response = client.post(NEW, _form_data(**{"children-1-decision": "new"}))

    assert response.status_code == 302
    assert Referral.objects.get().children.get(involvement="harmed").child != existing


def test_the_duplicate_choice_stays_on_the_page_when_something_else_is_wrong(
    client, default_version, dsl
):
    existing = _area_child(first_name="Mia", last_name="Kettleby", date_of_birth=_born(8))
    client.force_login(dsl)

    response = client.post(
        NEW, _form_data(**{"children-1-decision": str(existing.pk), "description": ""})
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(rf'value="{existing.pk}" checked', html)
    assert _errors_near(response.content, "id_description") == ["Describe the concern."]


def test_add_another_shows_one_more_row_without_judging_the_form(client, default_version, dsl):
    client.force_login(dsl)

    response = client.post(NEW, _form_data(description="", add="behaviour"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="behaviours-TOTAL_FORMS" value="4"' in html
    assert 'name="behaviours-3-continuum_level"' in html
    assert '<ul class="errorlist"' not in html
    assert 'value="Leo"' in html  # what was typed is kept
    assert Referral.objects.count() == 0
    more_children = client.post(NEW, _form_data(add="child"))
    assert 'name="children-2-first_name"' in more_children.content.decode()
