"""Destination and schedule status (SPEC §4), as pure functions of the clock.

"3 days" is 72 hours of elapsed time. A destination is
- PENDING while its source has no confirmed shift yet, or its first export attempt has not
  finished (later attempts in progress keep the status they had, so retries do not flap);
- ERROR when a confirmed shift not (fully) exported is running or starts within 72 hours;
- WARNING when some confirmed shift is not exported, all of them starting later than that;
- OK when every confirmed shift is exported.
A schedule is the worst of its destinations (ERROR > WARNING > OK), PENDING ones ignored
unless all are PENDING; with no destinations it is PENDING until it has confirmed shifts.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

IMMINENT = timedelta(hours=72)


class Status(enum.Enum):
    PENDING = "PENDING"
    OK = "OK"
    WARNING = "WARNING"
    ERROR = "ERROR"


_RANK = {Status.OK: 0, Status.WARNING: 1, Status.ERROR: 2}


def destination_status(
    *,
    shifts: Sequence[tuple[datetime, datetime]],
    exported_until: datetime | None,
    first_attempt_done: bool,
    now: datetime,
) -> Status:
    """``shifts`` are the source's confirmed shifts (start, end) that end after ``now``;
    a shift is exported when ``exported_until`` reaches its end."""
    if not shifts or not first_attempt_done:
        return Status.PENDING
    missing = [
        (s, e) for s, e in shifts if e > now and (exported_until is None or e > exported_until)
    ]
    if not missing:
        return Status.OK
    if any(s <= now + IMMINENT for s, _ in missing):
        return Status.ERROR
    return Status.WARNING


def next_change(
    *, shifts: Sequence[tuple[datetime, datetime]], exported_until: datetime | None, now: datetime
) -> datetime | None:
    """The next instant at which the status can change with no write: an unexported shift
    coming within 72 hours, or an unexported shift ending."""
    candidates = []
    for s, e in shifts:
        if e > now and (exported_until is None or e > exported_until):
            if s - IMMINENT > now:
                candidates.append(s - IMMINENT)
            candidates.append(e)
    return min(candidates) if candidates else None


def schedule_status(destinations: Iterable[Status], *, has_confirmed_shifts: bool) -> Status:
    statuses = list(destinations)
    if not statuses:
        return Status.OK if has_confirmed_shifts else Status.PENDING
    decided = [s for s in statuses if s is not Status.PENDING]
    if not decided:
        return Status.PENDING
    return max(decided, key=lambda s: _RANK[s])
