from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        # Cases sits below assessments and never imports it: what assessments add to the
        # child's record there (each step of each assessment in the chronology) is registered
        # here, once the models load.
        from cases.chronology.entries import EntryKind
        from cases.chronology.sources import register_source

        from .chronology import assessment_entries

        register_source({EntryKind.ASSESSMENT}, assessment_entries)
