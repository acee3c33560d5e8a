"""Local wall time <-> UTC: the only place in the engine that converts between them.

``resolve(local, zone)`` is the earliest instant whose wall time in ``zone`` is at or after
``local``:
- an ordinary local time maps to its one instant;
- an ambiguous local time (the repeated hour when clocks go back) takes its first occurrence;
- a local time inside a spring-forward gap becomes the transition instant itself (02:30 on a
  02:00 -> 03:00 night gives the instant the clocks show 03:00), where a plain zoneinfo or
  dateutil conversion would give 03:30.

Inside the engine wall times travel as *walls*: datetimes holding the local wall-clock fields
but tagged UTC, so that wall arithmetic and ``wall - offset`` stay on C fast paths (a naive
``replace(tzinfo=...)`` costs more than the rest of a conversion). ``resolve_wall`` is
``resolve`` for a wall; ``resolve`` is the public entry for naive local datetimes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "UTC",
    "as_utc",
    "local_date",
    "resolve",
    "resolve_wall",
    "wall",
    "wall_of",
    "zone_info",
]

_SECOND = timedelta(seconds=1)
_DAY = timedelta(days=1)


def zone_info(zone: str | tzinfo) -> tzinfo:
    """The tzinfo for an IANA name (ZoneInfo caches instances itself); ValueError if unknown."""
    if not isinstance(zone, str):
        return zone
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {zone!r}") from exc


def resolve(local: datetime, zone: str | tzinfo) -> datetime:
    """The earliest aware UTC instant whose wall time in ``zone`` is at or after ``local``.

    ``local`` must be naive (its ``fold`` is ignored). See the module docstring for the gap and
    fold rules.
    """
    if local.tzinfo is not None:
        raise ValueError("resolve() takes a naive local wall time")
    return resolve_wall(local.replace(tzinfo=UTC, fold=0), zone_info(zone))


def resolve_wall(wall_time: datetime, tz: tzinfo) -> datetime:
    """``resolve`` for a wall (wall-clock fields tagged UTC, fold 0); returns aware UTC."""
    offset = tz.utcoffset(wall_time)
    # No transition within a day either side: the offset is the only one (the common case).
    if tz.utcoffset(wall_time - _DAY) == offset == tz.utcoffset(wall_time + _DAY):
        assert offset is not None
        return wall_time - offset
    return _resolve_near_transition(wall_time, tz)


def _resolve_near_transition(wall_time: datetime, tz: tzinfo) -> datetime:
    before = tz.utcoffset(wall_time)
    after = tz.utcoffset(wall_time.replace(fold=1))
    assert before is not None and after is not None
    if before >= after:
        # Unambiguous (equal offsets) or a fold: fold=0 is the first occurrence.
        return wall_time - before
    # Inside a gap: the transition lies in (wall - after, wall - before]. Zone transitions
    # fall on whole seconds, so bisect over whole seconds.
    local = wall_time.replace(tzinfo=None)
    low = (wall_time - after).replace(microsecond=0)  # wall time here is before the gap
    high = (wall_time - before).replace(microsecond=0) + _SECOND  # and here after it
    while high - low > _SECOND:
        mid = low + ((high - low) // _SECOND // 2) * _SECOND
        if mid.astimezone(tz).replace(tzinfo=None) >= local:
            high = mid
        else:
            low = mid
    return high


def wall(day: date, at: time) -> datetime:
    """The wall for local date ``day`` at ``at``."""
    return datetime.combine(day, at, UTC)


def wall_of(instant: datetime, tz: tzinfo) -> datetime:
    """The wall of an aware instant in ``tz``."""
    return instant.astimezone(tz).replace(tzinfo=UTC)


def as_utc(instant: datetime) -> datetime:
    """An aware instant expressed in UTC; ValueError for naive datetimes."""
    tz = instant.tzinfo
    if tz is UTC:
        return instant
    if tz is None or tz.utcoffset(instant) is None:
        raise ValueError("instants must be timezone-aware")
    return instant.astimezone(UTC)


def local_date(instant: datetime, tz: tzinfo) -> date:
    """The local calendar date of an aware instant in ``tz``."""
    return instant.astimezone(tz).date()
