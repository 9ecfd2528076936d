"""Partnership pages (dashboard, audit tool), the "Partnership" application of the Site.

The dashboard is the application's index (`config/site.py`); these are included beside it.
"""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("figures/<slug:key>/cases/", views.figure_cases, name="figure_cases"),
    path("rounds/", views.round_list, name="rounds"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/scores/", views.round_score, name="round_score"),
    path("rounds/<int:pk>/agreed/", views.round_agreed, name="round_agreed"),
    path("rounds/<int:pk>/close/", views.round_close, name="round_close"),
    path("rounds/<int:pk>/radar.svg", views.round_radar_svg, name="round_radar"),
    path(
        "rounds/<int:pk>/export.xlsx",
        views.round_export,
        {"export_format": "xlsx"},
        name="round_xlsx",
    ),
    path(
        "rounds/<int:pk>/export.pdf",
        views.round_export,
        {"export_format": "pdf"},
        name="round_pdf",
    ),
]
