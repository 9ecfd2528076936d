"""The Django admin (issue 12, item 8): every write appends an audit event, administrators see
no case content, and the demo loader refuses production settings.

Admin pages are posted for real, with the form's own current values and one change.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.admin_audit import AuditedModelAdmin
from agencies.models import User
from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, TOTPDeviceFactory
from assessments.tests.factories import catalogue
from audit.models import AuditEvent
from pathways.services import create_draft_version
from pathways.tests.factories import default_definition
from tests.test_production_settings import run_manage

PASSWORD = "correct-horse-battery"


def _value(value: Any) -> Any:
    return getattr(value, "pk", value)


def _form_data(form: forms.BaseForm, data: dict[str, Any]) -> None:
    for bound in form:
        widget = getattr(bound.field.widget, "widget", bound.field.widget)
        value = bound.value()
        if value is None or value == "":
            continue
        if isinstance(widget, forms.MultiWidget):
            for index, part in enumerate(widget.decompress(value)):
                if part is not None:
                    data[f"{bound.html_name}_{index}"] = part
        elif isinstance(widget, forms.CheckboxInput):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, dict):
            data[bound.html_name] = json.dumps(value)
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(_value(item)) for item in value]
        else:
            data[bound.html_name] = str(_value(value))


def page_data(response: Any) -> dict[str, Any]:
    """What the admin's change page would post back unchanged, inlines included."""
    data: dict[str, Any] = {}
    _form_data(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        _form_data(formset.management_form, data)
        for form in formset.forms:
            _form_data(form, data)
    return data


@pytest.fixture
def administrator(make_user):
    return make_user(Role.SYSTEM_ADMINISTRATOR, is_staff=True, is_superuser=True)


@pytest.fixture
def admin_browser(administrator):
    client = Client()
    client.force_login(administrator)
    return client


def events(action: str, model: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, object_type=model).order_by("id"))


def change(client: Client, url: str, **changes: Any) -> Any:
    data = page_data(client.get(url))
    data.update(changes)
    response = client.post(url, data)
    assert response.status_code == 302, response.context and [
        form.errors for form in [response.context["adminform"].form]
    ]
    return response


# --- writes are audited --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_role_and_agency_change_is_in_the_trail(admin_browser, administrator, make_user):
    user = make_user(Role.DSL)
    agency = AgencyFactory(area=user.agency.area)

    change(
        admin_browser,
        f"/admin/agencies/user/{user.pk}/change/",
        role=Role.TEAM_MANAGER,
        agency=str(agency.pk),
    )

    user.refresh_from_db()
    assert (user.role, user.agency) == (Role.TEAM_MANAGER, agency)
    [event] = events("admin.changed", "agencies.user")
    assert event.actor == administrator
    assert event.object_id == str(user.pk)
    assert event.changes["role"] == Role.TEAM_MANAGER
    assert event.changes["agency"] == str(agency.pk)


@pytest.mark.django_db
def test_a_password_set_in_the_admin_is_in_the_trail_without_the_hash(admin_browser, make_user):
    user = make_user()

    response = admin_browser.post(
        f"/admin/agencies/user/{user.pk}/password/",
        {"password1": "a-new-long-phrase-1", "password2": "a-new-long-phrase-1"},
    )

    assert response.status_code == 302
    [event] = events("admin.changed", "agencies.user")
    user.refresh_from_db()
    assert event.changes["password"] == "(changed)"
    assert user.password not in str(event.changes)


