"""Case record endpoints, under /api/cases/<pk>/."""

from django.urls import URLPattern, path

from .. import access
from ..referrals.decisions import CaseReferralPatternApi
from . import views as record

urlpatterns: list[URLPattern] = [
    path("team/", record.TeamApi.as_view(), name="case-team"),
    path(
        "team/<int:member_id>/remove/",
        record.TeamMemberRemoveApi.as_view(),
        name="case-team-remove",
    ),
    path("views/", record.RecordedViewsApi.as_view(), name="case-views"),
    path(
        "sharing-decisions/",
        record.SharingDecisionsApi.as_view(),
        name="case-sharing-decisions",
    ),
    path("notes/", record.NotesApi.as_view(), name="case-notes"),
    path("referrals/", CaseReferralPatternApi.as_view(), name="case-referrals"),
    path("chronology/", record.ChronologyApi.as_view(), name="case-chronology"),
    path("chronology.csv", record.ChronologyCsvApi.as_view(), name="case-chronology-csv"),
    path("chronology.pdf", record.ChronologyPdfApi.as_view(), name="case-chronology-pdf"),
    path("access-log/", access.AccessLogApi.as_view(), name="case-access-log"),
    path("access-grants/", access.AccessGrantsApi.as_view(), name="case-access-grants"),
    path(
        "access-grants/<int:grant_id>/revoke/",
        access.AccessGrantRevokeApi.as_view(),
        name="case-access-grant-revoke",
    ),
]
