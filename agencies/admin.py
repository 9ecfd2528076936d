from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from knox.models import AuthToken

from .models import Agency, LocalArea, User

# knox's token admin can mint a token for any user and show it: an administrator could act as
# anyone. Tokens are issued only to their owner (POST /api/auth/token/), never here.
if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)


@admin.register(LocalArea)
class LocalAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "bank_holiday_region"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "agency_type", "area"]
    list_filter = ["agency_type", "area"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "agency", "role", "is_active"]
    list_filter = ["role", "agency__agency_type", "is_active"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Practice", {"fields": ("agency", "role", "job_title")}),
    )
