"""Log lines that carry a request id and never a child's details.

Two filters go on every handler (Django's and gunicorn's, `logging_config`):

- `RequestIdFilter` puts the request id (audit.context) on each record, so a log line, the
  response's X-Request-ID and the audit events of one request share one id.
- `RedactingFilter` keeps record content out: query strings (a child search or a duplicates
  look-up carries a name in `?q=`) are cut from the rendered message, and an exception keeps
  its type and stack but not its message (a database error quotes the failing row; a
  `ValueError` quotes the value). The request id leads from the line to the audit trail.

`JsonFormatter` writes one JSON object per line with a fixed set of fields; extras such as
Django's `request` (whose repr is the full path with its query) are never written.

Nothing here reads settings at import: gunicorn's master loads it before Django is set up.
"""

from __future__ import annotations

import logging
import re
import traceback
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

from audit.context import REQUEST_ID_ATTRIBUTE, current_request_context

# gunicorn passes the access log's atoms as the record's args: the response header set by
# the middleware, under gunicorn's atom name.
GUNICORN_REQUEST_ID_ATOM = "{x-request-id}o"

QUERY_REMOVED = "?[query removed]"
# A query string after a path or URL: from "?" to the next space or quote. Not one already
# removed: a record can pass through two handlers' filters.
_QUERY_STRING = re.compile(r"(?<=[\w/.%~-])\?(?!\[query removed\])[^\s\"'<>]*")
MESSAGE_WITHHELD = "[message withheld]"

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def strip_query_strings(text: str) -> str:
    return _QUERY_STRING.sub(QUERY_REMOVED, text)


def _exception_chain(exc: BaseException) -> list[BaseException]:
    """The exception and those it was raised from or during, oldest first (as Python prints)."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        if current.__cause__ is not None:
            current = current.__cause__
        elif current.__suppress_context__:
            current = None
        else:
            current = current.__context__
    return list(reversed(chain))


def exception_name(exc: BaseException) -> str:
    cls = type(exc)
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )


def format_exception_without_messages(exc: BaseException) -> str:
    """A traceback like Python's, each exception's message replaced by MESSAGE_WITHHELD.

    Frames show file, line, function and source line (code, never values); no locals.
    """
    parts: list[str] = []
    for index, link in enumerate(_exception_chain(exc)):
        if index:
            parts.append(
                "\nThe above exception was the direct cause of the following exception:\n\n"
                if link.__cause__ is not None
                else "\nDuring handling of the above exception, another exception occurred:\n\n"
            )
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(link.__traceback__))
        parts.append(f"{exception_name(link)}: {MESSAGE_WITHHELD}\n")
    return "".join(parts).rstrip("\n")


class RequestIdFilter(logging.Filter):
    """Adds `request_id`: the current request's (or bound job's), else the one on the record's
    request or gunicorn access atoms, else ""."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", ""):
            return True
        request_id = current_request_context().request_id
        if not request_id:
            # Django's line for a 4xx/5xx, logged after the middleware has returned.
            request_id = getattr(getattr(record, "request", None), REQUEST_ID_ATTRIBUTE, "")
        if not request_id and isinstance(record.args, dict):
            atom = record.args.get(GUNICORN_REQUEST_ID_ATOM, "")
            request_id = atom if isinstance(atom, str) and atom != "-" else ""
        record.request_id = request_id if isinstance(request_id, str) else ""
        return True


class RedactingFilter(logging.Filter):
    """Cuts query strings from the message and exception messages from the traceback.

    The message is rendered here and stored back without args, so every handler after this
    one (and every formatter) sees only the redacted text.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line
            message = str(record.msg)
        record.msg = strip_query_strings(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = format_exception_without_messages(record.exc_info[1])
            # Formatters then print exc_text as it is, never the original exception.
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = strip_query_strings(record.exc_text)
        return True


class JsonFormatter(_BaseJsonFormatter):
    """One JSON object per line: timestamp, level, logger, message, request_id, and
    status_code / exc_info / stack_info when present. Nothing else from the record."""

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["timestamp"] = datetime.fromtimestamp(record.created, tz=UTC).isoformat(
            timespec="milliseconds"
        )
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["message"] = record.message
        log_data["request_id"] = getattr(record, "request_id", "")
        status_code = getattr(record, "status_code", None)
        if isinstance(status_code, int):
            log_data["status_code"] = status_code
        for key in ("exc_info", "stack_info"):
            if message_dict.get(key):
                log_data[key] = message_dict[key]


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)


LOG_FORMATS = ("json", "text")


def logging_config(*, log_format: str, level: str = "INFO") -> dict[str, Any]:
    """The LOGGING dict (and gunicorn's logconfig_dict): one stderr handler, both filters."""
    if log_format not in LOG_FORMATS:
        raise ImproperlyConfigured(
            f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}"
        )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "config.logging.RequestIdFilter"},
            "redact": {"()": "config.logging.RedactingFilter"},
        },
        "formatters": {
            "json": {"()": "config.logging.JsonFormatter"},
            "text": {"()": "config.logging.TextFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id", "redact"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own handlers would print 5xx tracebacks a second time (DEBUG) or mail
            # them; everything propagates to the one handler above instead.
            "django": {"handlers": [], "level": level, "propagate": True},
            # With DEBUG on, this logs every SQL statement with its parameters: children's
            # names and dates of birth. Never below WARNING.
            "django.db.backends": {"level": "WARNING", "propagate": True},
            # runserver's request lines (development), query strings and all: through the
            # filters like everything else.
            "django.server": {"handlers": [], "level": "INFO", "propagate": True},
            "gunicorn.error": {"handlers": [], "level": level, "propagate": True},
            "gunicorn.access": {"handlers": [], "level": "INFO", "propagate": True},
        },
    }
