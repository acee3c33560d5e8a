"""The only place that reads the wall clock."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests: stands still until moved."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._at += delta


_SYSTEM = SystemClock()
_current: ContextVar[Clock] = ContextVar("rotagraph_clock", default=_SYSTEM)


def current() -> Clock:
    """The clock of the running request or job (tests install a FixedClock)."""
    return _current.get()


def use(clock: Clock) -> None:
    """Install ``clock`` for the current task and the tasks it starts."""
    _current.set(clock)


class ClockReads:
    """What one request learned from the clock: whether its answer depends on "now", and
    until when that answer stays true (None: unknown, so it must not be reused)."""

    __slots__ = ("expires", "uncacheable")

    def __init__(self) -> None:
        self.uncacheable = False
        self.expires: datetime | None = None


_reads: ContextVar[ClockReads | None] = ContextVar("rotagraph_clock_reads", default=None)


def track() -> ClockReads:
    """Start recording clock reads for the current request."""
    reads = ClockReads()
    _reads.set(reads)
    return reads


def now() -> datetime:
    """The current instant. Inside a tracked request it marks the answer as depending on
    the clock with no known expiry, so that answer is never reused."""
    reads = _reads.get()
    if reads is not None:
        reads.uncacheable = True
    return _current.get().now()


def now_valid_until() -> datetime:
    """The current instant, for a caller that will declare with ``valid_until`` how long its
    answer stays true."""
    return _current.get().now()


def valid_until(instant: datetime) -> None:
    """Declare that the answer being built stays true until ``instant``."""
    reads = _reads.get()
    if reads is not None and (reads.expires is None or instant < reads.expires):
        reads.expires = instant
