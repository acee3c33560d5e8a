"""Small input checks shared by every domain. Each adds to a Collector, never raises alone."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from app.errors import Collector

_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ZONES: frozenset[str] | None = None


def zone(errors: Collector, field: str, value: str) -> ZoneInfo | None:
    """An IANA zone name (``Europe/London``); abbreviations and offsets are refused."""
    global _ZONES
    if _ZONES is None:
        # "localtime" is the host's own zone and "Factory" a placeholder: neither names a place.
        _ZONES = frozenset(available_timezones()) - {"localtime", "Factory"}
    if value not in _ZONES:
        errors.add(field, f"{value!r} is not an IANA time zone name")
        return None
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        errors.add(field, f"{value!r} is not an IANA time zone name")
        return None


def clock_time(errors: Collector, field: str, value: str) -> time | None:
    """A wall-clock time written ``HH:MM`` (24-hour)."""
    match = _TIME.match(value)
    if match is None:
        errors.add(field, f"{value!r} is not a time written HH:MM")
        return None
    return time(int(match.group(1)), int(match.group(2)))


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def plain_text(errors: Collector, field: str, value: str, *, max_length: int = 200) -> str:
    """One line of text (a name): trimmed, at most ``max_length`` characters, and no control
    characters (line breaks, tabs, NUL…), which break calendar feeds and most displays."""
    value = value.strip()
    if len(value) > max_length:
        errors.add(field, f"must be at most {max_length} characters")
    elif _CONTROL.search(value):
        errors.add(field, "must not contain control characters (line breaks, tabs)")
    return value


def non_empty(errors: Collector, field: str, value: str, *, max_length: int = 200) -> str:
    """A required :func:`plain_text`."""
    if not value.strip():
        errors.add(field, "must not be empty")
        return value.strip()
    return plain_text(errors, field, value, max_length=max_length)


def email(errors: Collector, field: str, value: str | None) -> str | None:
    if value is None or value == "":
        return None
    value = value.strip()
    if not _EMAIL.match(value) or len(value) > 320:
        errors.add(field, f"{value!r} is not an email address")
    return value


def phone(errors: Collector, field: str, value: str | None) -> str | None:
    if value is None or value == "":
        return None
    value = value.strip()
    if not re.fullmatch(r"\+?[0-9 ().-]{3,40}", value):
        errors.add(field, f"{value!r} is not a phone number")
    return value


def positive(errors: Collector, field: str, value: int, *, maximum: int | None = None) -> int:
    if value < 1:
        errors.add(field, "must be at least 1")
    elif maximum is not None and value > maximum:
        errors.add(field, f"must be at most {maximum}")
    return value


def read_window(errors: Collector, start: datetime, end: datetime, *, max_days: int) -> None:
    """A read window ``from``..``to``: both instants carry a UTC offset; then ``to`` is after
    ``from`` and at most ``max_days`` later (not checked while an offset is missing)."""
    naive = [
        n for n, v in (("from", start), ("to", end)) if v.tzinfo is None or v.utcoffset() is None
    ]
    for name in naive:
        errors.add(name, "needs a UTC offset (e.g. 2026-03-08T00:00:00Z)")
    if naive:
        return
    if end <= start:
        errors.add("to", "must be after from")
    elif end - start > timedelta(days=max_days):
        errors.add("to", f"the window is at most {max_days} days")


def camel(name: str) -> str:
    """The GraphQL spelling of a Python field name (``default_email`` -> ``defaultEmail``)."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
