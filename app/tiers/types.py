from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Self

import strawberry

from app.api.context import Info
from app.api.relay import Node, encode_id
from app.tiers import models

if TYPE_CHECKING:
    from app.layers.types import LayerType
    from app.schedules.types import ScheduleType


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
        from app.schedules.types import ScheduleType

        row = await info.context.loaders.schedule.load(self.schedule_pk)
        assert row is not None
        return ScheduleType.from_model(row)

    @strawberry.field(description="The tier's layers, by index (a higher index wins).")
    async def layers(self, info: Info) -> list[Annotated[LayerType, strawberry.lazy("app.layers.types")]]:
        from app.layers.types import LayerType

        return [LayerType.from_model(m) for m in await info.context.loaders.layers_by_tier.load(self.pk)]

    @classmethod
    def from_model(cls, m: models.Tier) -> Self:
        return cls(
            id=encode_id("Tier", m.id), pk=m.id, schedule_pk=m.schedule_id, number=m.number, name=m.name
        )
