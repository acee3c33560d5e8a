from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry

from app.api.context import Info
from app.api.lazy import from_lazy
from app.api.relay import Node, encode_id
from app.contacts.types import ContactType
from app.on_demand_shifts import models

if TYPE_CHECKING:
    from app.tiers.types import TierType

_TIERS = strawberry.lazy("app.tiers.types")


@strawberry.type(
    name="OnDemandShift",
    description="An explicit assignment on a tier. It wins over every layer and is never "
    "changed by availability; known busy time shows up in `warnings`.",
)
class OnDemandShiftType(Node):
    pk: strawberry.Private[int]
    tier_pk: strawberry.Private[int]
    start: datetime
    end: datetime

    @strawberry.field(description="The assignees in order: the first is the primary.")
    async def contacts(self, info: Info) -> list[ContactType]:
        ids = await info.context.loaders.on_demand_contacts.load(self.pk)
        rows = await info.context.loaders.contact.load_many(ids)
        return [ContactType.from_model(r) for r in rows if r is not None]

    @strawberry.field
    async def tier(self, info: Info) -> Annotated[TierType, strawberry.lazy("app.tiers.types")]:
        TierType = from_lazy(_TIERS, "TierType")
        row = await info.context.loaders.tier.load(self.tier_pk)
        assert row is not None
        return TierType.from_model(row)

    @strawberry.field(
        description="Known busy time (unavailability substitutions, imported calendar blocks) "
        "of its contacts during the shift. The shift stands anyway."
    )
    async def warnings(self, info: Info) -> list[str]:
        from app.timelines import warnings

        return await warnings.on_demand_warnings(
            org_id=info.context.org_id, shift_id=self.pk, tier_id=self.tier_pk
        )

    @classmethod
    def from_model(cls, m: models.OnDemandShift) -> Self:
        return cls(
            id=encode_id("OnDemandShift", m.id),
            pk=m.id,
            tier_pk=m.tier_id,
            start=m.start,
            end=m.end,
        )


@strawberry.input
class CreateOnDemandShiftInput:
    tier_id: strawberry.ID
    start: datetime
    end: datetime
    contact_ids: list[strawberry.ID] = strawberry.field(
        description="In order: the first is the primary."
    )
    sure: bool = strawberry.field(
        default=False,
        description="false: refuse (CONFLICT) when it overlaps the tier's other on-demand "
        "shifts. true: save it and trim or split the overlapped ones around it.",
    )


@strawberry.input(description="Omitted fields stay as they are.")
class UpdateOnDemandShiftInput:
    start: datetime | None = strawberry.UNSET
    end: datetime | None = strawberry.UNSET
    contact_ids: list[strawberry.ID] | None = strawberry.UNSET
    sure: bool = False


@strawberry.input(description="Fields AND together; each list matches any of its values.")
class OnDemandShiftFilter:
    tier_ids: list[strawberry.ID] | None = None
    schedule_ids: list[strawberry.ID] | None = None
    contact_ids: list[strawberry.ID] | None = None
    from_: datetime | None = strawberry.field(
        default=None, name="from", description="Ending after this."
    )
    to: datetime | None = strawberry.field(default=None, description="Starting before this.")
