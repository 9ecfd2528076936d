"""Referral intake endpoints, under /api/cases/referrals/ in the "api:cases" namespace."""

from django.urls import URLPattern, path

from .decisions import RepeatDecisionDecideApi, RepeatDecisionListApi
from .views import ReferralDetailApi, ReferralDuplicatesApi, ReferralListApi

urlpatterns: list[URLPattern] = [
    path("", ReferralListApi.as_view(), name="referral-list"),
    path("duplicates/", ReferralDuplicatesApi.as_view(), name="referral-duplicates"),
    path("<int:pk>/", ReferralDetailApi.as_view(), name="referral-detail"),
    path("decisions/", RepeatDecisionListApi.as_view(), name="repeat-decision-list"),
    path(
        "decisions/<int:pk>/decide/",
        RepeatDecisionDecideApi.as_view(),
        name="repeat-decision-decide",
    ),
]
