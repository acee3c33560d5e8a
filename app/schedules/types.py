from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry

from app.api.context import Info
from app.api.lazy import from_lazy
from app.api.relay import Connection, Node, encode_id
from app.destinations.types import ExportStatus
from app.schedules import models
from app.schedules import service as schedule_service
from app.schedules.calendar_types import HolidayCalendar, HolidayCalendarInput, HolidayType

if TYPE_CHECKING:
    from app.destinations.types import DestinationType
    from app.stats.types import ContactStatsType, StatsOrder
    from app.substitutions.types import SubstitutionFilter, SubstitutionSort, SubstitutionType
    from app.tiers.types import TierType
    from app.timelines.types import Handoff, OnCallNow

_TIMELINES_RESOLVERS = strawberry.lazy("app.timelines.resolvers")
_SUBSTITUTIONS_RESOLVERS = strawberry.lazy("app.substitutions.resolvers")
_STATS_RESOLVERS = strawberry.lazy("app.stats.resolvers")
_TIERS = strawberry.lazy("app.tiers.types")
_DESTINATIONS = strawberry.lazy("app.destinations.types")
_SUBSTITUTIONS = strawberry.lazy("app.substitutions.types")


@strawberry.type(
    name="Schedule", description="An on-call schedule: tiers of escalation, each with layers."
)
class ScheduleType(Node):
    pk: strawberry.Private[int]
    customer: str
    name: str
    default_email: str | None
    default_phone: str | None
    timezone: str
    assignment_horizon_days: int = strawberry.field(
        description="How many days ahead assignments are confirmed (from the next local midnight)."
    )
    holiday_calendar: HolidayCalendar | None = strawberry.field(
        description="The schedule's holiday calendar; null when it has none."
    )
    row: strawberry.Private[models.Schedule]

    @strawberry.field(
        description="The calendar's holidays between the inclusive dates from and to (at most "
        "3660 days), with their names."
    )
    def holidays(
        self, from_: Annotated[date, strawberry.argument(name="from")], to: date
    ) -> list[HolidayType]:
        return [HolidayType.from_holiday(h) for h in schedule_service.holidays(self.row, from_, to)]

    @strawberry.field(description="The escalation tiers, by number (1 = primary).")
    async def tiers(
        self, info: Info
    ) -> list[Annotated[TierType, strawberry.lazy("app.tiers.types")]]:
        TierType = from_lazy(_TIERS, "TierType")
        return [
            TierType.from_model(t)
            for t in await info.context.loaders.tiers_by_schedule.load(self.pk)
        ]

    @strawberry.field(
        description="Substitutions reaching this schedule: its own and the org-wide ones, "
        "10 a page; filter and sort as for `substitutions`."
    )
    async def substitutions(
        self,
        info: Info,
        filter: Annotated[SubstitutionFilter, _SUBSTITUTIONS] | None = None,
        sort: list[Annotated[SubstitutionSort, _SUBSTITUTIONS]] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Annotated[SubstitutionType, _SUBSTITUTIONS]]:
        owned_substitutions = from_lazy(_SUBSTITUTIONS_RESOLVERS, "owned_substitutions")
        return await owned_substitutions(info, "schedule", self.pk, filter, sort, first, after)

    status: ExportStatus = strawberry.field(
        description="The worst status of the schedule's destinations (PENDING ones ignored "
        "unless all are); with none, PENDING until it has confirmed shifts, then OK."
    )

    @strawberry.field(description="Where the schedule's confirmed shifts are exported.")
    async def destinations(
        self, info: Info
    ) -> list[Annotated[DestinationType, strawberry.lazy("app.destinations.types")]]:
        DestinationType = from_lazy(_DESTINATIONS, "DestinationType")
        rows = await info.context.loaders.destinations_by_schedule.load(self.pk)
        return [DestinationType.from_model(r) for r in rows]

    @strawberry.field(description="Per tier, who is on call now, since and until when.")
    async def on_call_now(
        self, info: Info
    ) -> list[Annotated[OnCallNow, strawberry.lazy("app.timelines.types")]]:
        schedule_on_call_now = from_lazy(_TIMELINES_RESOLVERS, "schedule_on_call_now")
        return await schedule_on_call_now(self, info)

    @strawberry.field(
        description="The next `count` moments (1..100), across tiers, when who is on call changes."
    )
    async def next_handoffs(
        self, info: Info, count: int = 5
    ) -> list[Annotated[Handoff, strawberry.lazy("app.timelines.types")]]:
        schedule_next_handoffs = from_lazy(_TIMELINES_RESOLVERS, "schedule_next_handoffs")
        return await schedule_next_handoffs(self, info, count)

    @strawberry.field(
        description="Per contact on call on the schedule's tiers in a window: shifts, hours, "
        "night hours (22:00-06:00) and weekend hours (Saturday-Sunday) in the contact's own "
        "zone, and the tiers. The window is [from, to) (both or neither, at most 366 days), "
        "else the last `timeframeDays` days up to now. Ordered by `orderBy` (default most "
        "shifts first; ties by name, then id); 100 a page."
    )
    async def stats(
        self,
        info: Info,
        timeframe_days: int = 7,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        order_by: list[Annotated[StatsOrder, strawberry.lazy("app.stats.types")]] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Annotated[ContactStatsType, strawberry.lazy("app.stats.types")]]:
        schedule_stats = from_lazy(_STATS_RESOLVERS, "schedule_stats")
        return await schedule_stats(self, info, timeframe_days, from_, to, order_by, first, after)

    @classmethod
    def from_model(cls, m: models.Schedule) -> Self:
        return cls(
            id=encode_id("Schedule", m.id),
            pk=m.id,
            customer=m.customer,
            name=m.name,
            default_email=m.default_email,
            default_phone=m.default_phone,
            timezone=m.timezone,
            assignment_horizon_days=m.assignment_horizon_days,
            status=ExportStatus(m.status),
            holiday_calendar=HolidayCalendar.from_model(m),
            row=m,
        )


@strawberry.input
class CreateScheduleInput:
    name: str
    customer: str = ""
    default_email: str | None = None
    default_phone: str | None = None
    timezone: str = "UTC"
    assignment_horizon_days: int = 28
    tier_count: int = strawberry.field(
        default=1, description="How many tiers to create (numbered 1..n)."
    )
    holiday_calendar: HolidayCalendarInput | None = None


@strawberry.input(description="Omitted fields stay; null clears an optional field.")
class UpdateScheduleInput:
    name: str | None = strawberry.UNSET
    customer: str | None = strawberry.UNSET
    default_email: str | None = strawberry.UNSET
    default_phone: str | None = strawberry.UNSET
    timezone: str | None = strawberry.UNSET
    assignment_horizon_days: int | None = strawberry.UNSET
    holiday_calendar: HolidayCalendarInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="The whole calendar; null removes it. Changing it reshapes the future of "
        "layers with onHolidays SKIP / ONLY (ACTIVE_TURNS layers keep who is on call now).",
    )
