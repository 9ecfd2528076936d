"""The admin edits drafts row by row, never published versions, and publishes via the service."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import RequestFactory
from django.urls import reverse

from agencies.roles import Role
from pathways.admin import PathwayAdmin, StageInline, TransitionInline
from pathways.definitions import definition_from_version
from pathways.diff import diff_versions
from pathways.models import Pathway, PathwayVersion, VersionStatus
from pathways.services import create_draft_version
from pathways.tests.factories import default_definition

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:pathways_pathwayversion_changelist"


@pytest.fixture
def draft(area, coordinator, default_version):
    return create_draft_version(area=area, definition=default_definition(), actor=coordinator)


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("pathway-admin", "", "correct-horse")


@pytest.fixture
def staff_manager(make_user):
    # Every model permission Django knows, but not a pathway editor's role.
    user = make_user(Role.TEAM_MANAGER, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="pathways"))
    return user


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _change_url(version):
    return reverse("admin:pathways_pathwayversion_change", args=[version.pk])


def _messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def _posted_form(response):
    """The change page's forms as the browser would post them back, unchanged."""
    data = {"notes": response.context["adminform"].form["notes"].value()}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = value
        for form in formset.forms:
            for name in form.fields:
                value = form[name].value()  # already prepared as the widget renders it
                if value is not None and value is not False:
                    data[form.add_prefix(name)] = "on" if value is True else value
    return data


def _run_action(client, action, *versions):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [v.pk for v in versions]},
        follow=True,
    )


def test_only_pathways_and_their_versions_are_registered():
    registered = {model for model in admin.site._registry if model._meta.app_label == "pathways"}

    assert registered == {Pathway, PathwayVersion}


@pytest.mark.parametrize("inline_class", [StageInline, TransitionInline])
def test_a_drafts_rows_can_be_added_changed_and_deleted(inline_class, draft, superuser):
    inline = inline_class(PathwayVersion, admin.site)
    request = _request(superuser)

    assert inline.has_add_permission(request, draft)
    assert inline.has_change_permission(request, draft)
    assert inline.has_delete_permission(request, draft)


@pytest.mark.parametrize("inline_class", [StageInline, TransitionInline])
def test_a_published_versions_rows_cannot_be_added_changed_or_deleted(
    inline_class, default_version, superuser
):
    inline = inline_class(PathwayVersion, admin.site)
    request = _request(superuser)

    assert not inline.has_add_permission(request, default_version)
    assert not inline.has_change_permission(request, default_version)
    assert not inline.has_delete_permission(request, default_version)


def test_the_draft_change_page_has_editable_stage_and_transition_rows(client, superuser, draft):
    client.force_login(superuser)

    page = client.get(_change_url(draft)).content.decode()

    assert 'name="stages-0-name"' in page
    assert 'name="transitions-0-from_stage"' in page


def test_the_published_change_page_is_read_only(client, superuser, default_version):
    client.force_login(superuser)

    response = client.get(_change_url(default_version))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Initial decision" in page
    assert 'name="stages-0-name"' not in page
    assert 'name="transitions-0-from_stage"' not in page
    assert 'name="_save"' not in page


def test_a_draft_stage_edited_in_the_admin_is_saved(client, superuser, draft):
    client.force_login(superuser)
    data = _posted_form(client.get(_change_url(draft)))
    data["stages-2-timescale_working_days"] = "25"

    response = client.post(_change_url(draft), data)

    assert response.status_code == 302, response.context["errors"]
    changes = diff_versions(default_definition(), definition_from_version(draft))
    assert [change.text for change in changes] == [
        "Stage 'early_help': timescale 30 → 25 working days"
    ]


def test_posting_to_a_published_version_changes_nothing(client, superuser, default_version):
    client.force_login(superuser)

    response = client.post(_change_url(default_version), {"notes": "Edited afterwards"})

    assert response.status_code == 403
    default_version.refresh_from_db()
    assert default_version.notes == ""


def test_a_transition_can_only_join_stages_of_its_own_version(superuser, draft, default_version):
    inline = TransitionInline(PathwayVersion, admin.site)

    form = inline.get_formset(_request(superuser), draft).form

    for name in ("from_stage", "to_stage"):
        offered = set(form.base_fields[name].queryset)
        assert offered == set(draft.stages.all())
        assert not offered & set(default_version.stages.all())


def test_a_pathway_with_a_published_version_is_read_only(superuser, default_version):
    pathway_admin = PathwayAdmin(Pathway, admin.site)

    readonly = pathway_admin.get_readonly_fields(_request(superuser), default_version.pathway)

    assert {"name", "description", "key", "area"} <= set(readonly)


def test_a_pathway_with_only_drafts_can_be_renamed(superuser, area, coordinator):
    version = create_draft_version(area=area, definition=default_definition(), actor=coordinator)
    pathway_admin = PathwayAdmin(Pathway, admin.site)

    readonly = pathway_admin.get_readonly_fields(_request(superuser), version.pathway)

    assert "name" not in readonly
    assert "key" in readonly


def test_publishing_selected_drafts_goes_through_the_service(client, superuser, draft):
    client.force_login(superuser)

    response = _run_action(client, "publish_selected", draft)

    draft.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED
    assert draft.published_by == superuser
    assert _messages(response) == ["Harmful sexual behaviour pathway v2 published."]


def test_publishing_an_invalid_draft_shows_each_problem(client, superuser, draft):
    client.force_login(superuser)
    stage = draft.stages.get(key="review")
    stage.timescale_working_days = -1
    stage.save()

    response = _run_action(client, "publish_selected", draft)

    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    assert _messages(response) == [
        f"{draft}: not published.",
        f"{draft}: Stage 'review' has a timescale of -1 working days; it must be at least 1.",
    ]


def test_publishing_a_published_version_again_is_only_a_warning(client, superuser, default_version):
    client.force_login(superuser)
    published_at = default_version.published_at

    response = _run_action(client, "publish_selected", default_version)

    default_version.refresh_from_db()
    assert default_version.published_at == published_at
    assert _messages(response) == [f"{default_version}: Version 1 is already published."]


def test_validating_reports_valid_versions_and_each_problem(client, superuser, draft):
    client.force_login(superuser)
    transition = draft.transitions.get(key="reopen")
    transition.allowed_roles = ["caretaker"]
    transition.save()
    default_version = draft.pathway.versions.get(number=1)

    response = _run_action(client, "validate_selected", default_version, draft)

    assert _messages(response) == [
        f"{default_version}: valid.",
        f"{draft}: Transition 'reopen' names role 'caretaker', which does not exist.",
    ]
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


def test_a_staff_member_who_is_not_a_pathway_editor_cannot_change_or_publish(
    client, staff_manager, draft
):
    client.force_login(staff_manager)

    assert client.get(_change_url(draft)).status_code == 200
    assert 'name="stages-0-name"' not in client.get(_change_url(draft)).content.decode()
    _run_action(client, "publish_selected", draft)

    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
