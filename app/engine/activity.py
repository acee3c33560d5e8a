"""Which local dates a layer is active on: its recurrence, pauses and holiday rule.

A date is active when the recurrence selects it (SPEC §2), no pause contains it, and the
holiday rule allows it: RUN ignores the holidays, SKIP makes holiday dates inactive, ONLY keeps
only holiday dates (SPEC §9). Dates are the layer days, or the window dates on restricted layers
(``app.engine.restrictions`` decides which date judges an instant).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, timedelta

from app.engine.model import HolidayRule, LayerInput
from app.engine.recurrence import DateRun, active_runs

__all__ = ["DayRules", "subtract_runs"]

_ONE_DAY = timedelta(days=1)


def _merge(runs: list[DateRun]) -> list[DateRun]:
    """Sorted runs with overlapping or touching runs joined."""
    merged: list[DateRun] = []
    for first, last in sorted(runs):
        if merged and first <= merged[-1][1] + _ONE_DAY:
            if last > merged[-1][1]:
                merged[-1] = (merged[-1][0], last)
        else:
            merged.append((first, last))
    return merged


def subtract_runs(runs: list[DateRun], minus: list[DateRun]) -> list[DateRun]:
    """``runs`` (sorted, disjoint) without the dates of ``minus`` (sorted, disjoint)."""
    if not minus:
        return runs
    out: list[DateRun] = []
    starts = [m[0] for m in minus]
    for first, last in runs:
        i = max(bisect_right(starts, first) - 1, 0)
        cursor = first
        while i < len(minus) and cursor <= last:
            m_first, m_last = minus[i]
            if m_last < cursor:
                i += 1
                continue
            if m_first > last:
                break
            if m_first > cursor:
                out.append((cursor, m_first - _ONE_DAY))
            cursor = m_last + _ONE_DAY
            i += 1
        if cursor <= last:
            out.append((cursor, last))
    return out


class DayRules:
    """The date rules of one layer, prepared once (sorted holidays and exclusions)."""

    __slots__ = ("excluded", "holidays", "only", "recurrence", "trivial")

    def __init__(self, layer: LayerInput) -> None:
        self.recurrence = layer.recurrence
        rule = layer.on_holidays
        self.holidays = sorted(layer.holidays)
        self.only = rule is HolidayRule.ONLY
        excluded = [(p.start, p.end) for p in layer.pauses if p.start <= p.end]
        if rule is HolidayRule.SKIP:
            excluded.extend((day, day) for day in self.holidays)
        # Pauses, and holiday dates on SKIP layers: the dates removed from the recurrence.
        self.excluded = _merge(excluded)
        self.trivial = not self.excluded and not self.only

    def excluded_day(self, day: date) -> bool:
        i = bisect_right(self.excluded, (day, date.max)) - 1
        return i >= 0 and self.excluded[i][0] <= day <= self.excluded[i][1]

    def ok(self, day: date) -> bool:
        """Whether pauses and the holiday rule leave ``day`` active (recurrence aside)."""
        if self.only:
            i = bisect_left(self.holidays, day)
            if i == len(self.holidays) or self.holidays[i] != day:
                return False
        return not self.excluded_day(day)

    def runs(self, first: date, last: date) -> list[DateRun]:
        """The maximal runs of active dates within [first, last]."""
        runs = active_runs(self.recurrence, first, last)
        if self.only:
            lo = bisect_left(self.holidays, first)
            hi = bisect_right(self.holidays, last)
            kept: list[DateRun] = []
            j = 0
            for day in self.holidays[lo:hi]:
                while j < len(runs) and runs[j][1] < day:
                    j += 1
                if j < len(runs) and runs[j][0] <= day:
                    kept.append((day, day))
            runs = _merge(kept)
        return subtract_runs(runs, self.excluded)
