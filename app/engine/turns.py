"""Turn boundaries of a layer and who is on call in each turn.

boundary(t), for any integer t (turn t is [boundary(t), boundary(t + 1))):
- HOUR: resolve(start) + t x length hours of elapsed time (the local handoff drifts across DST);
- DAY / WEEK: resolve(start + t x length days / weeks) in local wall time;
- MONTH: resolve(the date t x length months after start's date, day clamped to that month's
  last day, at the handoff time), always counted from the original start (Jan 31 -> Feb 28 ->
  Mar 31), so it never drifts.

The turn containing an instant is found arithmetically: an estimate from elapsed or wall time,
corrected by comparing instants, so a layer started years ago costs what a new one does.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from app.engine.activity import DayRules
from app.engine.model import Direction, LayerInput, Participant, RotationUnit
from app.engine.wallclock import UTC, as_utc, resolve, resolve_wall, wall, wall_of, zone_info

__all__ = ["Rotation", "add_months", "boundary", "next_handoffs", "turn_index"]


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, its day clamped to the month's last day."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year = day.year + years
    month = month0 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def unique_participants(participants: tuple[Participant, ...]) -> tuple[Participant, ...]:
    """Participants in order with repeated contacts dropped (the first entry is kept)."""
    seen: set[int] = set()
    kept: list[Participant] = []
    for participant in participants:
        if participant.contact_id not in seen:
            seen.add(participant.contact_id)
            kept.append(participant)
    return tuple(kept)


class Rotation:
    """The arithmetic of one layer's turns. Cheap to build; holds no cache across calls."""

    __slots__ = (
        "_cycle",
        "_day_step",
        "_hour_step",
        "_indices",
        "_months",
        "_plain",
        "_start_wall",
        "contacts",
        "days",
        "end",
        "handoff",
        "k",
        "layer",
        "n",
        "origin",
        "participants",
        "r",
        "step",
        "tz",
        "unit",
    )

    def __init__(self, layer: LayerInput) -> None:
        self.layer = layer
        self.tz = zone_info(layer.zone)
        self.unit = layer.unit
        self.handoff = time(
            layer.start.hour, layer.start.minute, layer.start.second, layer.start.microsecond
        )
        self._start_wall = layer.start.replace(tzinfo=UTC, fold=0)
        self.origin = resolve_wall(self._start_wall, self.tz)
        self.end = None if layer.end is None else resolve(layer.end, self.tz)
        self.days = DayRules(layer)
        self.participants = unique_participants(layer.participants)
        self.contacts = tuple(p.contact_id for p in self.participants)
        self.n = len(self.contacts)
        self.k = layer.on_call
        self.r = layer.staff_to_rotate
        self.step = 1 if layer.direction is Direction.FORWARD else -1
        length = layer.length
        self._hour_step = timedelta(hours=length)
        self._day_step = timedelta(days=length * (7 if layer.unit is RotationUnit.WEEK else 1))
        self._months = length
        # Who is on repeats every n / gcd(n, r) turns: remember each phase once computed.
        self._cycle = self.n // math.gcd(self.n, self.r) if self.n else 1
        self._indices: dict[int, tuple[int, ...]] = {}
        self._plain: dict[int, tuple[int, ...]] = {}

    def _compute_indices(self, t: int) -> tuple[int, ...]:
        n = self.n
        if n == 0:
            return ()
        shift = t * self.r
        if self.step == 1:
            return tuple((shift + j) % n for j in range(self.k))
        return tuple((j - shift) % n for j in range(self.k))

    def boundary(self, t: int) -> datetime:
        """The instant turn ``t`` starts (aware UTC)."""
        unit = self.unit
        if unit is RotationUnit.HOUR:
            return self.origin + t * self._hour_step
        if unit is RotationUnit.MONTH:
            day = add_months(self._start_wall.date(), t * self._months)
            return resolve_wall(wall(day, self.handoff), self.tz)
        return resolve_wall(self._start_wall + t * self._day_step, self.tz)

    def turn_index(self, instant: datetime) -> int:
        """The largest t with boundary(t) <= instant (negative before the layer's start)."""
        if self.unit is RotationUnit.HOUR:
            return (instant - self.origin) // self._hour_step
        local = wall_of(instant, self.tz)
        start = self._start_wall
        if self.unit is RotationUnit.MONTH:
            months = (local.year - start.year) * 12 + local.month - start.month
            t = months // self._months
        else:
            t = (local - start) // self._day_step
        # The wall-clock estimate is off by at most one turn around DST transitions.
        while self.boundary(t) > instant:
            t -= 1
        while self.boundary(t + 1) <= instant:
            t += 1
        return t

    def turns_from(self, t: int) -> Iterator[tuple[int, datetime, datetime]]:
        """Turns t, t + 1, … as (index, start, end), computed incrementally (endless)."""
        unit = self.unit
        start = self.boundary(t)
        if unit is RotationUnit.HOUR:
            hour_step = self._hour_step
            while True:
                end = start + hour_step
                yield t, start, end
                t += 1
                start = end
        elif unit is RotationUnit.MONTH:
            while True:
                end = self.boundary(t + 1)
                yield t, start, end
                t += 1
                start = end
        else:
            tz = self.tz
            day_step = self._day_step
            next_wall = self._start_wall + t * day_step
            while True:
                next_wall += day_step
                end = resolve_wall(next_wall, tz)
                yield t, start, end
                t += 1
                start = end

    def indices(self, t: int) -> tuple[int, ...]:
        """Participant indices for positions 1..k in turn ``t``."""
        phase = t % self._cycle
        found = self._indices.get(phase)
        if found is None:
            found = self._indices[phase] = self._compute_indices(phase)
        return found

    def on_call(self, t: int) -> tuple[int, ...]:
        """Contact ids for positions 1..k in turn ``t`` of the plain rotation."""
        phase = t % self._cycle
        found = self._plain.get(phase)
        if found is None:
            contacts = self.contacts
            found = self._plain[phase] = tuple(contacts[i] for i in self.indices(phase))
        return found

    def handoffs_after(self, instant: datetime) -> Iterator[datetime]:
        """Boundaries strictly after ``instant``, stopping at the layer's end."""
        for _, start, _ in self.turns_from(max(self.turn_index(instant) + 1, 0)):
            if self.end is not None and start >= self.end:
                return
            yield start


def boundary(layer: LayerInput, t: int) -> datetime:
    """The instant turn ``t`` of ``layer`` starts (aware UTC)."""
    return Rotation(layer).boundary(t)


def turn_index(layer: LayerInput, instant: datetime) -> int:
    """The turn of ``layer`` containing the aware ``instant`` (negative before its start)."""
    return Rotation(layer).turn_index(as_utc(instant))


def next_handoffs(layer: LayerInput, after: datetime, count: int) -> tuple[datetime, ...]:
    """Up to ``count`` turn boundaries of ``layer`` strictly after ``after`` (restrictions and
    recurrence are not applied; nothing at or after the layer's end)."""
    found: list[datetime] = []
    if count <= 0:
        return ()
    for at in Rotation(layer).handoffs_after(as_utc(after)):
        found.append(at)
        if len(found) >= count:
            break
    return tuple(found)
