"""Partnership endpoints, at /api/partnership/ (reverse as "api:partnership:<name>")."""

from django.urls import URLPattern, path

from . import root, views

app_name = "partnership"
urlpatterns: list[URLPattern] = [
    path("", root.partnership_root, name="root"),
    path("dashboard/", views.DashboardApi.as_view(), name="dashboard"),
    path(
        "dashboard/figures/<slug:key>/cases/",
        views.FigureCasesApi.as_view(),
        name="figure-cases",
    ),
    path("statements/", views.StatementListApi.as_view(), name="statement-list"),
    path("process-feedback/", views.ProcessFeedbackApi.as_view(), name="process-feedback"),
    path("rounds/", views.RoundListApi.as_view(), name="round-list"),
    path("rounds/<int:pk>/", views.RoundDetailApi.as_view(), name="round-detail"),
    path("rounds/<int:pk>/close/", views.RoundCloseApi.as_view(), name="round-close"),
    path("rounds/<int:pk>/scores/", views.RoundScoresApi.as_view(), name="round-scores"),
    path(
        "rounds/<int:pk>/agreed-scores/",
        views.RoundAgreedScoreApi.as_view(),
        name="round-agreed-score",
    ),
    path(
        "rounds/<int:pk>/suggested-evidence/",
        views.RoundEvidenceApi.as_view(),
        name="round-evidence",
    ),
    path("rounds/<int:pk>/radar.svg", views.RoundRadarApi.as_view(), name="round-radar"),
    path("rounds/<int:pk>/export.xlsx", views.RoundXlsxApi.as_view(), name="round-xlsx"),
    path("rounds/<int:pk>/export.pdf", views.RoundPdfApi.as_view(), name="round-pdf"),
]
