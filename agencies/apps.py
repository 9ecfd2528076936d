from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = "Agencies and practitioners"

    def ready(self) -> None:
        # Connects the user_logged_in receiver that stamps each login session, and the
        # receivers that put failed logins, lockouts and logouts in the audit trail.
        from . import login_events, security  # noqa: F401
        from .db_context import grant_after_migrate

        # After every migrate (as the owner), the serving role gets its grants again.
        post_migrate.connect(grant_after_migrate, sender=self, dispatch_uid="serving_grants")


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, with `admin.site` an OTPAdminSite (agencies/admin_site.py)."""

    # Not the default config of the agencies app: that stays AgenciesConfig.
    default = False
    default_site = "agencies.admin_site.AdminSite"
