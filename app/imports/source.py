"""What every reader produces: a vendor's schedules in one neutral, frozen shape.

The readers (``pagerduty``, ``opsgenie``, ``grafana``) translate each vendor's JSON into these
values and nothing else; the mapping, the plan and the equivalence report never see vendor
JSON. Instants are aware (UTC); wall-clock values carry the IANA zone they belong to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Literal

from app.errors import BadUserInput

Vendor = Literal["pagerduty", "opsgenie", "grafana"]
VENDORS: tuple[Vendor, ...] = ("pagerduty", "opsgenie", "grafana")
Unit = Literal["HOUR", "DAY", "WEEK", "MONTH"]
Advance = Literal["EVERY_TURN", "ACTIVE_TURNS"]


class SourceError(BadUserInput):
    """The source could not be read: refused key, unreachable host, malformed JSON, a file
    that is missing. One message that names the field to fix (``apiKey``, ``baseUrl``,
    ``path``); it never contains the key."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message, field=field)


@dataclass(frozen=True)
class User:
    id: str
    name: str
    email: str | None
    timezone: str | None = None


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    member_ids: tuple[str, ...]


@dataclass(frozen=True)
class Member:
    """One entry of a rotation: a user, a team (expanded by the mapping), or something no
    Rotagraph layer can hold (``none``: nobody for that turn; ``other``: e.g. an escalation)."""

    kind: Literal["user", "team", "none", "other"]
    id: str
    label: str = ""


@dataclass(frozen=True)
class Window:
    """A restriction in the layer's zone: every day (``weekday`` None) or on one weekday
    (0 = Monday), from ``start`` for ``duration`` of wall-clock time."""

    weekday: int | None
    start: time
    duration: timedelta


@dataclass(frozen=True)
class Layer:
    """One rotation. Turn t starts at ``rotation_start`` + t turns (``unit`` x ``length``;
    DAY / WEEK / MONTH keep the local handoff time, HOUR is elapsed time); the rotation
    covers [``start``, ``end``) only (``start`` None: from ``rotation_start``). ``turns``
    holds the members of each turn in order (several members = on call together).
    ``advance`` ACTIVE_TURNS: the rotation moves only on turns that have coverage (SPEC §9)."""

    id: str
    name: str
    priority: int
    zone: str
    rotation_start: datetime
    unit: Unit
    length: int
    turns: tuple[tuple[Member, ...], ...]
    start: datetime | None = None
    end: datetime | None = None
    windows: tuple[Window, ...] = ()
    first_turn: int = 0
    advance: Advance = "EVERY_TURN"
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Override:
    """Someone else on call over [start, end): over the whole schedule (``layer_ids`` None)
    or only where the named rotations would be on."""

    id: str
    start: datetime
    end: datetime
    user_ids: tuple[str, ...]
    layer_ids: tuple[str, ...] | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RenderedEntry:
    """A piece of the vendor's own final schedule: who it says is on call."""

    start: datetime
    end: datetime
    user_ids: tuple[str, ...]


@dataclass(frozen=True)
class Schedule:
    """``cumulative``: every rotation's people are on call at once (Opsgenie) instead of the
    highest-priority layer winning (PagerDuty, Grafana OnCall). ``rendered`` is the vendor's
    final schedule over ``rendered_range`` (None when the source gave none)."""

    id: str
    name: str
    zone: str
    layers: tuple[Layer, ...]
    overrides: tuple[Override, ...] = ()
    teams: tuple[str, ...] = ()
    cumulative: bool = False
    rendered: tuple[RenderedEntry, ...] | None = None
    rendered_range: tuple[datetime, datetime] | None = None
    notes: tuple[str, ...] = ()
    importable: bool = True


@dataclass(frozen=True)
class Target:
    kind: Literal["schedule", "user", "team", "other"]
    id: str
    label: str = ""


@dataclass(frozen=True)
class Rule:
    """One escalation level and whom it notifies."""

    id: str
    targets: tuple[Target, ...]
    delay_minutes: int | None = None


@dataclass(frozen=True)
class Policy:
    id: str
    name: str
    rules: tuple[Rule, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bundle:
    """Everything one read of a source returned."""

    vendor: Vendor
    users: dict[str, User]
    schedules: tuple[Schedule, ...]
    policies: tuple[Policy, ...] = ()
    teams: dict[str, Team] = field(default_factory=dict)


def parse_instant(raw: object, *, what: str) -> datetime:
    """An ISO 8601 instant with an offset (``Z`` accepted); SourceError otherwise."""
    if not isinstance(raw, str):
        raise SourceError(f"{what}: expected a date-time, got {raw!r}", field="source")
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise SourceError(f"{what}: {raw!r} is not a date-time", field="source") from None
    if value.tzinfo is None:
        raise SourceError(f"{what}: {raw!r} has no UTC offset", field="source")
    return value
