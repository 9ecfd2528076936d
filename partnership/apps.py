from django.apps import AppConfig
from django.db.models.signals import post_save


class PartnershipConfig(AppConfig):
    name = "partnership"
    verbose_name = "Partnership performance and the framework audit"

    def ready(self) -> None:
        from audit.models import AuditEvent

        from .figures.cache import audit_event_saved

        # Every committed write (its audit event) advances the figures' data generation.
        post_save.connect(
            audit_event_saved, sender=AuditEvent, dispatch_uid="partnership.figures.generation"
        )
