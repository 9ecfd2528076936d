from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from agencies.api.views import logout as api_logout
from agencies.api.views import me, obtain_auth_token

from .api_root import api_root
from .site import site

api_patterns: list[URLPattern | URLResolver] = [
    path("", api_root, name="root"),
    path("pathways/", include("pathways.api.urls")),
    path("cases/", include("cases.api.urls")),
    path("assessments/", include("assessments.api.urls")),
    path("partnership/", include("partnership.api.urls")),
    # Locks out like the login page; administrators must send a second-factor code.
    path("auth/token/", obtain_auth_token, name="token"),
    # Ends the user's API tokens (web logout does the same).
    path("auth/logout/", api_logout, name="logout"),
    # The signed-in user: also the floor of the HTTP benchmark (benchmarks/http_load.py).
    path("me/", me, name="me"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]

# JSON under /api/, Django's pages elsewhere.
handler400 = "config.exceptions.handler400"
handler403 = "config.exceptions.handler403"
handler404 = "config.exceptions.handler404"
handler500 = "config.exceptions.handler500"

urlpatterns = [
    # Login (password, then the second factor), logout and two-step verification set-up.
    path("accounts/", include("agencies.urls")),
    path("admin/", admin.site.urls),
    path("api/", include((api_patterns, "api"))),
    path("", site.urls),
]
