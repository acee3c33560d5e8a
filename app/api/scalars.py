"""Custom scalars, registered on the schema through StrawberryConfig.scalar_map."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import NewType

import dateutil.parser
import strawberry
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types.scalar import ScalarDefinition

LocalDateTime = NewType("LocalDateTime", datetime)


def _expecting(
    parse: Callable[[str], object], name: str, example: str
) -> Callable[[object], object]:
    """A parser whose every failure says what was expected (never Python's own text)."""

    def inner(value: object) -> object:
        try:
            if isinstance(value, str) and len(value) <= 100:
                return parse(value)
        except (ValueError, OverflowError, TypeError):
            pass
        shown = str(value)[:40]
        raise StrawberryInputCoercionError(
            f'Value cannot represent a {name}: "{shown}". Expected {example}.'
        )

    return inner


def _parse_local(value: object) -> LocalDateTime:
    if not isinstance(value, str):
        raise ValueError("a LocalDateTime is a string like 2026-01-05T09:00")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{value[:40]!r} is not a LocalDateTime: expected a string like 2026-01-05T09:00"
        ) from None
    if parsed.tzinfo is not None:
        raise ValueError("a LocalDateTime has no offset: the zone next to it gives it meaning")
    return LocalDateTime(parsed)


FORMATTED_ENTRIES = 4096
_formatted: dict[tuple[datetime, timedelta | None], str] = {}


def serialize_datetime(value: datetime) -> str:
    """``value.isoformat()``, remembered: a response repeats the same instants (one shift's
    end is the next one's start, and every request reads the same cached timelines).

    The key holds the UTC offset besides the instant: the text is the wall time and the offset,
    so equal instants at other offsets (another zone, or either side of a fold, which compare
    equal in one zone) are written differently. Not the zone object itself: some are not
    hashable (dateutil's ``tzutc``). At most ``FORMATTED_ENTRIES`` are kept; the memo starts
    over when full."""
    if type(value) is not datetime:
        return value.isoformat()
    key = (value, value.utcoffset())
    text = _formatted.get(key)
    if text is None:
        if len(_formatted) >= FORMATTED_ENTRIES:
            _formatted.clear()
        text = _formatted[key] = value.isoformat()
    return text


def _serialize_local(value: datetime) -> str:
    return value.isoformat(timespec="minutes" if value.second == 0 else "seconds")


SCALARS: dict[object, ScalarDefinition] = {
    # Strawberry's own DateTime and Date, with messages that say what was expected.
    datetime: strawberry.scalar(
        name="DateTime",
        description="Date with time (isoformat)",
        serialize=serialize_datetime,
        parse_value=_expecting(
            dateutil.parser.isoparse,
            "DateTime",
            "an ISO 8601 date and time, like 2026-03-01T09:00:00Z",
        ),
    ),
    date: strawberry.scalar(
        name="Date",
        description="Date (isoformat)",
        serialize=lambda v: v.isoformat(),
        parse_value=_expecting(date.fromisoformat, "Date", "an ISO 8601 date, like 2026-03-01"),
    ),
    LocalDateTime: strawberry.scalar(
        name="LocalDateTime",
        description=(
            "A wall-clock date and time without an offset (ISO 8601, e.g. 2026-01-05T09:00); "
            "a zone given next to it says where the wall is."
        ),
        serialize=_serialize_local,
        parse_value=_parse_local,
    ),
}
