#!/bin/sh
# The application image's build steps, in one place: the Dockerfile runs them, and so does
# scripts/check_production (into .venv-runtime) before the production tests, so what CI tests
# is what the image builds.
#
#   deploy/build-app.sh          both steps
#   deploy/build-app.sh deps     the pinned runtime dependencies (no dev tools)
#   deploy/build-app.sh static   collectstatic under production settings into STATIC_ROOT
#
# PYTHON names the interpreter to install into and run (default: python on PATH).
set -eu

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}

deps() {
    echo "==> build-app: installing pinned runtime dependencies with $PYTHON"
    "$PYTHON" -m pip install --quiet -c requirements/constraints.txt .
}

static() {
    echo "==> build-app: collecting static files under production settings"
    # Production settings refuse to load without a long SECRET_KEY and a real audit chain key;
    # collectstatic uses neither, so these exist for this step only and are not secrets. They
    # override any in the environment, so a real key never reaches a build log or layer.
    DJANGO_SETTINGS_MODULE=config.settings.production \
        DEBUG=0 \
        SECRET_KEY=collectstatic-build-step-only-not-a-runtime-secret-0123456789 \
        AUDIT_CHAIN_KEYS=build:Y29sbGVjdHN0YXRpYy1idWlsZC1zdGVwLW9ubHktMzJi \
        "$PYTHON" manage.py collectstatic --noinput
}

case "${1:-all}" in
    deps) deps ;;
    static) static ;;
    all)
        deps
        static
        ;;
    *)
        echo "usage: deploy/build-app.sh [deps|static|all]" >&2
        exit 2
        ;;
esac
