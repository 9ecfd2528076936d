from django.urls import include, path

from . import views

app_name = "cases"
urlpatterns = [
    path("referrals/", include("cases.api.referral_urls")),
    path("<int:pk>/", include("cases.api.record_urls")),
    path("", views.CaseListApi.as_view(), name="case-list"),
    path("tasks/", views.TaskInboxApi.as_view(), name="task-inbox"),
    path("<int:pk>/", views.CaseDetailApi.as_view(), name="case-detail"),
    path("<int:pk>/transitions/", views.CaseTransitionsApi.as_view(), name="case-transitions"),
    path(
        "<int:pk>/lead-practitioner/",
        views.CaseLeadPractitionerApi.as_view(),
        name="case-lead-practitioner",
    ),
]
