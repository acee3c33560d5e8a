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


def now() -> datetime:
    return _current.get().now()


def use(clock: Clock) -> None:
    """Install ``clock`` for the current task and the tasks it starts."""
    _current.set(clock)
