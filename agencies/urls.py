from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from . import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("two-factor/verify/", views.verify_second_factor, name="two_factor_verify"),
    # A team manager lifts a lockout of a user of their agency (agencies/lockout.py).
    path("lockouts/", views.lockouts, name="lockouts"),
    # viewflow's user menu links a URL named "profile"; the account page is this one.
    path("profile/", RedirectView.as_view(pattern_name="two_factor"), name="profile"),
]
