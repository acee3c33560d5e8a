"""GraphQL types of a schedule's on-call statistics."""

from __future__ import annotations

import enum
from typing import Self

import strawberry

from app.api.common import SortDirection
from app.api.context import Info
from app.contacts.types import ContactType
from app.stats import service

_HOUR = 3600.0


@strawberry.enum(description="What contact statistics can be ordered by.")
class StatsOrderField(enum.Enum):
    SHIFT_COUNT = strawberry.enum_value("SHIFT_COUNT", description="Number of shifts.")
    HOURS = strawberry.enum_value("HOURS", description="Hours on call.")
    NIGHT_HOURS = strawberry.enum_value(
        "NIGHT_HOURS", description="Hours on call between 22:00 and 06:00 in the contact's zone."
    )
    WEEKEND_HOURS = strawberry.enum_value(
        "WEEKEND_HOURS", description="Hours on call from Saturday 00:00 to Monday 00:00 locally."
    )
    NAME = strawberry.enum_value("NAME", description="The contact's name (case-insensitive).")


@strawberry.input(description="One ordering key of `Schedule.stats`.")
class StatsOrder:
    field: StatsOrderField
    direction: SortDirection = SortDirection.ASC

    def to_key(self) -> tuple[service.StatsField, bool]:
        return service.StatsField(self.field.value), self.direction is SortDirection.DESC


@strawberry.type(
    name="ContactStats",
    description="How much one contact was on call on a schedule within a window. Hours are "
    "elapsed time (a night when clocks change counts as it was lived: 7 h or 9 h for "
    "22:00-06:00).",
)
class ContactStatsType:
    contact_pk: strawberry.Private[int]
    shift_count: int = strawberry.field(
        description="Shifts on the schedule's tiers, added up over the tiers: a continuous "
        "stretch on call on one tier is one shift (whatever positions or overrides it passes "
        "through), and one that crosses the window's edge counts once."
    )
    hours: float = strawberry.field(
        description="Hours on call within the window; time on two tiers at once counts once."
    )
    night_hours: float = strawberry.field(
        description="Of `hours`, those between 22:00 and 06:00 wall-clock in the contact's zone."
    )
    weekend_hours: float = strawberry.field(
        description="Of `hours`, those from Saturday 00:00 to Monday 00:00 in the contact's zone."
    )
    tier_numbers: list[int] = strawberry.field(
        description="The tiers (by number, ascending) the contact was on call on."
    )

    @strawberry.field
    async def contact(self, info: Info) -> ContactType:
        row = await info.context.loaders.contact.load(self.contact_pk)
        assert row is not None
        return ContactType.from_model(row)

    @classmethod
    def from_stats(cls, row: service.ContactStats) -> Self:
        t = row.tally
        return cls(
            contact_pk=t.contact_id,
            shift_count=t.shift_count,
            hours=t.on_call.total_seconds() / _HOUR,
            night_hours=t.night.total_seconds() / _HOUR,
            weekend_hours=t.weekend.total_seconds() / _HOUR,
            tier_numbers=list(t.tier_numbers),
        )
