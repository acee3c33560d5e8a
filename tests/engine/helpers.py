"""Small builders shared by the engine tests."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from app.engine import (
    LayerInput,
    Participant,
    Restriction,
    RestrictionKind,
    RotationUnit,
    Shift,
    TierInput,
    Timeline,
    compute_timeline,
)

NEW_YORK = "America/New_York"
LONDON = "Europe/London"
LORD_HOWE = "Australia/Lord_Howe"
ZONES = (NEW_YORK, LONDON, LORD_HOWE)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def at(zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """The UTC instant of an unambiguous, existing local wall time."""
    local = datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC)


def people(*contacts: int) -> tuple[Participant, ...]:
    return tuple(Participant(c) for c in contacts)


def layer(
    *,
    id: int = 1,
    index: int = 0,
    start: datetime = datetime(2026, 1, 5, 9, 0),
    zone: str = NEW_YORK,
    unit: RotationUnit = RotationUnit.DAY,
    contacts: tuple[int, ...] = (1, 2, 3, 4),
    **fields: object,
) -> LayerInput:
    fields.setdefault("participants", people(*contacts))
    return LayerInput(id=id, index=index, start=start, zone=zone, unit=unit, **fields)  # type: ignore[arg-type]


def timeline(*layers: LayerInput, start: datetime, end: datetime, **tier: object) -> Timeline:
    return compute_timeline(TierInput(layers=layers, **tier), start, end)  # type: ignore[arg-type]


def spans(shifts: tuple[Shift, ...]) -> list[tuple[datetime, datetime, tuple[int, ...]]]:
    return [(s.start, s.end, s.assignees) for s in shifts]


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def restriction_lists(
    times: list[time], durations: list[timedelta]
) -> st.SearchStrategy[tuple[Restriction, ...]]:
    """Up to two daily or weekly windows opening at one of ``times``."""
    one = st.builds(
        Restriction,
        st.sampled_from(list(RestrictionKind)),
        st.sampled_from(times),
        st.sampled_from(durations),
        st.integers(0, 6),
    ).map(
        lambda r: (
            r if r.kind is RestrictionKind.WEEKLY else Restriction(r.kind, r.start_time, r.duration)
        )
    )
    return st.lists(one, max_size=2).map(tuple)
