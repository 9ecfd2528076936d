from django.apps import AppConfig


class PartnershipConfig(AppConfig):
    name = "partnership"
    verbose_name = "Partnership performance and the framework audit"
