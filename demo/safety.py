"""The demo area never loads under production settings.

It creates users whose shared password the README prints, an administrator among them, and
invented children's cases beside real ones: on a live installation that is a way in.
"""

from __future__ import annotations

from django.conf import settings


class DemoRefused(RuntimeError):
    pass


REFUSAL = (
    "The demo area refuses to load under production settings: it creates users with a "
    "published password (an administrator among them) and invented cases. Load it only on a "
    "development or training installation (DJANGO_SETTINGS_MODULE other than "
    "config.settings.production)."
)


def under_production_settings() -> bool:
    module = str(getattr(settings, "SETTINGS_MODULE", "") or "")
    return bool(getattr(settings, "PRODUCTION", False)) or module.endswith(".production")


def refuse_under_production() -> None:
    if under_production_settings():
        raise DemoRefused(REFUSAL)
