"""VTIMEZONE components every calendar client reads the same way.

icalendar's ``add_missing_timezones`` lists all transitions of a part in one multi-value
``RDATE`` line; ical.js (Thunderbird, Nextcloud and many web calendars) reads only the first
value of such a line and so shifts every later summer-time event by the DST offset. This
module writes the zone's transitions inside a window from zoneinfo itself: one part for the
state at the window's start, then one STANDARD / DAYLIGHT part per kind of transition whose
``DTSTART`` is its first occurrence and which carries one ``RDATE`` line per later
occurrence. Any zone works (Lord Howe's 30-minute shift, zones that changed their rules),
and the result covers exactly the instants a feed uses.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

_STEP = timedelta(hours=12)  # no zone changes its offset twice within 12 hours
_PAD = timedelta(days=1)


def _state(zone: ZoneInfo, instant: datetime) -> tuple[timedelta, timedelta, str]:
    local = instant.astimezone(zone)
    return (
        local.utcoffset() or timedelta(0),
        local.dst() or timedelta(0),
        local.tzname() or "",
    )


def transitions(
    zone: ZoneInfo, start: datetime, end: datetime
) -> list[tuple[datetime, tuple[timedelta, timedelta, str], tuple[timedelta, timedelta, str]]]:
    """Every change of offset, DST amount or abbreviation in [start, end): (the UTC instant
    of the change, the state before, the state after), found to the second."""
    found = []
    t = start.astimezone(UTC)
    before = _state(zone, t)
    while t < end:
        nxt = min(t + _STEP, end)
        after = _state(zone, nxt)
        if after != before:
            low, high = t, nxt  # _state(low) == before, _state(high) != before
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if middle <= low:
                    middle = low + timedelta(seconds=1)
                if _state(zone, middle) == before:
                    low = middle
                else:
                    high = middle
            changed = _state(zone, high)
            found.append((high, before, changed))
            before = changed
            t = high
            continue
        t = nxt
    return found


def _part(
    kind: str, dtstart: datetime, offset_from: timedelta, offset_to: timedelta, name: str
) -> icalendar.cal.Component:
    part = icalendar.TimezoneDaylight() if kind == "DAYLIGHT" else icalendar.TimezoneStandard()
    part.add("dtstart", dtstart)
    part.add("tzoffsetfrom", offset_from)
    part.add("tzoffsetto", offset_to)
    if name:
        part.add("tzname", name)
    return part


def vtimezone(zone_name: str, start: datetime, end: datetime) -> icalendar.Timezone:
    """The VTIMEZONE of ``zone_name`` valid for every instant in [start, end) (padded by a
    day each side). ``DTSTART`` values are local wall times in the offset before the change,
    as RFC 5545 defines them."""
    zone = ZoneInfo(zone_name)
    first = (start - _PAD).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    offset, dst, name = _state(zone, first)
    timezone = icalendar.Timezone()
    timezone.add("tzid", zone_name)
    initial_kind = "DAYLIGHT" if dst else "STANDARD"
    timezone.add_component(
        _part(initial_kind, (first + offset).replace(tzinfo=None), offset, offset, name)
    )
    parts: dict[tuple[str, timedelta, timedelta, str], icalendar.cal.Component] = {}
    for instant, (before, _, _), (after, after_dst, after_name) in transitions(
        zone, first, end + _PAD
    ):
        kind = "DAYLIGHT" if after_dst else "STANDARD"
        local = (instant + before).replace(tzinfo=None)
        key = (kind, before, after, after_name)
        part = parts.get(key)
        if part is None:
            parts[key] = _part(kind, local, before, after, after_name)
            timezone.add_component(parts[key])
        else:
            part.add("rdate", local)  # one RDATE line per transition
    return timezone
