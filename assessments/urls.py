"""Assessment pages, at /work/assessments/ in the namespace `assessments:` (config/site.py routes
them inside the "My work" application's menu)."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("request/<int:case_pk>/", views.assessment_request, name="assessment_request"),
    path("<int:pk>/", views.assessment_detail, name="assessment_detail"),
    path("<int:pk>/start/", views.assessment_start, name="assessment_start"),
    path("<int:pk>/sections/", views.assessment_sections, name="assessment_sections"),
    path(
        "<int:pk>/contributions/",
        views.assessment_contribution_add,
        name="assessment_contribution_add",
    ),
    path("<int:pk>/submit/", views.assessment_submit, name="assessment_submit"),
    path("<int:pk>/authorise/", views.assessment_authorise, name="assessment_authorise"),
    path("<int:pk>/return/", views.assessment_return, name="assessment_return"),
]
