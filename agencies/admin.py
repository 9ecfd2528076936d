"""Admin for areas, agencies and users; every write is audited (agencies/admin_audit.py).

Third-party registrations (groups, django-axes' lockout records, django-otp's authenticators)
are re-registered through AuditedModelAdmin. viewflow's process and task admins are removed:
a case is a viewflow process, and administrators see no case content.
"""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.http import HttpRequest, HttpResponse
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken
from viewflow.workflow.models import Process, Task

from .admin_audit import AuditedModelAdmin, password_set_event, reregister_audited
from .models import Agency, LocalArea, User

# knox's token admin can mint a token for any user and show it: an administrator could act as
# anyone. Tokens are issued only to their owner (POST /api/auth/token/), never here.
# viewflow's Process and Task admins list every case's flow and its data: case content.
for _model in (AuthToken, Process, Task):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)

for _model in (Group, AccessAttempt, AccessLog, AccessFailureLog, TOTPDevice):
    reregister_audited(admin.site, _model)


@admin.register(LocalArea)
class LocalAreaAdmin(AuditedModelAdmin):
    list_display = ["name", "bank_holiday_region"]


@admin.register(Agency)
class AgencyAdmin(AuditedModelAdmin):
    list_display = ["name", "agency_type", "area"]
    list_filter = ["agency_type", "area"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(AuditedModelAdmin, BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "agency", "role", "is_active"]
    list_filter = ["role", "agency__agency_type", "is_active"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Practice", {"fields": ("agency", "role", "job_title")}),
    )

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        response = super().user_change_password(request, id, form_url)
        user = self.get_object(request, unquote(id))
        if user is not None:
            password_set_event(request, user, response)
        return response
