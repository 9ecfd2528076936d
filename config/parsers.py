"""The API's request parsers: JSON, bounded in size and depth and valid Unicode; forms,
bounded in size and number of fields.

DRF's own JSON parser reads the body straight from the stream (Django's
DATA_UPLOAD_MAX_MEMORY_SIZE never applies), lets a deeply nested document reach Python's
recursion limit (a 500 on every endpoint, the token endpoint included), and accepts lone
surrogates ("\\ud800"), which cannot be encoded as UTF-8: saved, they fail in PostgreSQL;
echoed in an error, they fail in the renderer. Each of these is a 400 or 413 here. DRF's
form parsers also read the stream whole; here they keep Django's limits
(DATA_UPLOAD_MAX_MEMORY_SIZE, DATA_UPLOAD_MAX_NUMBER_FIELDS). Form values cannot hold lone
surrogates: Django decodes them with replacement characters.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import QueryDict
from rest_framework import exceptions, parsers, status

# Deepest nesting of arrays and objects in a request body. The deepest payload the API
# defines (a pathway definition: stages, a stage's timescale) is 4 levels deep.
MAX_JSON_DEPTH = 20

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def max_body_bytes() -> int:
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440)


def _read_bounded(stream: IO[bytes] | None, meta: Mapping[str, Any]) -> bytes:
    limit = max_body_bytes()
    try:
        declared = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
    if stream is None:
        return b""
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
    return body


def _meta(parser_context: Mapping[str, Any]) -> Mapping[str, Any]:
    request = parser_context.get("request")
    return getattr(request, "META", {}) if request is not None else {}


def check_json_value(value: Any, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise ParseError when a parsed document nests deeper than `max_depth` or holds a lone
    surrogate in a string or key. Iterative: the check itself cannot hit the recursion limit."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if _LONE_SURROGATE.search(item):
                raise exceptions.ParseError("Text holds an invalid character (a lone surrogate).")
        elif isinstance(item, (list, dict)):
            if depth > max_depth:
                raise exceptions.ParseError(
                    f"JSON nested more than {max_depth} levels deep is not accepted."
                )
            if isinstance(item, dict):
                pending.extend((key, depth) for key in item)
                pending.extend((child, depth + 1) for child in item.values())
            else:
                pending.extend((child, depth + 1) for child in item)


class JSONParser(parsers.JSONParser):
    """JSON bodies up to DATA_UPLOAD_MAX_MEMORY_SIZE bytes, MAX_JSON_DEPTH levels deep,
    with no lone surrogates; anything else is a 400 (413 when too large)."""

    def parse(
        self,
        stream: IO[Any] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        parser_context = parser_context or {}
        body = _read_bounded(stream, _meta(parser_context))
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.decode(body, encoding)
        except (UnicodeDecodeError, LookupError) as error:
            raise exceptions.ParseError(f"The body is not valid {encoding} text.") from error
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except RecursionError as error:
            raise exceptions.ParseError(
                f"JSON nested more than {MAX_JSON_DEPTH} levels deep is not accepted."
            ) from error
        except ValueError as error:
            raise exceptions.ParseError(f"JSON parse error - {error}") from error
        check_json_value(data)
        return data


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; DRF refuses them too (strict mode).
    raise ValueError(f"{name} is not valid JSON")


class FormParser(parsers.FormParser):
    """URL-encoded forms (the token endpoint is often called so), within Django's limits."""

    def parse(
        self,
        stream: IO[Any] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        parser_context = parser_context or {}
        body = _read_bounded(stream, _meta(parser_context))
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            return QueryDict(body, encoding=encoding)
        except TooManyFieldsSent as error:
            raise exceptions.ParseError("The form has too many fields.") from error


class MultiPartParser(parsers.MultiPartParser):
    """Multipart forms: Django's parser applies its own limits; the declared length first."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        parser_context = parser_context or {}
        _read_bounded(None, _meta(parser_context))  # refuses a declared length over the limit
        try:
            return super().parse(stream, media_type, parser_context)
        except RequestDataTooBig as error:
            raise PayloadTooLarge() from error
        except (TooManyFieldsSent, TooManyFilesSent) as error:
            raise exceptions.ParseError("The form has too many fields or files.") from error
