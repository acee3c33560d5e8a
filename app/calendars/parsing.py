"""iCalendar text -> busy intervals of one contact (synchronous; run it in a thread).

Rules (SPEC §5):
- recurring events are expanded by ``recurring_ical_events`` (RRULE, RDATE, EXDATE and
  RECURRENCE-ID overrides; an override's own STATUS and TRANSP count);
- STATUS:CANCELLED and TRANSP:TRANSPARENT occurrences are skipped, and so are Outlook's
  ``X-MICROSOFT-CDO-BUSYSTATUS:FREE`` ones;
- all-day events (DATE values) are whole local days of the contact's zone, from local
  midnight of the first day to local midnight after the last (23 h or 25 h across DST);
- floating times (no zone) are wall times of the contact's zone; every wall time goes
  through the engine's ``resolve`` (a DST gap moves to the transition, a fold takes the first);
- the filter: ALL_BUSY keeps every busy event; ALL_DAY_ONLY keeps all-day events only;
  LONG_OR_ALL_DAY (default) keeps all-day events and events of at least 4 hours (every
  timed multi-day event is one), so meetings do not make someone unavailable;
- series repeating by the second or minute are dropped (never real busy time, and costly);
  more than MAX_OCCURRENCES occurrences in the window fail the import;
- the result is clipped to the window, merged (sorted, disjoint, not touching) and carries
  nothing but instants: titles and descriptions are never kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import icalendar
import recurring_ical_events

from app.engine import resolve
from app.engine.intervals import Span, union

FILTERS = ("LONG_OR_ALL_DAY", "ALL_DAY_ONLY", "ALL_BUSY")
DEFAULT_FILTER = "LONG_OR_ALL_DAY"
LONG_EVENT = timedelta(hours=4)
MAX_OCCURRENCES = 20_000
"""More occurrences than this in the window is an error (a year of a busy work calendar has
a few thousand)."""
_SLACK = timedelta(days=2)  # wider than any UTC offset: floating times compare by wall time
_CHUNK = timedelta(days=7)


class ParseError(ValueError):
    """The text is not a usable iCalendar calendar; the message is fit for users."""


def read(data: bytes | str) -> icalendar.Calendar:
    """One VCALENDAR; anything else (HTML, JSON, a broken file) is a ParseError."""
    raw = data.encode() if isinstance(data, str) else data
    if b"BEGIN:VCALENDAR" not in raw[:4096].upper():
        raise ParseError("the answer is not an iCalendar file (no BEGIN:VCALENDAR)")
    try:
        calendar = icalendar.Calendar.from_ical(raw)
    except Exception as exc:  # icalendar raises ValueError and others on broken input
        raise ParseError(f"the iCalendar file is malformed ({_short(exc)})") from None
    if not isinstance(calendar, icalendar.Calendar) or calendar.name != "VCALENDAR":
        raise ParseError("the answer is not an iCalendar calendar")
    return calendar


def name_of(calendar: icalendar.Calendar) -> str | None:
    """The calendar's display name (X-WR-CALNAME or NAME), when it has one."""
    for key in ("X-WR-CALNAME", "NAME"):
        value = calendar.get(key)
        if value is not None and str(value).strip():
            return str(value).strip()[:300]
    return None


def _short(exc: BaseException) -> str:
    # The kind of failure only: an exception's text can quote the source (titles included).
    return type(exc).__name__


def _instant(value: date | datetime, zone: str) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return resolve(value, zone)
        return value.astimezone(UTC)
    return resolve(datetime.combine(value, time()), zone)


def _is_all_day(value: Any) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _text(component: Any, key: str) -> str:
    value = component.get(key)
    return str(value).strip().upper() if value is not None else ""


def _end_value(event: Any, start: date | datetime) -> date | datetime:
    if event.get("DTEND") is not None:
        end: date | datetime = event["DTEND"].dt
        return end
    if event.get("DURATION") is not None:
        duration = event["DURATION"].dt
        if isinstance(duration, timedelta):
            return start + duration
    return start + timedelta(days=1) if _is_all_day(start) else start


def occurrence_interval(event: Any, zone: str, filter: str) -> Span | None:
    """The busy interval of one expanded occurrence, or None when it is not busy time or the
    filter leaves it out."""
    if _text(event, "STATUS") == "CANCELLED":
        return None
    if _text(event, "TRANSP") == "TRANSPARENT":
        return None
    if _text(event, "X-MICROSOFT-CDO-BUSYSTATUS") == "FREE":
        return None
    if event.get("DTSTART") is None:
        return None
    raw_start = event["DTSTART"].dt
    raw_end = _end_value(event, raw_start)
    all_day = _is_all_day(raw_start)
    if all_day and isinstance(raw_end, datetime):
        raw_end = raw_end.date()
    start = _instant(raw_start, zone)
    end = _instant(raw_end, zone)
    if end <= start:
        return None
    if filter == "ALL_DAY_ONLY" and not all_day:
        return None
    if filter == "LONG_OR_ALL_DAY" and not all_day and end - start < LONG_EVENT:
        return None
    return (start, end)


def _drop_runaway_rules(calendar: icalendar.Calendar) -> None:
    """Remove series repeating by the second or minute: expanding one over a year costs
    minutes of CPU, and none is real busy time. The rest of the calendar still counts."""
    kept = []
    for component in calendar.subcomponents:
        rule = component.get("RRULE") if component.name == "VEVENT" else None
        if rule is not None:
            rules = rule if isinstance(rule, list) else [rule]
            if any(_runaway(r) for r in rules):
                continue
        kept.append(component)
    calendar.subcomponents[:] = kept


def _runaway(rule: Any) -> bool:
    freq = str((rule.get("FREQ") or [""])[0]).upper()
    return freq in ("SECONDLY", "MINUTELY")


def busy_intervals(
    calendars: Sequence[icalendar.Calendar],
    *,
    zone: str,
    start: datetime,
    end: datetime,
    filter: str = DEFAULT_FILTER,
) -> list[Span]:
    """The busy time of the events of ``calendars`` within [start, end), merged.

    The window is expanded a week at a time so a runaway calendar stops early: more than
    MAX_OCCURRENCES occurrences is a ParseError, and so is a series the expander cannot read.
    """
    if filter not in FILTERS:
        raise ValueError(f"unknown filter {filter!r}")
    spans: list[Span] = []
    seen = 0
    for calendar in calendars:
        _drop_runaway_rules(calendar)
        try:
            query = recurring_ical_events.of(calendar)
            chunk = start - _SLACK
            while chunk < end + _SLACK:
                events = query.between(chunk, chunk + _CHUNK)
                chunk += _CHUNK
                seen += len(events)
                if seen > MAX_OCCURRENCES:
                    raise ParseError(
                        f"the calendar has more than {MAX_OCCURRENCES} events in the import window"
                    )
                for event in events:
                    interval = occurrence_interval(event, zone, filter)
                    if interval is not None:
                        spans.append(interval)
        except ParseError:
            raise
        except Exception as exc:  # the expander raises many kinds on broken series
            raise ParseError(f"an event could not be read ({_short(exc)})") from None
    return union(_clip(spans, start, end))


def _clip(spans: Iterable[Span], lo: datetime, hi: datetime) -> list[Span]:
    out = []
    for s, e in spans:
        s, e = max(s, lo), min(e, hi)
        if s < e:
            out.append((s, e))
    return out
