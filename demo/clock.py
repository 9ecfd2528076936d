"""The demo's clock: while the demo loads, the time the services read is the moment replayed.

The services stamp what they write with `django.utils.timezone.now()`: called through the
module, imported as `now` (viewflow's nodes), or as a field's default (viewflow's `created`),
it is always the same function, which reads `datetime.now` from `django.utils.timezone`'s own
namespace. `replayed_time()` swaps that one name for a `datetime` whose `now()` answers the
moment the loader sets, so a referral received six weeks ago is recorded, routed, timed and
audited six weeks ago by the services themselves: nothing is rewritten afterwards, and each
audit event is signed with the moment it carries (the trail verifies). Outside the block, and
before a moment is set, the real clock answers.

One process-wide name, swapped for the length of the block: only the demo loader (a command
or a test, one thread) uses it, and never under production settings.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.utils import timezone

_REAL = datetime.datetime


class _AnyDatetime(type):
    # isinstance() against the swapped name must still accept every real datetime.
    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, _REAL)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, _REAL)


class Clock:
    """The moment the services read while the block runs; None: the real time."""

    def __init__(self) -> None:
        self.moment: datetime.datetime | None = None

    def set(self, moment: datetime.datetime) -> None:
        if timezone.is_naive(moment):
            raise ValueError("the demo clock takes an aware datetime")
        if moment > _REAL.now(datetime.UTC):
            # Replaying the past only: nothing the demo writes is dated after it was written.
            raise ValueError(f"the demo clock never runs ahead of the real time ({moment})")
        self.moment = moment


@contextmanager
def replayed_time() -> Iterator[Clock]:
    clock = Clock()

    class _ReplayedDatetime(_REAL, metaclass=_AnyDatetime):
        @classmethod
        def now(cls, tz: datetime.tzinfo | None = None) -> datetime.datetime:  # type: ignore[override]
            if clock.moment is None:
                return _REAL.now(tz)
            if tz is None:  # naive local time, as datetime.now() gives (USE_TZ=False)
                return timezone.localtime(clock.moment).replace(tzinfo=None)
            return clock.moment.astimezone(tz)

    if getattr(timezone, "datetime", None) is not _REAL:
        raise RuntimeError("the demo clock is already running (or Django's timezone changed)")
    setattr(timezone, "datetime", _ReplayedDatetime)  # noqa: B010 - a module's global, swapped
    try:
        yield clock
    finally:
        setattr(timezone, "datetime", _REAL)  # noqa: B010
