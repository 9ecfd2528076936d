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

# Dependencies first, so code changes don't reinstall them.
COPY pyproject.toml README.md* ./
COPY requirements/constraints.txt requirements/constraints.txt
RUN pip install -c requirements/constraints.txt .

COPY . .

# Collect static files into STATIC_ROOT (/app/staticfiles) with WhiteNoise's manifest storage.
# The key below exists only for this build step; the running containers read SECRET_KEY
# from .env.
RUN SECRET_KEY=collectstatic-build-step-only-not-a-runtime-secret-0123456789 \
    AUDIT_CHAIN_KEYS=build:Y29sbGVjdHN0YXRpYy1idWlsZC1zdGVwLW9ubHktMzJi \
    python manage.py collectstatic --noinput

RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin hsb
# Audit anchors (AUDIT_ANCHOR_DIR): a named volume mounted here takes this owner on first use;
# the worker writes it, web mounts it read-only.
RUN mkdir -p /var/lib/hsb/audit-anchors && chown hsb /var/lib/hsb/audit-anchors
USER hsb

EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--workers", "2", "--worker-class", "sync", \
     "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
