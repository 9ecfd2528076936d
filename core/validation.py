"""Shared checks of text and list input, for services (the rule) and serializers (the shape).

Identifiers (a child's reference, a crime reference, an audit round's label) are read, copied
and searched by people: a control character hides in them, and a bidirectional override
(U+202A-U+202E, U+2066-U+2069) makes one reference display as another ("Trojan Source").
Neither has any place in an identifier, so both are refused, naming the field.

A break-glass reason is read by the manager who reviews the emergency access: it must be
words, not "..." or "aaaa".

Each check returns the message, or None: services add it to their own error collections;
the DRF validators below raise it. `text` reads a text input as a service keeps it.
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers

# C0 controls (tab and newlines included: an identifier is one line), DEL and C1 controls;
# bidirectional embeddings, overrides and isolates, and the invisible direction marks.
_UNSAFE_IN_IDENTIFIER = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
IDENTIFIER_MESSAGE = (
    "Use letters, digits and punctuation only: control characters and text-direction "
    "overrides are not allowed."
)

# A break-glass reason: at least this many words (runs of two or more letters), this many
# letters in all, and this many different letters.
REASON_MIN_WORDS = 2
REASON_MIN_LETTERS = 12
REASON_MIN_DISTINCT_LETTERS = 5
REASON_MESSAGE = (
    f"Give the reason in words (at least {REASON_MIN_WORDS} words and "
    f"{REASON_MIN_LETTERS} letters): the manager reviewing this access reads it."
)
_WORD = re.compile(r"[^\W\d_]{2,}")
_LETTER = re.compile(r"[^\W\d_]")


def text(value: Any) -> str:
    """Text input as a service keeps it: surrounding whitespace removed; None (or anything
    that is not a string) is blank, for the service's own "required" message to name."""
    return value.strip() if isinstance(value, str) else ""


# Text longer than its limit, in one wording for every write (as "At most N items." and
# "At most N characters of YAML." for pathway definitions).
LENGTH_MESSAGE = "At most {limit} characters."


def length_problem(value: str, limit: int) -> str | None:
    """The message when `value` is longer than `limit` characters (a constant of core.limits)."""
    if len(value) > limit:
        return LENGTH_MESSAGE.format(limit=limit)
    return None


def required_problem(value: str, message: str, *, max_length: int) -> str | None:
    """`message` when `value` is blank, the length message when it is longer than
    `max_length`, else None."""
    if not value:
        return message
    return length_problem(value, max_length)


def identifier_problem(value: Any) -> str | None:
    """The message when `value` holds a control or bidirectional-override character."""
    if isinstance(value, str) and _UNSAFE_IN_IDENTIFIER.search(value):
        return IDENTIFIER_MESSAGE
    return None


def reason_problem(value: Any) -> str | None:
    """The message when a break-glass reason is not words (blank is the caller's own check)."""
    text = value if isinstance(value, str) else ""
    letters = [letter.casefold() for letter in _LETTER.findall(text)]
    if (
        len(_WORD.findall(text)) < REASON_MIN_WORDS
        or len(letters) < REASON_MIN_LETTERS
        or len(set(letters)) < REASON_MIN_DISTINCT_LETTERS
    ):
        return REASON_MESSAGE
    return identifier_problem_in_prose(text)


def identifier_problem_in_prose(value: str) -> str | None:
    """Prose may hold newlines and tabs, but never other controls or direction overrides."""
    if _UNSAFE_IN_IDENTIFIER.search(value.replace("\n", "").replace("\r", "").replace("\t", "")):
        return "Control characters and text-direction overrides are not allowed."
    return None


def validate_identifier(value: Any) -> None:
    """DRF field validator: `validators=[validate_identifier]`."""
    message = identifier_problem(value)
    if message:
        raise serializers.ValidationError(message)


def validate_reason(value: Any) -> None:
    """DRF field validator for a break-glass reason."""
    message = reason_problem(value) if isinstance(value, str) and value.strip() else None
    if message:
        raise serializers.ValidationError(message)


class BoundedListField(serializers.ListField):
    """A list with a maximum (`max_length`, shown as `maxItems` in the schema) that is
    refused before any item is validated, so an oversized list costs nothing."""

    def to_internal_value(self, data: Any) -> Any:
        if self.max_length is not None and isinstance(data, list) and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)
