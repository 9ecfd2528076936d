from django.urls import include, path

from . import access, views

app_name = "cases"
urlpatterns = [
    path("referrals/", include("cases.api.referrals.urls")),
    path("<int:pk>/", include("cases.api.record.urls")),
    path("", views.CaseListApi.as_view(), name="case-list"),
    path("tasks/", views.TaskInboxApi.as_view(), name="task-inbox"),
    path("shared-with-me/", access.SharedWithMeListApi.as_view(), name="shared-with-me"),
    path(
        "shared-with-me/<int:pk>/",
        access.SharedWithMeDetailApi.as_view(),
        name="shared-with-me-detail",
    ),
    path("break-glass/", access.BreakGlassApi.as_view(), name="break-glass"),
    path(
        "break-glass-reviews/",
        access.BreakGlassReviewListApi.as_view(),
        name="break-glass-reviews",
    ),
    path(
        "break-glass-reviews/<int:pk>/",
        access.BreakGlassReviewApi.as_view(),
        name="break-glass-review",
    ),
    path("<int:pk>/", views.CaseDetailApi.as_view(), name="case-detail"),
    path("<int:pk>/transitions/", views.CaseTransitionsApi.as_view(), name="case-transitions"),
    path(
        "<int:pk>/lead-practitioner/",
        views.CaseLeadPractitionerApi.as_view(),
        name="case-lead-practitioner",
    ),
]
