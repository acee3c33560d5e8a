"""When a layer applies: its active layer days and its restriction windows.

A layer day D runs from resolve(D + handoff) to resolve(D + 1 day + handoff). Without
restrictions a layer covers its active layer days (every day when it has no recurrence, pause
or holiday rule). With restrictions the windows of the dates the recurrence selects are the
layer's windows: a window belongs to the local date it starts on, wherever its hours fall
relative to the handoff. So "Mon-Fri, 06:00-08:00" with a 09:00 handoff covers Monday to Friday
mornings, and a 17:00 + 16 h night window of an active Friday runs to Saturday 09:00. A window
runs from resolve(date + start) to resolve(date + start + duration) in local wall time, so a
24-hour daily window tiles the days exactly across DST.

Each instant of a restricted layer is judged by one date (SPEC §2): the date of the
earliest-starting window covering it. Pauses and the holiday rule (``app.engine.activity``), and
participants' weekdays, apply to that date; so the layer covers the judged pieces whose date is
active.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from app.engine.intervals import Span, clip, union
from app.engine.model import LayerInput, RestrictionKind
from app.engine.recurrence import DateRun, active_runs
from app.engine.turns import Rotation
from app.engine.wallclock import local_date, resolve_wall, wall

__all__ = ["DatedSpan", "coverage", "dated_windows", "day_spans", "window_dates", "window_walls"]

_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0, 0)

# A judged piece of a window: start, end (aware UTC) and the local date that judges it.
DatedSpan = tuple[datetime, datetime, date]
# A restriction as (weekday or None for daily, opening offset from midnight, duration).
_Opening = tuple[int | None, timedelta, timedelta]


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


def _openings(layer: LayerInput) -> list[_Opening]:
    return [
        (
            r.weekday if r.kind is RestrictionKind.WEEKLY else None,
            timedelta(hours=r.start_time.hour, minutes=r.start_time.minute)
            + timedelta(seconds=r.start_time.second, microseconds=r.start_time.microsecond),
            r.duration,
        )
        for r in layer.restrictions
    ]


def window_walls(layer: LayerInput, runs: list[DateRun]) -> list[tuple[datetime, datetime, date]]:
    """The restriction windows of the dates in ``runs`` as walls with their dates, by start."""
    openings = _openings(layer)
    walls: list[tuple[datetime, datetime, date]] = []
    for first, last in runs:
        day = first
        midnight = wall(first, _MIDNIGHT)
        while day <= last:
            weekday = day.weekday()
            for on_weekday, opens, duration in openings:
                if on_weekday is None or on_weekday == weekday:
                    start = midnight + opens
                    walls.append((start, start + duration, day))
            day += _ONE_DAY
            midnight += _ONE_DAY
    walls.sort()
    return walls


def _lookback(layer: LayerInput) -> int:
    return max(r.duration for r in layer.restrictions).days + 2


def dated_windows(layer: LayerInput, rot: Rotation, lo: datetime, hi: datetime) -> list[DatedSpan]:
    """The judged pieces of the layer's windows within [lo, hi): sorted and disjoint, each
    instant judged by the earliest-starting window covering it (restricted layers only)."""
    if lo >= hi or not layer.restrictions:
        return []
    first, last = window_dates(rot, lo, hi, lookback_days=_lookback(layer))
    tz = rot.tz
    pieces: list[DatedSpan] = []
    reach: datetime | None = None
    for start, end, day in window_walls(layer, active_runs(layer.recurrence, first, last)):
        if reach is not None and start < reach:
            if end <= reach:
                continue
            start = reach
        reach = end
        a = resolve_wall(start, tz)
        b = resolve_wall(end, tz)
        if a < hi and b > lo and a < b:
            pieces.append((max(a, lo), min(b, hi), day))
    return pieces


def _windows(layer: LayerInput, rot: Rotation, runs: list[DateRun]) -> list[Span]:
    """The restriction windows of the dates in ``runs``, joined where they touch or overlap.

    Joining walls before resolving them is exact because resolve is monotone."""
    tz = rot.tz
    walls = [(start, end) for start, end, _ in window_walls(layer, runs)]
    return [(resolve_wall(start, tz), resolve_wall(end, tz)) for start, end in union(walls)]


def coverage(layer: LayerInput, rot: Rotation, lo: datetime, hi: datetime) -> list[Span]:
    """Sorted, disjoint spans within [lo, hi) during which ``layer`` applies."""
    if lo >= hi:
        return []
    days = rot.days
    if not layer.restrictions:
        if layer.recurrence is None and days.trivial:
            return [(lo, hi)]
        first, last = window_dates(rot, lo, hi)
        return clip(day_spans(rot, days.runs(first, last)), lo, hi)
    if days.trivial:
        first, last = window_dates(rot, lo, hi, lookback_days=_lookback(layer))
        runs = active_runs(layer.recurrence, first, last)
        return clip(_windows(layer, rot, runs), lo, hi)
    ok = days.ok
    return union((a, b) for a, b, day in dated_windows(layer, rot, lo, hi) if ok(day))
