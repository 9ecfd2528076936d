"""Access pages of the "My work" application, at /work/access/ (config/site.py includes this
module): information shared with me, break-glass access and its review."""

from django.urls import URLPattern, path

from . import views as access_views

urlpatterns: list[URLPattern] = [
    path("shared-with-me/", access_views.shared_with_me, name="shared_with_me"),
    path("shared-with-me/<int:pk>/", access_views.shared_decision, name="shared_decision"),
    path("break-glass/", access_views.break_glass, name="break_glass"),
    path("break-glass/reviews/", access_views.break_glass_reviews, name="break_glass_reviews"),
    path(
        "break-glass/reviews/<int:pk>/",
        access_views.break_glass_review,
        name="break_glass_review",
    ),
]
