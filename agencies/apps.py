from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = "Agencies and practitioners"

    def ready(self) -> None:
        # Connects the user_logged_in receiver that stamps each login session.
        from . import security  # noqa: F401


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, with `admin.site` an OTPAdminSite (agencies/admin_site.py)."""

    # Not the default config of the agencies app: that stays AgenciesConfig.
    default = False
    default_site = "agencies.admin_site.AdminSite"
