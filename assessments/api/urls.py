"""Assessment endpoints, at /api/assessments/ (reverse as "api:assessments:<name>")."""

from django.urls import URLPattern, path

from . import views

app_name = "assessments"
urlpatterns: list[URLPattern] = [
    path("", views.AssessmentListApi.as_view(), name="assessment-list"),
    path("tools/", views.ToolListApi.as_view(), name="tool-list"),
    path("<int:pk>/", views.AssessmentDetailApi.as_view(), name="assessment-detail"),
    path("<int:pk>/start/", views.AssessmentStartApi.as_view(), name="assessment-start"),
    path("<int:pk>/sections/", views.AssessmentSectionsApi.as_view(), name="assessment-sections"),
    path(
        "<int:pk>/contributions/",
        views.AssessmentContributionsApi.as_view(),
        name="assessment-contributions",
    ),
    path("<int:pk>/submit/", views.AssessmentSubmitApi.as_view(), name="assessment-submit"),
    path(
        "<int:pk>/authorise/", views.AssessmentAuthoriseApi.as_view(), name="assessment-authorise"
    ),
    path("<int:pk>/return/", views.AssessmentReturnApi.as_view(), name="assessment-return"),
]
