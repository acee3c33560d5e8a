"""What an import wants to exist in Rotagraph: the mapping's output, the plan's input.

People are named by their source user id until the plan matches them to contacts; every
object carries the source id it is remembered by, so a re-run finds it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

Kind = Literal["contact", "schedule", "tier", "layer", "shift"]


@dataclass(frozen=True)
class Note:
    """Something of the source that cannot be expressed (exactly) here, and why."""

    kind: str
    source_id: str
    name: str
    reason: str


@dataclass(frozen=True)
class Window:
    kind: Literal["DAILY", "WEEKLY"]
    start_time: str
    minutes: int
    weekday: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "startTime": self.start_time,
            "durationMinutes": self.minutes,
            "weekday": self.weekday,
        }


@dataclass(frozen=True)
class Contact:
    source_id: str
    name: str
    email: str
    timezone: str


@dataclass(frozen=True)
class Layer:
    """``start`` / ``end`` are naive wall times in ``zone``; ``users`` are source user ids
    in rotation order, ``on_call`` of them at a time."""

    source_id: str
    name: str
    index: int
    start: datetime
    zone: str
    unit: str
    length: int
    users: tuple[str, ...]
    on_call: int = 1
    windows: tuple[Window, ...] = ()
    end: datetime | None = None
    advance: str = "EVERY_TURN"


@dataclass(frozen=True)
class Shift:
    """An on-demand shift (from an override): aware instants, source user ids in order."""

    source_id: str
    start: datetime
    end: datetime
    users: tuple[str, ...]


@dataclass(frozen=True)
class Tier:
    """``source_schedule`` names the source schedule whose rendered final schedule this tier
    must reproduce (None: nothing to compare, e.g. a rule that notifies users directly)."""

    source_id: str
    number: int
    name: str
    layers: tuple[Layer, ...]
    shifts: tuple[Shift, ...] = ()
    source_schedule: str | None = None


@dataclass(frozen=True)
class Schedule:
    source_id: str
    name: str
    zone: str
    customer: str
    tiers: tuple[Tier, ...]


@dataclass(frozen=True)
class Mapped:
    contacts: tuple[Contact, ...]
    schedules: tuple[Schedule, ...]
    notes: tuple[Note, ...]
