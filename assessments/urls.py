"""Assessment pages, included in the "My work" application at /work/assessments/."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
