import pytest
from django.urls import reverse

from agencies.roles import Role
from cases.models import Case
from cases.tests.factories import open_case

pytestmark = pytest.mark.django_db


def _form(case, key, **fields):
    data = {
        "transition_key": key,
        f"{key}-transition": key,
        f"{key}-expected_version": case.lock_version,
    }
    data.update({f"{key}-{name}": value for name, value in fields.items()})
    return data


def test_the_case_page_offers_the_front_doors_routes(client, default_version, front_door):
    case = open_case(version=default_version, actor=front_door)
    client.force_login(front_door)

    page = client.get(reverse("cases:case_detail", args=[case.pk]))

    assert page.status_code == 200
    assert b"Early help with a lead practitioner" in page.content
    assert b'data-stage="initial_decision"' in page.content  # the route is drawn on the graph


def test_taking_a_transition_from_the_case_page_moves_the_case(
    client, default_version, front_door, lead_practitioner
):
    case = open_case(version=default_version, actor=front_door)
    client.force_login(front_door)

    response = client.post(
        reverse("cases:case_transition", args=[case.pk]),
        _form(
            case,
            "route_to_early_help",
            continuum_level="problematic",
            lead_practitioner=lead_practitioner.pk,
        ),
    )

    assert response.status_code == 302
    saved = Case.objects.get(pk=case.pk)
    assert saved.current_stage.key == "early_help"
    assert saved.lead_practitioner == lead_practitioner


def test_routing_to_early_help_asks_for_the_lead_on_the_same_form(
    client, default_version, front_door, lead_practitioner
):
    case = open_case(version=default_version, actor=front_door)
    client.force_login(front_door)

    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    early_help = page.split('data-transition="route_to_early_help"')[1].split("</details>")[0]
    assert 'name="route_to_early_help-lead_practitioner"' in early_help
    assert f'value="{lead_practitioner.pk}"' in early_help
    assert "Asks for a lead practitioner, designated with the move." in early_help
    panel = page.split('data-transition="refer_to_hsb_panel"')[1].split("</details>")[0]
    assert "lead_practitioner" not in panel

    response = client.post(
        reverse("cases:case_transition", args=[case.pk]),
        _form(case, "route_to_early_help", continuum_level="problematic"),
    )

    assert response.status_code == 400
    assert b"needs a designated lead practitioner: name one with this move." in response.content
    assert Case.objects.get(pk=case.pk).current_stage.key == "initial_decision"


def test_a_child_harmeds_case_page_never_asks_for_a_continuum_level(
    client, default_version, front_door
):
    case = open_case(version=default_version, actor=front_door, involvement="harmed")
    client.force_login(front_door)

    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    next_steps = page.split('id="next-steps"')[1].split('<div class="hsb-card"')[0]

    assert "Support for the child harmed" in next_steps
    assert "Universal advice (normal behaviour)" not in next_steps
    assert "Refer to multi-agency HSB panel" not in next_steps
    assert "Confirmed continuum level" not in next_steps
    # The route drawn on the page is the child's own too.
    assert 'data-stage="harmed_support"' in page
    assert 'data-stage="universal_support"' not in page
    assert "Refer to multi-agency HSB panel" not in page


def test_a_missing_reason_is_shown_on_the_form_with_400(client, default_version, front_door):
    case = open_case(version=default_version, actor=front_door)
    client.force_login(front_door)

    response = client.post(
        reverse("cases:case_transition", args=[case.pk]),
        _form(case, "no_further_action", closure_reason="no_further_action"),
    )

    assert response.status_code == 400
    assert b"A reason is required." in response.content
    assert Case.objects.get(pk=case.pk).current_stage.key == "initial_decision"


def test_a_lead_practitioner_cannot_open_a_case_they_do_not_lead(
    client, default_version, front_door, make_user
):
    case = open_case(version=default_version, actor=front_door)
    client.force_login(make_user(Role.LEAD_PRACTITIONER))

    assert client.get(reverse("cases:case_detail", args=[case.pk])).status_code == 404


@pytest.mark.parametrize(
    ("role", "text"),
    [
        (Role.DSL, b"Referrals from"),
        (Role.FRONT_DOOR, b"My tasks"),
        (Role.ANALYST, b"Open cases by stage"),
        (Role.AUDITOR, b"Latest audit events"),
        (Role.SYSTEM_ADMINISTRATOR, b"Pathway definitions"),
    ],
)
def test_each_role_lands_on_its_own_page(client, make_user, role, text):
    client.force_login(make_user(role))

    page = client.get(reverse("cases:index"))

    assert page.status_code == 200
    assert text in page.content


def test_the_inbox_lists_cases_at_the_users_stage(client, default_version, front_door):
    case = open_case(version=default_version, actor=front_door)
    client.force_login(front_door)

    page = client.get(reverse("cases:tasks"))

    assert case.child.reference.encode() in page.content
