"""On-call statistics of a schedule: who carried how much, at night and at weekends.

The arithmetic is plain functions over aware instants (``night_time``, ``weekend_time``,
``tally``, ``order``); ``schedule_stats`` loads the tiers' final shifts and the contacts once,
then calls them. Every local boundary (22:00, 06:00, Saturday 00:00, Monday 00:00) goes through
``app.engine.resolve``, so a night across a DST change is as long as the clocks say: 22:00 to
06:00 is 7 hours on a spring-forward night and 9 hours on a fall-back night.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.contacts import models as contact_models
from app.engine import Shift, resolve
from app.shifts import final as final_shifts
from app.tiers import models as tier_models

ZERO = timedelta(0)
_DAY = timedelta(days=1)
NIGHT_START = time(22, 0)
NIGHT_END = time(6, 0)
SATURDAY = 5

Span = tuple[datetime, datetime]


def _zone(name: str | tzinfo) -> tzinfo:
    if not isinstance(name, str):
        return name
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _overlap(a: Span, b: Span) -> timedelta:
    lo, hi = max(a[0], b[0]), min(a[1], b[1])
    return hi - lo if hi > lo else ZERO


def _local_date(instant: datetime, tz: tzinfo) -> date:
    return instant.astimezone(tz).date()


def night_time(start: datetime, end: datetime, zone: str | tzinfo) -> timedelta:
    """Elapsed time of [start, end) that falls between 22:00 and 06:00 wall-clock in ``zone``.

    Night D runs from resolve(D 22:00) to resolve(D+1 06:00), so its length follows the
    clocks (7 h when they spring forward that night, 9 h when they fall back). An empty or
    reversed interval gives zero. ``start`` and ``end`` must be aware.
    """
    if end <= start:
        return ZERO
    tz = _zone(zone)
    total = ZERO
    day = _local_date(start, tz) - _DAY  # yesterday's night may still be running at start
    last = _local_date(end, tz)
    while day <= last:
        night = (
            resolve(datetime.combine(day, NIGHT_START), tz),
            resolve(datetime.combine(day + _DAY, NIGHT_END), tz),
        )
        total += _overlap((start, end), night)
        day += _DAY
    return total


def weekend_time(start: datetime, end: datetime, zone: str | tzinfo) -> timedelta:
    """Elapsed time of [start, end) between local Saturday 00:00 and Monday 00:00 in ``zone``
    (both through ``resolve``: a weekend with a DST change lasts 47 h or 49 h). An empty or
    reversed interval gives zero. ``start`` and ``end`` must be aware."""
    if end <= start:
        return ZERO
    tz = _zone(zone)
    first = _local_date(start, tz)
    saturday = first - timedelta(days=(first.weekday() - SATURDAY) % 7)
    total = ZERO
    while True:
        weekend_start = resolve(datetime.combine(saturday, time()), tz)
        if weekend_start >= end:
            return total
        weekend_end = resolve(datetime.combine(saturday + 2 * _DAY, time()), tz)
        total += _overlap((start, end), (weekend_start, weekend_end))
        saturday += 7 * _DAY


def union(spans: Iterable[Span]) -> list[Span]:
    """Sorted, non-overlapping, non-touching spans covering the same time; empty ones dropped."""
    out: list[Span] = []
    for lo, hi in sorted(s for s in spans if s[1] > s[0]):
        if out and lo <= out[-1][1]:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


@dataclass(frozen=True, slots=True)
class Tally:
    """One contact's on-call numbers over a window (durations exact, as timedeltas)."""

    contact_id: int
    shift_count: int
    on_call: timedelta
    night: timedelta
    weekend: timedelta
    tier_numbers: tuple[int, ...]


