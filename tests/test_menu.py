"""The work menu offers each page to exactly the roles the page itself lets in."""

import re

import pytest
from django.urls import reverse

from agencies.roles import CAN_LOG_REFERRAL, Role

pytestmark = pytest.mark.django_db

MENU = re.compile(r"<vf-page-menu-navigation.*?</vf-page-menu-navigation>", re.DOTALL)
NEW_REFERRAL = reverse("cases:referral_new")


def _menu_of(client) -> str:
    page = client.get(reverse("cases:index"))
    assert page.status_code == 200
    menus = MENU.findall(page.content.decode())
    assert menus, "the landing page shows the work menu"
    return "".join(menus)


@pytest.mark.parametrize("role", Role.values)
def test_log_a_referral_is_offered_to_exactly_the_roles_intake_lets_refer(client, make_user, role):
    client.force_login(make_user(role))

    offered = f'href="{NEW_REFERRAL}"' in _menu_of(client)
    may_refer = client.get(NEW_REFERRAL).status_code == 200

    assert offered == may_refer == (role in CAN_LOG_REFERRAL)


def test_a_team_manager_who_may_refer_finds_the_form_in_the_menu(client, make_user):
    # The menu once offered it to DSLs and the front door only, though intake let managers in.
    client.force_login(make_user(Role.TEAM_MANAGER))

    assert f'href="{NEW_REFERRAL}"' in _menu_of(client)
