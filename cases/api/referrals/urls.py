"""Referral intake endpoints, under /api/cases/referrals/ in the "api:cases" namespace."""

from django.urls import URLPattern, path

from .views import ReferralDetailApi, ReferralDuplicatesApi, ReferralListApi

urlpatterns: list[URLPattern] = [
    path("", ReferralListApi.as_view(), name="referral-list"),
    path("duplicates/", ReferralDuplicatesApi.as_view(), name="referral-duplicates"),
    path("<int:pk>/", ReferralDetailApi.as_view(), name="referral-detail"),
]
