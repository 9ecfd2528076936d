"""The Django admin site: staff only, and only once verified by a second factor."""

from typing import Any

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django_otp.admin import OTPAdminSite


class AdminSite(OTPAdminSite):
    """django-otp's OTPAdminSite (has_permission demands a verified device), named "admin".

    Its own login form is never shown: /admin/login/ sends people to the one login flow
    (password, lockout, then the code), which brings them back here afterwards.
    """

    def __init__(self, name: str = "admin"):
        super().__init__(name)

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if request.user.is_authenticated:
            # SecondFactorMiddleware has already held back anyone unverified, so a signed-in
            # user who lands here lacks staff rights.
            raise PermissionDenied
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse(
            "admin:index", current_app=self.name
        )
        return redirect_to_login(next_url)
