"""Settings for the test suite: fast hashing, DEBUG off as in production."""

import os

os.environ.setdefault("DJANGO_ALLOW_INSECURE_KEY", "1")

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["*"]

# The benchmarks' viewflow peer flow (benchmarks/viewflow_peer.py) must live in an installed
# app for viewflow's "app_label/module.Class" references; tests and benchmarks only.
INSTALLED_APPS = [*INSTALLED_APPS, "benchmarks"]  # noqa: F405
