# Production image for HSB Pathways: gunicorn serving config.wsgi, static files by WhiteNoise.
# Used by docker-compose.yml for both the `web` and the `worker` services.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

# libpq-dev and gcc build psycopg2 (libpq5 stays as its runtime library).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# The build steps live in deploy/build-app.sh, which CI runs too (scripts/check_production).
# Dependencies first, so code changes don't reinstall them.
COPY pyproject.toml README.md* ./
COPY requirements/constraints.txt requirements/constraints.txt
COPY deploy/build-app.sh deploy/build-app.sh
RUN sh deploy/build-app.sh deps

COPY . .

# Static files into STATIC_ROOT (/app/staticfiles), hashed and compressed (config/storage.py).
RUN sh deploy/build-app.sh static

RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin hsb
# Audit anchors (AUDIT_ANCHOR_DIR): a named volume mounted here takes this owner on first use;
# the worker writes it, web mounts it read-only.
RUN mkdir -p /var/lib/hsb/audit-anchors && chown hsb /var/lib/hsb/audit-anchors
USER hsb

EXPOSE 8000
# gunicorn's settings (bind, workers, access log) are shared with compose and the smoke test.
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi:application"]
