"""Per-layer unavailability of participants: weekdays, working hours and own holidays.

- Weekdays (an entry without working hours): unavailable on layer days whose weekday is outside
  the entry's set; on restricted layers, on the window pieces judged by such a date (SPEC §2).
- Working hours (SPEC §9): available only inside [date + start, date' + end) of the contact-local
  dates whose weekday is in the entry's set (every date when it has none), date' being the next
  date when end <= start; 00:00-00:00 means no working hours. Judged in the contact's zone.
- Own holidays (layers with ``participant_holidays``): unavailable for the whole contact-local
  dates (00:00 to the next 00:00, through resolve) of the contact's region's public holidays.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from app.engine.intervals import Span, clip, complement, union
from app.engine.model import LayerInput, Participant
from app.engine.recurrence import DateRun
from app.engine.restrictions import dated_windows, day_spans, window_dates
from app.engine.turns import Rotation
from app.engine.wallclock import local_date, resolve_wall, wall, zone_info

__all__ = ["has_hours", "layer_exclusions"]

_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0, 0)


def has_hours(participant: Participant) -> bool:
    hours = participant.working_hours
    return hours is not None and not (hours.start == _MIDNIGHT and hours.end == _MIDNIGHT)


def _weekday_runs(first: date, last: date, weekdays: frozenset[int]) -> list[DateRun]:
    runs: list[DateRun] = []
    day = first
    while day <= last:
        if day.weekday() not in weekdays:
            if runs and runs[-1][1] + _ONE_DAY == day:
                runs[-1] = (runs[-1][0], day)
            else:
                runs.append((day, day))
        day += _ONE_DAY
    return runs


def _outside_hours(participant: Participant, zone: str, lo: datetime, hi: datetime) -> list[Span]:
    hours = participant.working_hours
    assert hours is not None
    tz = zone_info(participant.zone or zone)
    weekdays = participant.weekdays
    closes_next_day = hours.end <= hours.start
    day = local_date(lo, tz) - _ONE_DAY
    last = local_date(hi, tz)
    working: list[Span] = []
    while day <= last:
        if weekdays is None or day.weekday() in weekdays:
            close_day = day + _ONE_DAY if closes_next_day else day
            working.append(
                (
                    resolve_wall(wall(day, hours.start), tz),
                    resolve_wall(wall(close_day, hours.end), tz),
                )
            )
        day += _ONE_DAY
    return complement(union(working), lo, hi)


def _own_holidays(participant: Participant, zone: str, lo: datetime, hi: datetime) -> list[Span]:
    tz = zone_info(participant.zone or zone)
    first = local_date(lo, tz) - _ONE_DAY
    last = local_date(hi, tz)
    spans = [
        (resolve_wall(wall(day, _MIDNIGHT), tz), resolve_wall(wall(day + _ONE_DAY, _MIDNIGHT), tz))
        for day in sorted(participant.holidays)
        if first <= day <= last
    ]
    return clip(union(spans), lo, hi)


def layer_exclusions(
    layer: LayerInput, rot: Rotation, lo: datetime, hi: datetime
) -> dict[int, list[Span]]:
    """Per participant contact: when this layer treats it as unavailable within [lo, hi)."""
    excluded: dict[int, list[Span]] = {}
    by_set: dict[frozenset[int], list[Span]] = {}
    dated = None
    for participant in rot.participants:
        spans: list[Span] = []
        weekdays = participant.weekdays
        if has_hours(participant):
            spans.extend(_outside_hours(participant, layer.zone, lo, hi))
        elif weekdays is not None:
            found = by_set.get(weekdays)
            if found is None:
                if layer.restrictions:
                    if dated is None:
                        dated = dated_windows(layer, rot, lo, hi)
                    found = [(a, b) for a, b, day in dated if day.weekday() not in weekdays]
                else:
                    first, last = window_dates(rot, lo, hi)
                    found = clip(day_spans(rot, _weekday_runs(first, last, weekdays)), lo, hi)
                by_set[weekdays] = found
            spans.extend(found)
        if layer.participant_holidays and participant.holidays:
            spans.extend(_own_holidays(participant, layer.zone, lo, hi))
        if spans:
            excluded[participant.contact_id] = union(spans)
    return excluded
