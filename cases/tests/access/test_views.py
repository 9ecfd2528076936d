"""The access pages: shared with me, break glass and its review, a case's access log."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.roles import Role
from assessments.tests.factories import early_help_case
from cases.access.services import request_break_glass_access
from cases.models import AccessGrant, BreakGlassReview
from cases.services import designate_lead_practitioner, record_information_sharing_decision
from cases.tests.factories import open_case

pytestmark = pytest.mark.django_db

REASON = "Invented: the child is missing and the police need the safety plan tonight."


@pytest.fixture
def case(default_version, front_door, lead_practitioner, manager):
    return early_help_case(
        version=default_version, front_door=front_door, lead=lead_practitioner, manager=manager
    )


def _share_with(case, recipient, actor):
    return record_information_sharing_decision(
        case=case,
        decision="share",
        information="Invented: the safety plan agreed with the school.",
        recipient_agency=recipient.agency,
        recipient_practitioner=recipient,
        purpose="So the school nurse can support the child at lunchtimes.",
        lawful_basis="public_task_safeguarding",
        consent="given",
        actor=actor,
    )


# --- shared with me --------------------------------------------------------------------------


def test_a_recipient_sees_what_was_shared_but_not_the_case_file(
    client, case, lead_practitioner, make_user
):
    nurse = make_user(Role.TEAM_MEMBER)
    decision = _share_with(case, nurse, lead_practitioner)
    client.force_login(nurse)

    listing = client.get(reverse("cases:shared_with_me"))
    detail = client.get(reverse("cases:shared_decision", args=[decision.pk]))

    assert listing.status_code == detail.status_code == 200
    assert case.child.full_name.encode() in listing.content
    assert b"the safety plan agreed with the school" in detail.content
    assert str(lead_practitioner).encode() in detail.content
    assert client.get(reverse("cases:case_detail", args=[case.pk])).status_code == 404


def test_a_decision_shared_with_someone_else_is_404(client, case, lead_practitioner, make_user):
    decision = _share_with(case, make_user(Role.TEAM_MEMBER), lead_practitioner)
    client.force_login(make_user(Role.TEAM_MEMBER))

    assert client.get(reverse("cases:shared_decision", args=[decision.pk])).status_code == 404


def test_analysts_have_no_shared_with_me_page(client, make_user):
    client.force_login(make_user(Role.ANALYST))

    assert client.get(reverse("cases:shared_with_me")).status_code == 403


# --- the landing page links ------------------------------------------------------------------


def test_the_landing_page_links_to_the_access_pages_each_role_may_use(client, make_user, manager):
    client.force_login(manager)
    page = client.get(reverse("cases:index")).content.decode()
    assert 'id="shared-with-me-link"' in page
    assert 'id="break-glass-link"' in page
    assert 'id="break-glass-reviews-link"' in page

    client.force_login(make_user(Role.DSL))
    page = client.get(reverse("cases:index")).content.decode()
    assert 'id="shared-with-me-link"' in page
    assert 'id="break-glass-link"' not in page

    client.force_login(make_user(Role.ANALYST))
    assert 'id="access-links"' not in client.get(reverse("cases:index")).content.decode()


# --- break glass -----------------------------------------------------------------------------


def test_break_glass_from_the_page_opens_the_case_read_only(client, case, make_user):
    practitioner = make_user(Role.LEAD_PRACTITIONER)
    client.force_login(practitioner)
    assert client.get(reverse("cases:case_detail", args=[case.pk])).status_code == 404

    refused = client.post(reverse("cases:break_glass"), {"case": case.pk, "reason": ""})
    assert refused.status_code == 400
    response = client.post(reverse("cases:break_glass"), {"case": case.pk, "reason": REASON})

    assert response.status_code == 302
    assert response["Location"] == reverse("cases:case_detail", args=[case.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200
    content = page.content.decode()
    assert 'id="access-grant"' in content
    # Read-only: the page offers no transition and no form to add to the record.
    assert '<details class="hsb-option"' not in content
    assert f'action="/work/cases/{case.pk}/' not in content
    transition = client.post(
        reverse("cases:case_transition", args=[case.pk]), {"transition_key": "close_early_help"}
    )
    assert transition.status_code == 403


def test_an_unknown_case_number_and_another_areas_are_refused_alike(client, make_user):
    client.force_login(make_user(Role.LEAD_PRACTITIONER))

    response = client.post(reverse("cases:break_glass"), {"case": 999999, "reason": REASON})

    assert response.status_code == 400
    assert b"There is no case with this number in your area." in response.content


def test_a_manager_reviews_their_practitioners_break_glass(
    client, default_version, front_door, manager, make_user
):
    other_teams = open_case(version=default_version, actor=front_door)
    designate_lead_practitioner(
        case=other_teams, practitioner=make_user(Role.LEAD_PRACTITIONER), actor=front_door
    )
    practitioner = make_user(Role.LEAD_PRACTITIONER, agency=manager.agency)
    grant = request_break_glass_access(case_id=other_teams.pk, actor=practitioner, reason=REASON)
    client.force_login(manager)

    listing = client.get(reverse("cases:break_glass_reviews"))
    assert f'data-review="{grant.review.pk}"'.encode() in listing.content
    assert REASON[:40].encode() in listing.content
    response = client.post(
        reverse("cases:break_glass_review", args=[grant.review.pk]),
        {"outcome": "not_justified", "notes": "Could have waited for the morning."},
    )

    assert response.status_code == 302
    review = BreakGlassReview.objects.get(pk=grant.review.pk)
    assert review.outcome == "not_justified" and review.reviewed_by == manager
    assert AccessGrant.objects.get(pk=grant.pk).revoked_at is not None


def test_only_managers_have_a_review_list(client, make_user):
    client.force_login(make_user(Role.HSB_COORDINATOR))

    assert client.get(reverse("cases:break_glass_reviews")).status_code == 403


# --- the access log --------------------------------------------------------------------------


def test_the_lead_reads_who_has_looked_newest_first(
    client, case, lead_practitioner, front_door, make_user
):
    client.force_login(front_door)
    client.get(reverse("cases:case_detail", args=[case.pk]))
    practitioner = make_user(Role.LEAD_PRACTITIONER, first_name="Noor", last_name="Glass")
    request_break_glass_access(case_id=case.pk, actor=practitioner, reason=REASON)
    client.force_login(lead_practitioner)

    page = client.get(reverse("cases:case_access_log", args=[case.pk]))

    assert page.status_code == 200
    rows = page.context["page"].object_list
    assert [row.action for row in rows][:2] == ["case.break_glass", "case.read"]
    assert rows[0].actor == practitioner and rows[0].reason == REASON
    assert rows[1].actor == front_door
    assert "Noor Glass" in page.content.decode()


def test_the_access_log_is_for_the_lead_and_the_teams_manager_only(
    client, case, manager, front_door, make_user
):
    client.force_login(manager)
    assert client.get(reverse("cases:case_access_log", args=[case.pk])).status_code == 200
    case_page = client.get(reverse("cases:case_detail", args=[case.pk]))
    assert b'id="access-log-link"' in case_page.content

    client.force_login(front_door)  # sees the case, but is not its steward
    assert client.get(reverse("cases:case_access_log", args=[case.pk])).status_code == 403
    assert (
        b'id="access-log-link"'
        not in client.get(reverse("cases:case_detail", args=[case.pk])).content
    )

    client.force_login(make_user(Role.LEAD_PRACTITIONER))  # does not see the case
    assert client.get(reverse("cases:case_access_log", args=[case.pk])).status_code == 404


def test_the_access_log_page_costs_the_same_queries_for_3_and_30_reads(
    client, case, lead_practitioner, front_door
):
    reader = type(client)()
    reader.force_login(front_door)
    client.force_login(lead_practitioner)
    url = reverse("cases:case_access_log", args=[case.pk])
    for _ in range(3):
        reader.get(reverse("cases:case_detail", args=[case.pk]))
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as three:
        client.get(url)
    for _ in range(27):
        reader.get(reverse("cases:case_detail", args=[case.pk]))
    with CaptureQueriesContext(connection) as thirty:
        page = client.get(url)

    assert len(page.context["page"].object_list) == 25  # paginated
    assert len(thirty) == len(three)


def test_the_lead_grants_and_revokes_access_from_the_access_log(
    client, case, lead_practitioner, make_user
):
    consultant = make_user(Role.TEAM_MEMBER, agency=lead_practitioner.agency)
    client.force_login(lead_practitioner)

    added = client.post(
        reverse("cases:case_access_grant_add", args=[case.pk]),
        {"grant-user": consultant.pk, "grant-kind": "consultant", "grant-reason": "Advice."},
    )
    grant = AccessGrant.objects.get(user=consultant)
    revoked = client.post(
        reverse("cases:case_access_grant_revoke", args=[case.pk, grant.pk]),
        {f"revoke-{grant.pk}-reason": "Advice given."},
    )

    assert added.status_code == revoked.status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_by == lead_practitioner and grant.revoked_reason == "Advice given."
