"""Exact ledger arithmetic over confirmed rows: person shifts, hour classes, periods, pay.

Pure functions over aware instants; no I/O. Every local boundary (00:00, 06:00, 22:00, period
starts) goes through ``app.engine.resolve``, so a night across a DST change is as long as the
clocks say and a period boundary falls where the local calendar puts it.
"""

from __future__ import annotations

import bisect
import enum
import functools
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from app.engine import resolve
from app.engine.model import Origin
from app.stats.service import union

ZERO = timedelta(0)
_DAY = timedelta(days=1)
NIGHT_START = time(22, 0)
NIGHT_END = time(6, 0)
Span = tuple[datetime, datetime]


class HourClass(enum.Enum):
    NIGHT = "NIGHT"
    WEEKEND = "WEEKEND"
    HOLIDAY = "HOLIDAY"


NIGHT, WEEKEND, HOLIDAY = 1, 2, 4
"""The bits ``classified`` sets for each class (plain ints: this is the hot loop)."""
BITS = ((HourClass.NIGHT, NIGHT), (HourClass.WEEKEND, WEEKEND), (HourClass.HOLIDAY, HOLIDAY))


@dataclass(frozen=True, slots=True)
class Row:
    """One confirmed shift row as the ledger reads it."""

    schedule_id: int
    tier_id: int
    start: datetime
    end: datetime
    assignees: tuple[int, ...]
    origin: Origin


@dataclass(frozen=True, slots=True)
class PersonShift:
    """A person's shift: a maximal run of touching rows of one tier that include them.
    ``pieces`` are the rows' spans with their origins, in order."""

    contact_id: int
    schedule_id: int
    tier_id: int
    start: datetime
    end: datetime
    pieces: tuple[tuple[datetime, datetime, Origin], ...]


def person_shifts(rows: Iterable[Row]) -> list[PersonShift]:
    """Rows grouped into person shifts (per contact and tier, touching rows chained)."""
    by_key: dict[tuple[int, int, int], list[Row]] = defaultdict(list)
    for row in rows:
        if row.end <= row.start:
            continue
        for contact_id in dict.fromkeys(row.assignees):
            by_key[(contact_id, row.schedule_id, row.tier_id)].append(row)
    out: list[PersonShift] = []
    for (contact_id, schedule_id, tier_id), found in by_key.items():
        found.sort(key=lambda r: (r.start, r.end))
        run: list[Row] = []
        run_end = found[0].start
        for row in found:
            if run and row.start > run_end:
                out.append(_run(contact_id, schedule_id, tier_id, run))
                run = []
            run.append(row)
            run_end = max(run_end, row.end)
        out.append(_run(contact_id, schedule_id, tier_id, run))
    out.sort(key=lambda s: (s.contact_id, s.start, s.schedule_id, s.tier_id))
    return out


def _run(contact_id: int, schedule_id: int, tier_id: int, rows: list[Row]) -> PersonShift:
    return PersonShift(
        contact_id=contact_id,
        schedule_id=schedule_id,
        tier_id=tier_id,
        start=rows[0].start,
        end=max(r.end for r in rows),
        pieces=tuple((r.start, r.end, r.origin) for r in rows),
    )


@functools.lru_cache(maxsize=65536)
def _day_marks(day: date, tz: tzinfo) -> tuple[datetime, datetime, datetime]:
    """Local 00:00, 06:00 and 22:00 of ``day`` in ``tz`` as instants (shared by everyone in
    the zone, so cached)."""
    return (
        resolve(datetime.combine(day, time(0)), tz),
        resolve(datetime.combine(day, NIGHT_END), tz),
        resolve(datetime.combine(day, NIGHT_START), tz),
    )


def _boundaries(start: datetime, end: datetime, tz: tzinfo) -> list[datetime]:
    """Every local 00:00, 06:00 and 22:00 strictly inside (start, end), sorted."""
    out: set[datetime] = set()
    day = start.astimezone(tz).date() - _DAY
    last = end.astimezone(tz).date() + _DAY
    while day <= last:
        for instant in _day_marks(day, tz):
            if start < instant < end:
                out.add(instant)
        day += _DAY
    return sorted(out)


def classified(
    start: datetime, end: datetime, zone: tzinfo, holidays: frozenset[date] = frozenset()
) -> Iterator[tuple[datetime, datetime, int]]:
    """[start, end) cut at every local 00:00, 06:00 and 22:00 of ``zone``; each piece with the
    classes it belongs to as bits: NIGHT (22:00-06:00 local), WEEKEND (local Saturday or
    Sunday), HOLIDAY (local date in ``holidays``, the schedule's holiday dates)."""
    if end <= start:
        return
    cuts = [start, *_boundaries(start, end, zone), end]
    for lo, hi in itertools.pairwise(cuts):
        local = (lo + (hi - lo) / 2).astimezone(zone)
        bits = 0
        clock = local.time()
        if clock >= NIGHT_START or clock < NIGHT_END:
            bits = NIGHT
        if local.weekday() >= 5:
            bits |= WEEKEND
        if holidays and local.date() in holidays:
            bits |= HOLIDAY
        yield lo, hi, bits


