"""When a layer applies: its active layer days and its restriction windows.

A layer day D runs from resolve(D + handoff) to resolve(D + 1 day + handoff). Without
restrictions a layer covers its active layer days (every day when it has no recurrence). With
restrictions it covers only the windows that belong to active dates: a window belongs to the
local date it starts on, and it is used when that date is active, wherever its hours fall
relative to the handoff. So "Mon-Fri, 06:00-08:00" with a 09:00 handoff covers Monday to Friday
mornings, and a 17:00 + 16 h night window of an active Friday runs to Saturday 09:00. A window
runs from resolve(date + start) to resolve(date + start + duration) in local wall time, so a
24-hour daily window tiles the days exactly across DST.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from app.engine.intervals import Span, clip, union
from app.engine.model import LayerInput, RestrictionKind
from app.engine.recurrence import DateRun, active_runs
from app.engine.turns import Rotation
from app.engine.wallclock import local_date, resolve_wall, wall

__all__ = ["coverage", "day_spans", "window_dates"]

_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0, 0)


def window_dates(rot: Rotation, lo: datetime, hi: datetime, lookback_days: int = 1) -> DateRun:
    """The local dates whose layer days (or windows reaching ``lookback_days`` ahead) can
    intersect [lo, hi)."""
    return (
        local_date(lo, rot.tz) - timedelta(days=lookback_days),
        local_date(hi, rot.tz),
    )


def day_spans(rot: Rotation, runs: list[DateRun]) -> list[Span]:
    """The instants of the layer days of each run of dates, one span per run."""
    tz = rot.tz
    handoff = rot.handoff
    return [
        (resolve_wall(wall(first, handoff), tz), resolve_wall(wall(last + _ONE_DAY, handoff), tz))
        for first, last in runs
    ]


def _windows(layer: LayerInput, rot: Rotation, runs: list[DateRun]) -> list[Span]:
    """The restriction windows of the dates in ``runs``, joined where they touch or overlap.

    Joining walls before resolving them is exact because resolve is monotone."""
    restrictions = [
        (
            r.weekday if r.kind is RestrictionKind.WEEKLY else None,
            timedelta(hours=r.start_time.hour, minutes=r.start_time.minute)
            + timedelta(seconds=r.start_time.second, microseconds=r.start_time.microsecond),
            r.duration,
        )
        for r in layer.restrictions
    ]
    walls: list[tuple[datetime, datetime]] = []
    for first, last in runs:
        day = first
        midnight = wall(first, _MIDNIGHT)
        while day <= last:
            weekday = day.weekday()
            for on_weekday, opens, duration in restrictions:
                if on_weekday is None or on_weekday == weekday:
                    start = midnight + opens
                    walls.append((start, start + duration))
            day += _ONE_DAY
            midnight += _ONE_DAY
    tz = rot.tz
    return [(resolve_wall(start, tz), resolve_wall(end, tz)) for start, end in union(walls)]


def coverage(layer: LayerInput, rot: Rotation, lo: datetime, hi: datetime) -> list[Span]:
    """Sorted, disjoint spans within [lo, hi) during which ``layer`` applies."""
    if lo >= hi:
        return []
    if layer.recurrence is None and not layer.restrictions:
        return [(lo, hi)]
    if not layer.restrictions:
        first, last = window_dates(rot, lo, hi)
        return clip(day_spans(rot, active_runs(layer.recurrence, first, last)), lo, hi)
    longest = max(r.duration for r in layer.restrictions)
    first, last = window_dates(rot, lo, hi, lookback_days=longest.days + 2)
    runs = active_runs(layer.recurrence, first, last)
    return clip(_windows(layer, rot, runs), lo, hi)
