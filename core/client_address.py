"""The client's real address behind the TLS proxy, for the lockout (django-axes) and the trail.

Behind a reverse proxy every request comes from the proxy's address (REMOTE_ADDR), so a
lockout keyed on it locks out everyone at once, and every audit event names the proxy.
Each proxy appends the address it was connected from to X-Forwarded-For; a client can send
its own X-Forwarded-For, so only the last TRUSTED_PROXY_COUNT entries were written by proxies
we run. django-ipware reads the header with that count (its proxy_count counts the proxies
*listed* in the header: ours minus the last one, whose own address is REMOTE_ADDR).

TRUSTED_PROXY_COUNT = 0 (the default) ignores the header: without a proxy it is a spoof.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip


def client_address(request: HttpRequest) -> str | None:
    """The address the request came from, as the configured proxies saw it."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if proxies <= 0:
        return remote
    address, _routable = get_client_ip(
        request,
        proxy_order="left-most",
        proxy_count=proxies - 1,
        request_header_order=["HTTP_X_FORWARDED_FOR"],
        # Not strict: a client's own X-Forwarded-For entries before ours are allowed and
        # ignored, since the client position is counted from the right.
        strict=False,
    )
    return address or remote