def holiday_time(
    start: datetime, end: datetime, zone: tzinfo, holidays: frozenset[date]
) -> timedelta:
    """Elapsed time of [start, end) on local dates (in ``zone``) that are in ``holidays``."""
    return sum(
        (hi - lo for lo, hi, c in classified(start, end, zone, holidays) if c & HOLIDAY),
        ZERO,
    )


class Period(enum.Enum):
    WEEK = "WEEK"
    MONTH = "MONTH"
    QUARTER = "QUARTER"
    RANGE = "RANGE"


def _period_start(day: date, period: Period) -> date:
    if period is Period.WEEK:
        return day - timedelta(days=day.weekday())
    if period is Period.MONTH:
        return day.replace(day=1)
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _next_start(day: date, period: Period) -> date:
    if period is Period.WEEK:
        return day + timedelta(days=7)
    months = 1 if period is Period.MONTH else 3
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def periods(start: datetime, end: datetime, period: Period, zone: tzinfo) -> list[Span]:
    """[start, end) split at the local starts (in ``zone``) of weeks (Monday), months or
    quarters; RANGE is the whole window. The first and last periods are clipped."""
    if period is Period.RANGE:
        return [(start, end)]
    out: list[Span] = []
    day = _period_start(start.astimezone(zone).date(), period)
    while True:
        lo = max(resolve(datetime.combine(day, time()), zone), start)
        nxt = _next_start(day, period)
        hi = min(resolve(datetime.combine(nxt, time()), zone), end)
        if lo >= end:
            return out
        if hi > lo:
            out.append((lo, hi))
        day = nxt


@dataclass(slots=True)
class Figures:
    """One person's numbers over one period (and schedule, when per schedule)."""

    shifts: int = 0
    hours: timedelta = ZERO
    night: timedelta = ZERO
    weekend: timedelta = ZERO
    holiday: timedelta = ZERO
    on_demand: timedelta = ZERO
    substitution: timedelta = ZERO


@dataclass(slots=True)
class _Spans:
    all: list[Span] = field(default_factory=list)
    night: list[Span] = field(default_factory=list)
    weekend: list[Span] = field(default_factory=list)
    holiday: list[Span] = field(default_factory=list)
    on_demand: list[Span] = field(default_factory=list)
    substitution: list[Span] = field(default_factory=list)


def _length(spans: list[Span]) -> timedelta:
    return sum((hi - lo for lo, hi in union(spans)), ZERO)


Key = tuple[int, int, int | None]
"""(contact id, period index, schedule id or None across schedules)."""


def ledger(
    shifts: Sequence[PersonShift],
    *,
    windows: Sequence[Span],
    zones: Mapping[int, tzinfo],
    holidays: Mapping[int, frozenset[date]],
    per_schedule: bool,
) -> dict[Key, Figures]:
    """Figures per (contact, period, schedule or None) over ``windows`` (consecutive periods).

    Hours are split exactly at period edges; time on two tiers (or schedules) at once counts
    once. A shift counts in the period holding its start (clipped to the first window, so a
    shift begun earlier counts once, in the first period). Night and weekend time use the
    contact's zone (``zones``, UTC when missing); holiday time the holiday dates of the
    shift's schedule (``holidays``), judged by the contact's local date.
    """
    spans: dict[Key, _Spans] = defaultdict(_Spans)
    counts: dict[Key, int] = defaultdict(int)
    if not windows:
        return {}
    first = windows[0][0]
    starts = [lo for lo, _ in windows]
    for shift in shifts:
        zone = zones.get(shift.contact_id, UTC)
        dates = holidays.get(shift.schedule_id, frozenset())
        counted_at = max(shift.start, first)
        first_index = max(bisect.bisect_right(starts, shift.start) - 1, 0)
        for index in range(first_index, len(windows)):
            lo, hi = windows[index]
            if lo >= shift.end:
                break
            key: Key = (shift.contact_id, index, shift.schedule_id if per_schedule else None)
            if lo <= counted_at < hi and shift.end > lo:
                counts[key] += 1
            for a, b, origin in shift.pieces:
                a, b = max(a, lo), min(b, hi)
                if a >= b:
                    continue
                bucket = spans[key]
                bucket.all.append((a, b))
                if origin is Origin.ON_DEMAND:
                    bucket.on_demand.append((a, b))
                elif origin is Origin.SUBSTITUTION:
                    bucket.substitution.append((a, b))
                for x, y, classes in classified(a, b, zone, dates):
                    if classes & NIGHT:
                        bucket.night.append((x, y))
                    if classes & WEEKEND:
                        bucket.weekend.append((x, y))
                    if classes & HOLIDAY:
                        bucket.holiday.append((x, y))
    out: dict[Key, Figures] = {}
    for key, bucket in spans.items():
        out[key] = Figures(
            shifts=counts.get(key, 0),
            hours=_length(bucket.all),
            night=_length(bucket.night),
            weekend=_length(bucket.weekend),
            holiday=_length(bucket.holiday),
            on_demand=_length(bucket.on_demand),
            substitution=_length(bucket.substitution),
        )
    return out


