"""Production settings: everything in base, hardened for a council deployment.

`manage.py check --deploy --fail-level WARNING` passes under this module (tested).
"""

from django.core.exceptions import ImproperlyConfigured

from audit.keys import production_key_problem
from config.logging import logging_config

from .base import *  # noqa: F403
from .base import (
    AUDIT_CHAIN_KEYS,
    AUDIT_CHAIN_KEYS_FROM_ENVIRONMENT,
    DEBUG,
    LOG_LEVEL,
    METRICS_ENABLED,
    METRICS_TOKEN,
    SECRET_KEY,
    env,
)

if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off under production settings.")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("insecure-"):
    raise ImproperlyConfigured("SECRET_KEY must be a random string of at least 50 characters.")
# The audit chain's keys: a real one of at least 32 bytes, never the derived development key.
_chain_key_problem = production_key_problem(
    AUDIT_CHAIN_KEYS if AUDIT_CHAIN_KEYS_FROM_ENVIRONMENT else []
)
if _chain_key_problem:
    raise ImproperlyConfigured(_chain_key_problem)

# Read by what must never run here: the demo loader (demo/safety.py) refuses.
PRODUCTION = True

# One JSON object per log line, for the log shipper (config/logging.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL)
# Metrics are never public: on only with a bearer token too long to guess.
if METRICS_ENABLED and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured(
        "METRICS_TOKEN of at least 32 characters is required with METRICS_ENABLED."
    )

# TLS is terminated in front of gunicorn; trust its forwarded scheme.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # WhiteNoise's hashed, compressed manifest, tolerating a dangling url() in an installed
    # package's CSS (viewflow's bundled Roboto names fonts it does not ship): config/storage.py.
    "staticfiles": {"BACKEND": "config.storage.TolerantManifestStaticFilesStorage"},
}
