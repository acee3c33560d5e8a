"""Destination and schedule status (SPEC §4), as pure functions of the clock.

"3 days" is 72 hours of elapsed time. Shifts a change left unexported count only once the
export that change triggered has had its first attempt, or the grace (EXPORT_GRACE_SECONDS,
default 60) has passed: until then the destination keeps the status it had, so dashboards
do not flash ERROR after every on-call change. A destination is
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
from datetime import UTC, datetime, timedelta

IMMINENT = timedelta(hours=72)


class Status(enum.Enum):
    PENDING = "PENDING"
    OK = "OK"
    WARNING = "WARNING"
    ERROR = "ERROR"


_RANK = {Status.OK: 0, Status.WARNING: 1, Status.ERROR: 2}


def in_grace(
    *,
    changed_at: datetime | None,
    last_attempt_at: datetime | None,
    grace: timedelta,
    now: datetime,
) -> bool:
    """Whether the shifts a change (at ``changed_at``) left unexported are still waiting for
    the export it triggered: no attempt has started since the change, and the grace has not
    passed. ``last_attempt_at`` is when the last finished attempt started."""
    if changed_at is None or now >= changed_at + grace:
        return False
    return last_attempt_at is None or last_attempt_at < changed_at


def with_grace(computed: Status, previous: Status) -> Status:
    """The status shown during a grace: never worse than the one before the change."""
    if computed is Status.PENDING or previous is Status.PENDING:
        return previous if previous is Status.PENDING else computed
    return computed if _RANK[computed] <= _RANK[previous] else previous


def status_reason(
    status: Status,
    *,
    shifts: Sequence[tuple[datetime, datetime]],
    exported_until: datetime | None,
    last_error: str | None,
    auto_export: bool,
    now: datetime,
) -> str | None:
    """Why a destination is WARNING or ERROR, for people (None for OK and PENDING)."""
    if status not in (Status.WARNING, Status.ERROR):
        return None
    missing = sorted(
        s for s, e in shifts if e > now and (exported_until is None or e > exported_until)
    )
    if missing and missing[0] <= now:
        what = "the shift running now is not exported"
    elif missing:
        when = missing[0].astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        what = f"shifts from {when} are not exported"
    else:
        what = "some confirmed shifts are not exported"
    if last_error:
        why = f"the last export failed: {last_error}"
    elif not auto_export:
        why = "autoExport is off: run exportDestination or exportSchedule"
    else:
        why = "the automatic export has not caught up yet"
    return f"{what}; {why}"[:500]


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