def tally(
    shifts_by_tier: Mapping[int, Sequence[Shift]],
    zones: Mapping[int, str | tzinfo],
    start: datetime,
    end: datetime,
) -> dict[int, Tally]:
    """Per contact on call in [start, end): shifts, time on call, night and weekend time.

    ``shifts_by_tier`` maps a tier number to its final shifts (any order, any extent: they are
    clipped to the window). A contact's shift on a tier is a continuous stretch on call there,
    however many pieces it is made of (position changes, overrides), so a stretch crossing a
    window edge counts once. ``shift_count`` adds up the tiers; time counts once even when the
    contact is on two tiers at the same moment. Night and weekend time use the contact's zone
    from ``zones`` (UTC when missing). Contacts never on call in the window are absent.
    """
    stretches: dict[int, list[Span]] = defaultdict(list)
    counts: dict[int, int] = defaultdict(int)
    tiers_of: dict[int, set[int]] = defaultdict(set)
    for number, shifts in shifts_by_tier.items():
        per_contact: dict[int, list[Span]] = defaultdict(list)
        for shift in shifts:
            lo, hi = max(shift.start, start), min(shift.end, end)
            if lo >= hi:
                continue
            for contact_id in dict.fromkeys(shift.assignees):
                per_contact[contact_id].append((lo, hi))
        for contact_id, spans in per_contact.items():
            merged = union(spans)
            counts[contact_id] += len(merged)
            tiers_of[contact_id].add(number)
            stretches[contact_id].extend(merged)
    out: dict[int, Tally] = {}
    for contact_id, spans in stretches.items():
        zone = zones.get(contact_id, "UTC")
        covered = union(spans)
        out[contact_id] = Tally(
            contact_id=contact_id,
            shift_count=counts[contact_id],
            on_call=sum((hi - lo for lo, hi in covered), ZERO),
            night=sum((night_time(lo, hi, zone) for lo, hi in covered), ZERO),
            weekend=sum((weekend_time(lo, hi, zone) for lo, hi in covered), ZERO),
            tier_numbers=tuple(sorted(tiers_of[contact_id])),
        )
    return out


class StatsField(enum.Enum):
    SHIFT_COUNT = "SHIFT_COUNT"
    HOURS = "HOURS"
    NIGHT_HOURS = "NIGHT_HOURS"
    WEEKEND_HOURS = "WEEKEND_HOURS"
    NAME = "NAME"


DEFAULT_ORDER: tuple[tuple[StatsField, bool], ...] = ((StatsField.SHIFT_COUNT, True),)


@dataclass(frozen=True, slots=True)
class ContactStats:
    tally: Tally
    contact: contact_models.Contact


def _key(field: StatsField, row: ContactStats) -> Any:
    t = row.tally
    if field is StatsField.SHIFT_COUNT:
        return t.shift_count
    if field is StatsField.HOURS:
        return t.on_call
    if field is StatsField.NIGHT_HOURS:
        return t.night
    if field is StatsField.WEEKEND_HOURS:
        return t.weekend
    return (row.contact.name.casefold(), row.contact.name)


def order(
    rows: Iterable[ContactStats], by: Sequence[tuple[StatsField, bool]] = DEFAULT_ORDER
) -> list[ContactStats]:
    """Rows sorted by each (field, descending) in turn, then by name and id (ascending).
    Durations compare exactly (as timedeltas), names case-insensitively."""
    # Stable sorts from the last key to the first; reverse=True keeps ties in their order.
    out = sorted(rows, key=lambda r: (_key(StatsField.NAME, r), r.contact.id))
    for field, descending in reversed(by):
        out.sort(key=partial(_key, field), reverse=descending)
    return out


def widened(start: datetime, end: datetime) -> Span:
    """The whole UTC days around [start, end): computing those and clipping keeps timeline
    cache keys the same all day while "the last 7 days" slides with now."""
    lo = final_shifts.day_floor(start)
    hi = final_shifts.day_floor(end)
    return lo, (hi if hi == end else hi + _DAY)


async def schedule_stats(
    *,
    org_id: int,
    tiers: Sequence[tier_models.Tier],
    start: datetime,
    end: datetime,
    now: datetime,
    by: Sequence[tuple[StatsField, bool]] = DEFAULT_ORDER,
) -> list[ContactStats]:
    """Per contact on call on any of ``tiers`` in [start, end), ordered by ``by``: one read of
    the tiers' shifts (confirmed rows for the past, computed otherwise), one of the contacts."""
    lo, hi = widened(start, end)
    shifts = await final_shifts.tier_shifts(org_id=org_id, tiers=tiers, start=lo, end=hi, now=now)
    by_number: dict[int, list[Shift]] = defaultdict(list)
    for tier in tiers:
        by_number[tier.number].extend(shifts.get(tier.id, []))
    contact_ids = {c for found in by_number.values() for s in found for c in s.assignees}
    contacts: dict[int, contact_models.Contact] = {}
    if contact_ids:
        rows = await contact_models.Contact.filter(organization_id=org_id, id__in=contact_ids)
        contacts = {c.id: c for c in rows}
    tallies = tally(by_number, {pk: c.timezone for pk, c in contacts.items()}, start, end)
    return order([ContactStats(t, contacts[pk]) for pk, t in tallies.items() if pk in contacts], by)
