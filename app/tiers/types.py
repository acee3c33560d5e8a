from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry

from app.api.context import Info
from app.api.lazy import from_lazy
from app.api.relay import Connection, Node, encode_id, paginate
from app.tiers import models
from app.timelines import resolvers as timeline_resolvers

if TYPE_CHECKING:
    from app.layers.types import LayerType
    from app.on_demand_shifts.types import OnDemandShiftType
    from app.schedules.types import ScheduleType

_SCHEDULES = strawberry.lazy("app.schedules.types")
_ON_DEMAND_SHIFTS = strawberry.lazy("app.on_demand_shifts.types")
_LAYERS = strawberry.lazy("app.layers.types")


@strawberry.type(name="Tier", description="An escalation level of a schedule; 1 is the primary.")
class TierType(Node):
    pk: strawberry.Private[int]
    schedule_pk: strawberry.Private[int]
    number: int
    name: str

    @strawberry.field
    async def schedule(
        self, info: Info
    ) -> Annotated[ScheduleType, strawberry.lazy("app.schedules.types")]:
        ScheduleType = from_lazy(_SCHEDULES, "ScheduleType")
        row = await info.context.loaders.schedule.load(self.schedule_pk)
        assert row is not None
        return ScheduleType.from_model(row)

    @strawberry.field(description="The tier's layers, by index (a higher index wins).")
    async def layers(
        self, info: Info
    ) -> list[Annotated[LayerType, strawberry.lazy("app.layers.types")]]:
        LayerType = from_lazy(_LAYERS, "LayerType")
        return [
            LayerType.from_model(m) for m in await info.context.loaders.layers_by_tier.load(self.pk)
        ]

    shifts = strawberry.field(resolver=timeline_resolvers.tier_shifts)
    timeline = strawberry.field(resolver=timeline_resolvers.tier_timeline)
    confirmed_until: datetime | None = strawberry.field(
        description="Assignments are confirmed (stored as shifts) up to here."
    )

    @strawberry.field(description="The tier's on-demand shifts, by start.")
    async def on_demand_shifts(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[OnDemandShiftType, strawberry.lazy("app.on_demand_shifts.types")]]:
        from app.on_demand_shifts import service as on_demand_service

        OnDemandShiftType = from_lazy(_ON_DEMAND_SHIFTS, "OnDemandShiftType")
        return await paginate(
            on_demand_service.list_shifts(org_id=info.context.org_id, tier_ids=[self.pk]),
            OnDemandShiftType.from_model,
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
        )

    @classmethod
    def from_model(cls, m: models.Tier) -> Self:
        return cls(
            confirmed_until=m.confirmed_until,
            id=encode_id("Tier", m.id),
            pk=m.id,
            schedule_pk=m.schedule_id,
            number=m.number,
            name=m.name,
        )
