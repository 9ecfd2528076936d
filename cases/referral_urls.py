"""Referral intake pages (one-page form for DSLs), included in the "My work" application."""

from django.urls import URLPattern, path

from . import referral_views

urlpatterns: list[URLPattern] = [
    path("new/", referral_views.referral_new, name="referral_new"),
    path("<int:pk>/", referral_views.referral_detail, name="referral_detail"),
]
