"""Partnership pages (dashboard, audit tool), the "Partnership" application of the Site."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
