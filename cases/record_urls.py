"""Case record pages (team, views, sharing decisions, notes, chronology), under a case."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
