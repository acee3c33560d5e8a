"""GraphQL types of the rotation rules of SPEC §9: holiday rule, pauses, advance, working
hours, roster segments and when a roster change takes effect."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, Self

import strawberry

from app.api.context import Info
from app.contacts.types import ContactType


@strawberry.enum(
    description="How a layer treats its schedule's holiday calendar: RUN ignores it, SKIP makes "
    "holiday dates inactive (lower layers show through), ONLY makes only holiday dates active "
    "(a holiday rotation above the normal ones). Dates are judged like weekdays: the layer day, "
    "or the window's date on restricted layers, in the layer's zone."
)
class HolidayRule(enum.Enum):
    RUN = "RUN"
    SKIP = "SKIP"
    ONLY = "ONLY"


@strawberry.enum(
    description="EVERY_TURN: the rotation moves at every handoff. ACTIVE_TURNS: it moves only "
    "past turns the layer covers (recurrence, restrictions, holidays, pauses), so a weekday "
    "rotation reaches everyone and resumes after a pause with whoever was next."
)
class Advance(enum.Enum):
    EVERY_TURN = "EVERY_TURN"
    ACTIVE_TURNS = "ACTIVE_TURNS"


@strawberry.enum(
    description="When a roster change takes effect: NEXT_HANDOFF (default: who is on call now "
    "stays), AT an instant rounded up to the next handoff, or IMMEDIATELY (the running turn is "
    "split at the change)."
)
class RosterEffective(enum.Enum):
    NEXT_HANDOFF = "NEXT_HANDOFF"
    AT = "AT"
    IMMEDIATELY = "IMMEDIATELY"


@strawberry.type(
    description="Local dates from..to (inclusive, the layer's zone) when a layer "
    "is inactive; pauses never move the handoffs."
)
class Pause:
    from_: date = strawberry.field(name="from")
    to: date


@strawberry.type(
    description="Daily working hours, HH:MM in each contact's own zone; an end "
    "at or before the start wraps past midnight."
)
class WorkingHours:
    start: str
    end: str


@strawberry.type(
    description="A stored roster segment (SPEC §9): from `start` (a handoff, or the change "
    "instant of an IMMEDIATELY change) the rotation runs over `contacts`, turn `turn` putting "
    "contacts[`offset`] at position 1."
)
class RosterSegment:
    start: datetime
    turn: int
    offset: int
    contact_pks: strawberry.Private[list[int]]

    @strawberry.field(description="The expanded participant list of this segment, in order.")
    async def contacts(self, info: Info) -> list[ContactType]:
        rows = await info.context.loaders.contact.load_many(self.contact_pks)
        return [ContactType.from_model(r) for r in rows if r is not None]

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Self:
        return cls(
            start=datetime.fromisoformat(raw["start"]),
            turn=raw["turn"],
            offset=raw["offset"],
            contact_pks=list(raw["contacts"]),
        )


@strawberry.input
class PauseInput:
    from_: date = strawberry.field(name="from")
    to: date


@strawberry.input(description="HH:MM in the contact's zone; end <= start wraps past midnight.")
class WorkingHoursInput:
    start: str
    end: str


@strawberry.input(description="When a roster change takes effect; `at` for AT only.")
class RosterChangeInput:
    mode: RosterEffective = RosterEffective.NEXT_HANDOFF
    at: datetime | None = None
