"""Referral intake pages (one-page form for DSLs), included in the "My work" application."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("new/", views.referral_new, name="referral_new"),
    path("<int:pk>/", views.referral_detail, name="referral_detail"),
    path("decisions/", views.repeat_decisions, name="repeat_decisions"),
    path("decisions/<int:pk>/", views.repeat_decision, name="repeat_decision"),
]
