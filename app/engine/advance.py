"""ACTIVE_TURNS: a(t), the number of turns t' with 0 <= t' < t that meet the layer's coverage.

A turn is active when the layer covers some instant of it (recurrence, restrictions, pauses,
holiday rule, boundary(0)..end), whoever is available (SPEC §9). a(t) is counted without
walking every turn where the pattern is periodic:

- DAY / WEEK / HOUR turns with no recurrence or a REPEAT / PERIODIC / OCCURRENCE one: the dates
  the layer may be active on form runs between pauses, SKIP holidays and the recurrence's
  bounds. A turn all of whose dates lie inside one run is *clean*: whether it is active depends
  only on its place in a cycle of lcm(turn, 7 x every_n days) — one table per cycle (per UTC
  offset for HOUR turns, whose wall clock shifts at each transition), counted by arithmetic.
  The few turns at the edges of each run and around DST transitions are evaluated exactly.
- ICAL recurrences and ONLY layers: active only on sparse dates, counted from their sorted
  dates (each run of dates marks the turns its coverage touches).
- MONTH turns (twelve a year) are evaluated one by one.

Every path gives exactly the count of turns ``coverage`` finds non-empty; tests compare them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from app.engine.activity import subtract_runs
from app.engine.model import LayerInput, RecurrenceType, RotationUnit
from app.engine.restrictions import coverage, window_walls
from app.engine.turns import Rotation
from app.engine.wallclock import UTC, local_date, resolve_wall, wall

__all__ = ["ActiveTurns"]

_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0, 0)
_NEAR_TRANSITION = timedelta(hours=3)
_SCAN = timedelta(days=7)
_WALK_BELOW = 48


class ActiveTurns:
    """a(t) for one layer; build once per computation (it keeps its tables)."""

    __slots__ = ("_end_partial", "_ext", "_layer", "_rot", "_tables", "_te")

    def __init__(self, layer: LayerInput, rot: Rotation) -> None:
        self._layer = layer
        self._rot = rot
        self._tables: dict[timedelta, tuple[int, list[int]]] = {}
        if layer.restrictions:
            reach = max(
                timedelta(hours=r.start_time.hour, minutes=r.start_time.minute) + r.duration
                for r in layer.restrictions
            )
        else:
            reach = timedelta(hours=rot.handoff.hour, minutes=rot.handoff.minute) + _ONE_DAY
        # The windows (or the layer day) of date D lie within [D 00:00, D + ext days 00:00).
        self._ext = max(1, math.ceil(reach / _ONE_DAY))
        if rot.end is None:
            self._te: int | None = None
            self._end_partial = False
        else:
            self._te = self.ceil_turn(rot.end)
            self._end_partial = rot.boundary(self._te) != rot.end

    # ------------------------------------------------------------------------------ basics

    def ceil_turn(self, instant: datetime) -> int:
        """The first turn starting at or after ``instant``."""
        t = self._rot.turn_index(instant)
        return t if self._rot.boundary(t) == instant else t + 1

    def active(self, t: int) -> bool:
        """Whether turn ``t`` meets the layer's coverage (evaluated exactly)."""
        rot = self._rot
        if t < 0:
            return False
        lo = rot.boundary(t)
        hi = rot.boundary(t + 1)
        if rot.end is not None:
            hi = min(hi, rot.end)
        return bool(coverage(self._layer, rot, lo, hi))

    def _midnight(self, day: date) -> datetime:
        return resolve_wall(wall(day, _MIDNIGHT), self._rot.tz)

    # ------------------------------------------------------------------------------- count

    def count(self, t: int) -> int:
        """a(t): active turns in [0, t)."""
        limit = t if self._te is None else min(t, self._te)
        if limit <= 0:
            return 0
        layer = self._layer
        rec = layer.recurrence
        if limit <= _WALK_BELOW or layer.unit is RotationUnit.MONTH:
            return sum(1 for u in range(limit) if self.active(u))
        if self._rot.days.only or (rec is not None and rec.type is RecurrenceType.ICAL):
            return self._sparse(limit)
        return self._periodic(limit)

    def _sparse(self, limit: int) -> int:
        rot = self._rot
        first = local_date(rot.origin, rot.tz) - timedelta(days=self._ext)
        last = local_date(rot.boundary(limit), rot.tz)
        hi = rot.boundary(limit)
        if rot.end is not None:
            hi = min(hi, rot.end)
        touched: list[tuple[int, int]] = []
        for a, b in rot.days.runs(first, last):
            lo = max(self._midnight(a), rot.origin)
            span_hi = min(self._midnight(b + timedelta(days=self._ext)), hi)
            for start, end in coverage(self._layer, rot, lo, span_hi):
                touched.append((rot.turn_index(start), self.ceil_turn(end)))
        total = 0
        reach = 0
        for u0, u1 in sorted(touched):
            u0 = max(u0, reach)
            u1 = min(u1, limit)
            if u0 < u1:
                total += u1 - u0
                reach = u1
        return total

    def _steady_range(self) -> tuple[date, date]:
        rec = self._layer.recurrence
        if rec is None:
            return date.min, date.max
        if rec.type is RecurrenceType.OCCURRENCE:
            return rec.start, rec.end if rec.end is not None else rec.start
        return rec.start, rec.end if rec.end is not None else date.max

    def _periodic(self, limit: int) -> int:
        rot = self._rot
        clean_cap = limit
        dirty: set[int] = set()
        if self._te is not None and self._end_partial and self._te - 1 < limit:
            clean_cap = self._te - 1
            dirty.add(self._te - 1)
        r0, r1 = self._steady_range()
        first = max(r0, local_date(rot.origin, rot.tz) - timedelta(days=self._ext + 1))
        last = min(r1, local_date(rot.boundary(limit), rot.tz) + _ONE_DAY)
        if first > last:
            return sum(1 for u in dirty if self.active(u))
        ext = timedelta(days=self._ext)
        total = 0
        for a, b in subtract_runs([(first, last)], rot.days.excluded):
            touch0 = max(rot.turn_index(self._midnight(a)), 0)
            touch1 = min(self.ceil_turn(self._midnight(b + ext)), limit)
            c0 = max(self.ceil_turn(self._midnight(a - _ONE_DAY + ext)), touch0)
            c1 = min(rot.turn_index(self._midnight(b + _ONE_DAY)), clean_cap)
            if c0 < c1:
                total += self._clean(c0, c1, dirty)
                dirty.update(range(touch0, c0))
                dirty.update(range(c1, touch1))
            else:
                dirty.update(range(touch0, touch1))
        return total + sum(1 for u in dirty if 0 <= u < limit and self.active(u))

    # ------------------------------------------------------------------------ clean turns

    def _transitions(self, lo: datetime, hi: datetime) -> list[datetime]:
        """Instants in [lo, hi) where the zone's UTC offset changes (scanned weekly)."""
        tz = self._rot.tz
        found: list[datetime] = []
        at = lo
        offset = at.astimezone(tz).utcoffset()
        while at < hi:
            nxt = min(at + _SCAN, hi)
            nxt_offset = nxt.astimezone(tz).utcoffset()
            if nxt_offset != offset:
                low, high = at, nxt
                while high - low > timedelta(seconds=1):
                    mid = low + (high - low) / 2
                    if mid.astimezone(tz).utcoffset() == offset:
                        low = mid
                    else:
                        high = mid
                found.append(high)
                offset = nxt_offset
            at = nxt
        return found

    def _clean(self, c0: int, c1: int, dirty: set[int]) -> int:
        """Active turns among the clean turns [c0, c1); turns near DST transitions go to
        ``dirty`` instead."""
        rot = self._rot
        near: set[int] = set()
        for moment in self._transitions(rot.boundary(c0), rot.boundary(c1)):
            near.update(
                range(
                    rot.turn_index(moment - _NEAR_TRANSITION),
                    self.ceil_turn(moment + _NEAR_TRANSITION),
                )
            )
        near = {u for u in near if c0 <= u < c1}
        dirty.update(near)
        total = 0
        u = c0
        for stop in [*sorted(near), c1]:
            if u < stop:
                offset = rot.boundary(u).astimezone(rot.tz).utcoffset() or timedelta(0)
                count = self._table_count(offset)
                total += count(stop) - count(u)
            u = max(u, stop + 1)
        return total

    def _table_count(self, offset: timedelta) -> Callable[[int], int]:
        """F(x) = active clean turns in [0, x) if every turn were clean, at UTC ``offset``."""
        table = self._tables.get(offset)
        if table is None:
            table = self._tables[offset] = self._table(offset)
        period, prefix = table
        per_period = prefix[period]

        def count(x: int) -> int:
            cycles, rest = divmod(x, period)
            return cycles * per_period + prefix[rest]

        return count

    def _table(self, offset: timedelta) -> tuple[int, list[int]]:
        layer = self._layer
        rot = self._rot
        rec = layer.recurrence
        every = rec.every_n if rec is not None and rec.type is RecurrenceType.PERIODIC else 1
        every = max(every, 1)
        if layer.unit is RotationUnit.HOUR:
            step = timedelta(hours=layer.length)
            hours = layer.length
            period = math.lcm(hours, 24 * 7 * every) // hours
            base = rot.origin.replace(tzinfo=UTC) + offset
        else:
            days = layer.length * (7 if layer.unit is RotationUnit.WEEK else 1)
            step = timedelta(days=days)
            period = math.lcm(days, 7 * every) // days
            base = layer.start.replace(tzinfo=UTC)
        anchor = rec.start if rec is not None else date(2000, 1, 3)
        prefix = [0]
        for i in range(period):
            w0 = base + i * step
            hit = self._wall_active(w0, w0 + step, anchor, every)
            prefix.append(prefix[-1] + (1 if hit else 0))
        return period, prefix

    def _wall_active(self, w0: datetime, w1: datetime, anchor: date, every: int) -> bool:
        """Whether a window of a phase-matching date intersects the walls [w0, w1)."""
        layer = self._layer
        first = w0.date() - timedelta(days=self._ext)
        last = (w1 - timedelta(microseconds=1)).date()
        dates: list[date] = []
        day = first
        while day <= last:
            if every == 1 or ((day - anchor).days // 7) % every == 0:
                dates.append(day)
            day += _ONE_DAY
        if not dates:
            return False
        if layer.restrictions:
            walls = window_walls(layer, [(d, d) for d in dates])
            return any(start < w1 and end > w0 for start, end, _ in walls)
        handoff = self._rot.handoff
        return any(wall(d, handoff) < w1 and wall(d + _ONE_DAY, handoff) > w0 for d in dates)
