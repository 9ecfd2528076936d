"""The API's JSON renderer, safe for any text an answer may echo.

DRF renders with `ensure_ascii=False` and encodes to UTF-8, so a lone surrogate echoed in
an error ("\\ud800" is not a valid choice) raised UnicodeEncodeError: a 500 instead of the
400. The parser refuses such text, but an answer must never depend on that: when the text
cannot be UTF-8, the same JSON is rendered with every non-ASCII character escaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import renderers


class JSONRenderer(renderers.JSONRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            return _AsciiJSONRenderer().render(data, accepted_media_type, renderer_context)


class _AsciiJSONRenderer(renderers.JSONRenderer):
    ensure_ascii = True
