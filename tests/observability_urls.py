"""The project's URLs plus one view that crashes, for the logging and Sentry tests.

The crash quotes what it was sent in its exception's message, as a database error quotes
the row it refused: what must never reach a log line or an error report.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import handler400, handler403, handler404, handler500
from config.urls import urlpatterns as project_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


# Exempt: the Sentry test posts through Django's WSGI handler, without the test client's
# CSRF bypass.
@csrf_exempt
def crash(request: HttpRequest) -> HttpResponse:
    sent = json.loads(request.body or b"{}")
    raise ValueError(f"could not save {sent.get('name')} ({request.GET.urlencode()})")


urlpatterns = [path("test-only/crash/", crash, name="test-crash"), *project_urlpatterns]
