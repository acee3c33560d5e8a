from __future__ import annotations

import strawberry

from app.api.common import DeletePayload
from app.api.context import Info, editor, viewer
from app.api.relay import decode_id
from app.db import transaction
from app.errors import BadUserInput
from app.schedules import service as schedule_service
from app.tiers import service
from app.tiers.types import TierType


@strawberry.type
class TierQuery:
    @strawberry.field(description="A tier by its id, or by its schedule's id and its number.")
    async def tier(
        self,
        info: Info,
        id: strawberry.ID | None = None,
        schedule_id: strawberry.ID | None = None,
        number: int | None = None,
    ) -> TierType:
        org_id = viewer(info)
        if id is not None and schedule_id is None and number is None:
            tier = await service.get_tier(org_id=org_id, tier_id=decode_id(id, "Tier"))
        elif id is None and schedule_id is not None and number is not None:
            tier = await service.get_tier_by_number(
                org_id=org_id,
                schedule_id=decode_id(schedule_id, "Schedule", field="scheduleId"),
                number=number,
            )
        else:
            raise BadUserInput("give either id, or scheduleId and number", field="id")
        return TierType.from_model(tier)


@strawberry.type
class TierMutation:
    @strawberry.mutation(description="Add a tier; by default after the last one.")
    async def create_tier(
        self, info: Info, schedule_id: strawberry.ID, number: int | None = None, name: str = ""
    ) -> TierType:
        org_id = editor(info)
        async with transaction():
            tier = await schedule_service.create_tier(
                org_id=org_id,
                schedule_id=decode_id(schedule_id, "Schedule", field="scheduleId"),
                number=number,
                name=name,
            )
        return TierType.from_model(tier)

    @strawberry.mutation
    async def update_tier(self, info: Info, id: strawberry.ID, name: str) -> TierType:
        org_id = editor(info)
        async with transaction():
            tier = await service.update_tier(
                org_id=org_id, tier_id=decode_id(id, "Tier"), name=name
            )
        return TierType.from_model(tier)

    @strawberry.mutation(
        description="Delete a tier and its layers; later tiers move up one number."
    )
    async def delete_tier(self, info: Info, id: strawberry.ID) -> DeletePayload:
        org_id = editor(info)
        async with transaction():
            await service.delete_tier(org_id=org_id, tier_id=decode_id(id, "Tier"))
        return DeletePayload(deleted_id=id)