@pytest.mark.django_db
def test_removing_someones_authenticator_is_in_the_trail_without_its_key(
    admin_browser, administrator, make_user
):
    device = TOTPDeviceFactory(user=make_user(Role.DSL))

    response = admin_browser.post(
        f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    [event] = events("admin.deleted", "otp_totp.totpdevice")
    assert (event.actor, event.object_id) == (administrator, str(device.pk))
    assert device.key not in str(event.changes)


@pytest.mark.django_db
def test_a_tool_catalogue_edit_is_in_the_trail(admin_browser):
    tool = next(iter(catalogue().values()))
    new_age = tool.min_age + 1

    change(
        admin_browser,
        f"/admin/assessments/assessmenttool/{tool.pk}/change/",
        min_age=str(new_age),
    )

    [event] = events("admin.changed", "assessments.assessmenttool")
    assert (event.object_id, event.changes["min_age"]) == (str(tool.pk), new_age)


@pytest.mark.django_db
def test_a_pathway_draft_edit_is_in_the_trail_inline_rows_too(admin_browser, area, administrator):
    version = create_draft_version(area=area, definition=default_definition(), actor=administrator)
    stage = version.stages.order_by("position").first()
    url = f"/admin/pathways/pathwayversion/{version.pk}/change/"
    data = page_data(admin_browser.get(url))
    prefix = next(
        key[: -len("-id")]
        for key, value in data.items()
        if key.endswith("-id") and value == str(stage.pk) and key.startswith("stages")
    )
    data.update({"notes": "Invented change note.", f"{prefix}-name": "Renamed stage"})

    assert admin_browser.post(url, data).status_code == 302

    [version_event] = events("admin.changed", "pathways.pathwayversion")
    stage_events = {event.object_id: event for event in events("admin.changed", "pathways.stage")}
    assert version_event.changes["notes"] == "Invented change note."
    assert stage_events[str(stage.pk)].changes["name"] == "Renamed stage"
    assert stage_events[str(stage.pk)].actor == administrator


@pytest.mark.django_db
def test_resetting_a_lockout_in_the_admin_is_in_the_trail(admin_browser, make_user):
    user = make_user()
    attempt = AccessAttempt.objects.create(
        username=user.username,
        ip_address="198.51.100.1",
        user_agent="test",
        failures_since_start=5,
        attempt_time=timezone.now(),
    )

    admin_browser.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})

    [event] = events("admin.deleted", "axes.accessattempt")
    assert event.object_id == str(attempt.pk)


@pytest.mark.django_db
def test_a_bulk_delete_records_each_row(admin_browser, make_user):
    users = [make_user(Role.DSL) for _ in range(2)]
    devices = [TOTPDeviceFactory(user=user) for user in users]

    admin_browser.post(
        "/admin/otp_totp/totpdevice/",
        {
            "action": "delete_selected",
            "_selected_action": [str(device.pk) for device in devices],
            "post": "yes",
        },
    )

    recorded = {event.object_id for event in events("admin.deleted", "otp_totp.totpdevice")}
    assert recorded == {str(device.pk) for device in devices}


def test_every_admin_that_can_write_is_audited():
    unaudited = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, AuditedModelAdmin)
    ]

    assert unaudited == []


# --- no case content -----------------------------------------------------------------------


def test_no_case_content_is_in_the_admin():
    labels = {model._meta.label for model in admin.site._registry}
    apps = {model._meta.app_label for model in admin.site._registry}

    assert "cases" not in apps
    assert not labels & {
        "assessments.Assessment",
        "viewflow.Process",
        "viewflow.Task",
        "knox.AuthToken",
        # Events carry reasons and changed values (break-glass reasons, notes' fields):
        # the auditor's console reads them, administrators do not.
        "audit.AuditEvent",
        "audit.AuditSeal",
    }


@pytest.mark.django_db
def test_the_administrator_cannot_open_case_flows(admin_browser):
    for path in ("/admin/viewflow/process/", "/admin/viewflow/task/", "/admin/cases/"):
        assert admin_browser.get(path).status_code == 404


# --- the demo loader -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_loader_refuses_production_settings(settings):
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="refuses to load under production settings"):
        call_command("load_demo_area", referrals=1)

    assert not User.objects.filter(username="admin").exists()


def test_the_demo_command_fails_under_the_production_settings_module():
    result = run_manage("load_demo_area")

    assert result.returncode != 0
    assert "refuses to load under production settings" in result.stderr
