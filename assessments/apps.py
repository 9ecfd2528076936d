from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        # Cases sits below assessments and never imports it: what assessments add to the
        # child's record there (each step of each assessment in the chronology, the reads of
        # the case's assessments in its access log) is registered here, once the models load;
        # so is the check of a stage's "authorised_assessment" requirement, for pathways.
        from cases.chronology.entries import EntryKind
        from cases.chronology.sources import register_source
        from cases.selectors import register_access_log_reads
        from pathways.artefacts import register_requirement_check

        from .chronology import assessment_entries
        from .selectors import assessment_reads_of, authorised_at_this_stage

        register_source({EntryKind.ASSESSMENT}, assessment_entries)
        register_access_log_reads(assessment_reads_of)
        register_requirement_check("authorised_assessment", authorised_at_this_stage)
