"""Settings read from the environment (twelve-factor).

With no DATABASE_URL the project runs on an embedded SQLite file so the demo
needs no server; production and CI use PostgreSQL.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from audit.keys import ChainKeyError, development_chain_key, parse_chain_keys
from config.logging import logging_config
from config.observability import init_sentry

BASE_DIR = Path(__file__).resolve().parent.parent.parent


# Every setting read from the environment goes through `env` (django-environ): typed, with
# its default here, and listed in the README's configuration table and .env.example (a test
# keeps the three in step).
env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
# A development key is allowed only when DEBUG is on; production settings refuse it.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG and not env.bool("DJANGO_ALLOW_INSECURE_KEY", default=False):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-debug-and-tests"  # noqa: S105

# Audit chain keys (audit/keys.py): "id:base64secret,..." with the current key first; older
# keys stay listed to verify what they signed. The database never holds them. Without the
# variable, a key derived from SECRET_KEY serves development and tests; production refuses it.
try:
    AUDIT_CHAIN_KEYS = parse_chain_keys(env.str("AUDIT_CHAIN_KEYS", default=""))
except ChainKeyError as exc:
    raise ImproperlyConfigured(str(exc)) from exc
AUDIT_CHAIN_KEYS_FROM_ENVIRONMENT = bool(AUDIT_CHAIN_KEYS)
if not AUDIT_CHAIN_KEYS:
    AUDIT_CHAIN_KEYS = [development_chain_key(SECRET_KEY)]
# Where export_audit_head writes anchors (the latest seal): in production a volume the web
# app and its database role cannot rewrite (mounted read-only into web, written by the worker).
AUDIT_ANCHOR_DIR = Path(
    env.str("AUDIT_ANCHOR_DIR", default=str(BASE_DIR / "var" / "audit-anchors"))
)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # django.contrib.admin with a site that demands a verified second factor (OTPAdminSite).
    "agencies.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    # API tokens hashed at rest, expiring (django-rest-knox); agencies/api/views.py issues them.
    "knox",
    "drf_spectacular",
    "django_filters",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "viewflow",
    "viewflow.workflow",
    "agencies",
    "audit",
    "pathways",
    "cases",
    "assessments",
    "partnership",
    "demo",
]

MIDDLEWARE = [
    # /healthz and /readyz, answered before any other middleware runs: no Host check, HTTPS
    # redirect, session, audit or area context for a load balancer's probe, and probes are
    # not counted as traffic by the metrics below (config/health.py).
    "config.health.HealthCheckMiddleware",
    # Before the rest, so its latency covers them; answers /metrics itself, like the probes
    # above (no Host check or HTTPS redirect: a scraper in the network speaks plain HTTP; the
    # bearer token guards it). Removes itself unless METRICS_ENABLED (config/metrics.py).
    "config.metrics.RequestMetricsMiddleware",
    # The request id (and client address) from here on, so every later middleware's log
    # lines (a CSRF refusal, a redirect) carry it too, as the audit events do.
    "audit.context.AuditContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Logs out sessions older than SESSION_ABSOLUTE_AGE, before anything trusts request.user.
    "agencies.middleware.SessionLifetimeMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A 403/404 on a case-bearing route becomes an audit event, written after the view.
    "agencies.refused_reads.RefusedReadMiddleware",
    # The actor's area on the database connection, for row-level security (after auth).
    "agencies.db_context.DatabaseAreaMiddleware",
    # Holds administrators (and users with an authenticator) at the code page until verified.
    "agencies.middleware.SecondFactorMiddleware",
    "viewflow.middleware.SiteMiddleware",
    "viewflow.middleware.HotwireTurboMiddleware",
    # Last, as django-axes asks: turns a lockout flagged during the request into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Persistent connections: closing per request cuts throughput about 7x. The health check
# replaces a connection that died with a database restart before a request uses it.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Connections an uncached dashboard computes its figures on at once (partnership.figures.tuning).
DASHBOARD_LANES = env.int("DASHBOARD_LANES", default=2)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database host that drops packets (rather than refusing) must not hang a request or a
    # worker pass until TCP gives up: fail in seconds, answer 503, retry on the next pass.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
    # No JIT for the app's short queries: compiling took 318 of a case list's 390 ms at
    # 100,000 cases. Set per connection so it holds however the roles were created
    # (deploy/postgres/init-roles.sh also sets it on hsb_app); `?options=` in the URL wins.
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The role the app serves as (owns nothing); `migrate`, run as the owner, grants it access
# (agencies/db_context.py). Skipped when the role does not exist.
DATABASE_SERVING_ROLE = env.str("DATABASE_SERVING_ROLE", default="hsb_app")

AUTH_USER_MODEL = "agencies.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses any authenticate() call for a locked-out username and address.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Guardian's object permissions, honouring the expiry of access grants.
    "cases.backends.ExpiringObjectPermissionBackend",
]
# guardian.W001 looks for guardian's own backend by name; ours above subclasses it.
SILENCED_SYSTEM_CHECKS = ["guardian.W001"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "cases:index"
LOGOUT_REDIRECT_URL = "login"
# Records about children: sessions end with the browser and after 8 idle hours, and
# 12 hours after the login however busy (agencies.middleware.SessionLifetimeMiddleware).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Not saved on every request (an UPDATE per page): the same middleware pushes the idle expiry
# forward at most every few minutes (agencies.middleware.refresh_interval).
SESSION_SAVE_EVERY_REQUEST = False
SESSION_ABSOLUTE_AGE = env.int("SESSION_ABSOLUTE_AGE", default=12 * 60 * 60)

# Lockout (django-axes): AXES_FAILURE_LIMIT wrong passwords for one username from one client
# address lock that pair out for AXES_COOLOFF_MINUTES, on every path that calls
# authenticate(): the login page, the admin (which sends people to it) and /api/auth/token/.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# A successful login clears that pair's count: occasional slips never add up to a lockout.
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False  # no start-up banner in every manage.py command
# The real client address behind the TLS proxy (core/client_address.py): the number of
# reverse proxies in front of gunicorn that append to X-Forwarded-For. 0 ignores the header
# (without a proxy it is a spoof); 1 behind the one proxy the README describes.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "core.client_address.client_address"
# A slower per-username limit on top (agencies/lockout.py): USERNAME_FAILURE_LIMIT failures in
# USERNAME_FAILURE_WINDOW_HOURS, each address counting at most AXES_FAILURE_LIMIT, so guessing
# spread over many addresses stops too, yet one address alone cannot lock a user out beyond
# the cool-off. A team manager lifts either lock for their agency's users (/accounts/lockouts/).
AXES_HANDLER = "agencies.lockout.LockoutHandler"
AXES_LOCKOUT_CALLABLE = "agencies.lockout.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
USERNAME_FAILURE_LIMIT = env.int("USERNAME_FAILURE_LIMIT", default=50)
USERNAME_FAILURE_WINDOW = timedelta(hours=env.int("USERNAME_FAILURE_WINDOW_HOURS", default=24))
# Addresses the user logged in from within this many days escape the per-username lock.
USERNAME_LOCK_KNOWN_ADDRESS_AGE = timedelta(
    days=env.int("USERNAME_LOCK_KNOWN_ADDRESS_DAYS", default=30)
)

# Second factor (django-otp, TOTP): required for administrators, optional for everyone else;
# the rule lives in agencies/security.py.
OTP_TOTP_ISSUER = "HSB Pathways"
# The admin never shows a user's TOTP secret or QR code: lost phones are removed, not copied.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

REST_FRAMEWORK = {
    # Token first, so an unauthenticated API call answers 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # knox's, reusing the token the database area middleware already resolved.
        "agencies.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",
    # Bodies bounded in size, depth and fields, with no lone surrogates (config/parsers.py);
    # a renderer that cannot fail on text an error echoes (config/renderers.py).
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.JSONParser",
        "config.parsers.FormParser",
        "config.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "config.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "HSB Pathways API",
    "DESCRIPTION": (
        "Referral and assessment pathways for children displaying harmful sexual "
        "behaviour. Every endpoint needs an authenticated practitioner."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ContinuumLevelEnum": "pathways.continuum.ContinuumLevel",
        "ClosureReasonEnum": "pathways.closure.CLOSURE_REASON_CHOICES",
        "CensusClosureReasonEnum": "pathways.continuum.ClosureReason",
        "RepeatReferralOutcomeEnum": "cases.models.RepeatReferralOutcome",
        "BreakGlassOutcomeEnum": "cases.models.BreakGlassOutcome",
        # A case's involvement and a pathway part's involvements: one choice set.
        "InvolvementEnum": "pathways.involvement.Involvement",
    },
}

# API tokens (django-rest-knox): only a SHA-512 digest is stored; each expires after
# API_TOKEN_TTL_HOURS and ends at logout, password change and second-factor enrolment.
API_TOKEN_TTL_HOURS = env.int("API_TOKEN_TTL_HOURS", default=10)
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=API_TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

VIEWFLOW = {"AUTOREGISTER": False}
GUARDIAN_RAISE_403 = False
GUARDIAN_MONKEY_PATCH_USER = False
# No guardian "AnonymousUser" row: anonymous visitors get nothing per record.
ANONYMOUS_USER_NAME = None

# Logs to stderr, one line per record with the request id, never a query string or an
# exception's message (config/logging.py). LOG_FORMAT: "text" here, "json" in production.
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL)

# The timer worker (`manage.py run_worker`, the compose `worker`): seconds between its passes
# over due workflow timers. A stage deadline is flagged at most this long after it passes.
WORKER_INTERVAL_SECONDS = env.int("WORKER_INTERVAL_SECONDS", default=30)

# --- Observability (config/logging.py, config/metrics.py, config/observability.py) ----------
# Prometheus metrics at /metrics: request latency by route, timer lag, audit chain length and
# backlog, open cases; counts only, never a record. Off unless METRICS_ENABLED; every scrape
# must send `Authorization: Bearer <METRICS_TOKEN>` (no token configured: every scrape is
# refused; production refuses to start with metrics on and no token of 32+ characters).
# Answered by the metrics middleware before Host validation and the HTTPS redirect.
METRICS_ENABLED = env.bool("METRICS_ENABLED", default=False)
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Several gunicorn workers: prometheus_client reads this variable itself and keeps each
# worker's samples in files there, merged at scrape time. Empty the directory before gunicorn
# starts (deploy/gunicorn.conf.py does). Unset: one process, in-memory samples.
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
# Error reports to Sentry (or a compatible service) when SENTRY_DSN is set. Events carry the
# exception type, stack (no local variables), route, request id and safe headers: no bodies,
# query strings, cookies, user details or exception messages (config/observability.py).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="production")
# Share of requests sent as performance traces (0 to 1); 0 sends errors only.
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if SENTRY_DSN:
    init_sentry(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )

# --- Readiness (config/health.py) -----------------------------------------------------------
# /readyz answers 503 once the oldest due workflow timer has waited longer than this many
# seconds (no worker is firing them); 0 leaves timers out of readiness.
READY_MAX_TIMER_LAG_SECONDS = env.int("READY_MAX_TIMER_LAG_SECONDS", default=600)

# manage.py check_backup (audit/restore.py): a role that may create the scratch database a
# backup is restored into, e.g. postgres://postgres:…@db:5432/postgres. Empty: the server and
# role of DATABASE_URL (whose roles, hsb_owner and hsb_app, may not create databases).
RESTORE_CHECK_DATABASE_URL = env.str("RESTORE_CHECK_DATABASE_URL", default="")
