"""Custom scalars, registered on the schema through StrawberryConfig.scalar_map."""

from __future__ import annotations

from datetime import datetime
from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

LocalDateTime = NewType("LocalDateTime", datetime)


def _parse_local(value: object) -> LocalDateTime:
    if not isinstance(value, str):
        raise ValueError("a LocalDateTime is a string like 2026-01-05T09:00")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        raise ValueError("a LocalDateTime has no offset: the zone next to it gives it meaning")
    return LocalDateTime(parsed)


def _serialize_local(value: datetime) -> str:
    return value.isoformat(timespec="minutes" if value.second == 0 else "seconds")


SCALARS: dict[object, ScalarDefinition] = {
    LocalDateTime: strawberry.scalar(
        name="LocalDateTime",
        description=(
            "A wall-clock date and time without an offset (ISO 8601, e.g. 2026-01-05T09:00); "
            "a zone given next to it says where the wall is."
        ),
        serialize=_serialize_local,
        parse_value=_parse_local,
    )
}
