"""Referral intake pages (one-page form for DSLs), included in the "My work" application."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