@dataclass(frozen=True, slots=True)
class PayRule:
    """A schedule's pay rule from ``effective_from`` (an instant: local midnight of the
    rule's date in the schedule's zone) until the next rule's."""

    effective_from: datetime
    currency: str
    per_shift: bool
    rate: Decimal
    multipliers: Mapping[HourClass, Decimal]

    def multiplier(self, classes: int) -> Decimal:
        """The highest multiplier among ``classes`` (bits of ``classified``), 1 when none."""
        return max(
            (self.multipliers.get(c, Decimal(1)) for c, bit in BITS if classes & bit),
            default=Decimal(1),
        )


def rule_at(rules: Sequence[PayRule], instant: datetime) -> PayRule | None:
    """The rule in force at ``instant`` (``rules`` sorted by ``effective_from``)."""
    found = None
    for rule in rules:
        if rule.effective_from <= instant:
            found = rule
    return found


_HOUR_SECONDS = Decimal(3600)


def _hours(span: timedelta) -> Decimal:
    return Decimal(span // timedelta(microseconds=1)) / Decimal(1_000_000) / _HOUR_SECONDS


@dataclass(slots=True)
class Pay:
    currency: str
    amount: Decimal = Decimal(0)
    paid_hours: Decimal = Decimal(0)
    paid_shifts: int = 0


def pay(
    shifts: Sequence[PersonShift],
    *,
    start: datetime,
    end: datetime,
    rules: Mapping[int, Sequence[PayRule]],
    zones: Mapping[int, tzinfo],
    holidays: Mapping[int, frozenset[date]],
) -> dict[tuple[int, int, str], Pay]:
    """Pay per (contact, schedule, currency) for [start, end).

    Hourly rules: each piece of time is paid at the rule in force at that instant (a rule
    change mid-period splits it; earlier time keeps the earlier rule) times the highest
    multiplier applying to it; time on two tiers of one schedule at once is paid once. A
    per-shift rule pays a shift in the window holding its start (so consecutive windows never
    pay it twice), at the rule in force at its start, times the highest multiplier among all
    of the shift's time. No rule in force: unpaid.
    """
    out: dict[tuple[int, int, str], Pay] = {}
    hourly: dict[tuple[int, int], list[Span]] = defaultdict(list)
    for shift in shifts:
        if shift.end <= start or shift.start >= end:
            continue
        zone = zones.get(shift.contact_id, UTC)
        dates = holidays.get(shift.schedule_id, frozenset())
        sched_rules = rules.get(shift.schedule_id, ())
        rule = rule_at(sched_rules, shift.start)
        if rule is not None and rule.per_shift and start <= shift.start < end:
            best = max(
                (rule.multiplier(c) for _, _, c in classified(shift.start, shift.end, zone, dates)),
                default=Decimal(1),
            )
            entry = out.setdefault(
                (shift.contact_id, shift.schedule_id, rule.currency), Pay(rule.currency)
            )
            entry.amount += rule.rate * best
            entry.paid_shifts += 1
        hourly[(shift.contact_id, shift.schedule_id)].append(
            (max(shift.start, start), min(shift.end, end))
        )
    for (contact_id, schedule_id), spans in hourly.items():
        sched_rules = rules.get(schedule_id, ())
        cuts = sorted({r.effective_from for r in sched_rules})
        zone = zones.get(contact_id, UTC)
        dates = holidays.get(schedule_id, frozenset())
        for lo, hi in union(spans):
            edges = [lo, *(c for c in cuts if lo < c < hi), hi]
            for a, b in itertools.pairwise(edges):
                rule = rule_at(sched_rules, a)
                if rule is None or rule.per_shift:
                    continue
                entry = out.setdefault((contact_id, schedule_id, rule.currency), Pay(rule.currency))
                for x, y, classes in classified(a, b, zone, dates):
                    hours = _hours(y - x)
                    entry.amount += rule.rate * hours * rule.multiplier(classes)
                    entry.paid_hours += hours
    return out
