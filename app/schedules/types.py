from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Self

import strawberry

from app.api.context import Info
from app.api.relay import Node, encode_id
from app.schedules import models

if TYPE_CHECKING:
    from app.tiers.types import TierType


@strawberry.type(name="Schedule", description="An on-call schedule: tiers of escalation, each with layers.")
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

    @strawberry.field(description="The escalation tiers, by number (1 = primary).")
    async def tiers(
        self, info: Info
    ) -> list[Annotated[TierType, strawberry.lazy("app.tiers.types")]]:
        from app.tiers.types import TierType

        return [TierType.from_model(t) for t in await info.context.loaders.tiers_by_schedule.load(self.pk)]

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
        )


@strawberry.input
class CreateScheduleInput:
    name: str
    customer: str = ""
    default_email: str | None = None
    default_phone: str | None = None
    timezone: str = "UTC"
    assignment_horizon_days: int = 28
    tier_count: int = strawberry.field(default=1, description="How many tiers to create (numbered 1..n).")


@strawberry.input(description="Omitted fields stay; null clears an optional field.")
class UpdateScheduleInput:
    name: str | None = strawberry.UNSET
    customer: str | None = strawberry.UNSET
    default_email: str | None = strawberry.UNSET
    default_phone: str | None = strawberry.UNSET
    timezone: str | None = strawberry.UNSET
    assignment_horizon_days: int | None = strawberry.UNSET
