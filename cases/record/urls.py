"""Case record pages (team, views, sharing decisions, notes, chronology, access), under a case."""

from django.urls import URLPattern, path

from ..access import views as access_views
from . import views as record_views

urlpatterns: list[URLPattern] = [
    path("team/", record_views.case_team_add, name="case_team_add"),
    path("team/<int:member_id>/remove/", record_views.case_team_remove, name="case_team_remove"),
    path("views/", record_views.case_view_add, name="case_view_add"),
    path(
        "sharing-decisions/",
        record_views.case_sharing_decision_add,
        name="case_sharing_decision_add",
    ),
    path("notes/", record_views.case_note_add, name="case_note_add"),
    path("chronology/", record_views.case_chronology, name="case_chronology"),
    path("chronology.csv", record_views.case_chronology_csv, name="case_chronology_csv"),
    path("chronology.pdf", record_views.case_chronology_pdf, name="case_chronology_pdf"),
    path("access-log/", access_views.case_access_log_page, name="case_access_log"),
    path("access-grants/", access_views.case_access_grant_add, name="case_access_grant_add"),
    path(
        "access-grants/<int:grant_id>/revoke/",
        access_views.case_access_grant_revoke,
        name="case_access_grant_revoke",
    ),
]
