from __future__ import annotations

import strawberry

from app.api.common import DeletePayload
from app.api.context import Info, editor, viewer
from app.api.relay import Connection, decode_id, decode_ids, paginate
from app.db import transaction
from app.on_demand_shifts import service
from app.on_demand_shifts.types import (
    CreateOnDemandShiftInput,
    OnDemandShiftFilter,
    OnDemandShiftType,
    UpdateOnDemandShiftInput,
)


@strawberry.type
class OnDemandShiftQuery:
    @strawberry.field(description="The organization's on-demand shifts, by start.")
    async def on_demand_shifts(
        self,
        info: Info,
        filter: OnDemandShiftFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[OnDemandShiftType]:
        org_id = viewer(info)
        f = filter or OnDemandShiftFilter()
        query = service.list_shifts(
            org_id=org_id,
            tier_ids=decode_ids(f.tier_ids, "Tier", field="filter.tierIds") if f.tier_ids else None,
            schedule_ids=decode_ids(f.schedule_ids, "Schedule", field="filter.scheduleIds")
            if f.schedule_ids
            else None,
            contact_ids=decode_ids(f.contact_ids, "Contact", field="filter.contactIds")
            if f.contact_ids
            else None,
            start=f.from_,
            end=f.to,
        )
        return await paginate(
            query,
            OnDemandShiftType.from_model,
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
        )

    @strawberry.field
    async def on_demand_shift(self, info: Info, id: strawberry.ID) -> OnDemandShiftType:
        shift = await service.get_shift(
            org_id=viewer(info), shift_id=decode_id(id, "OnDemandShift")
        )
        return OnDemandShiftType.from_model(shift)


@strawberry.type
class OnDemandShiftMutation:
    @strawberry.mutation(description="Create an on-demand shift (see `sure` for overlaps).")
    async def create_on_demand_shift(
        self, info: Info, input: CreateOnDemandShiftInput
    ) -> OnDemandShiftType:
        org_id = editor(info)
        spec = service.ShiftSpec(
            start=input.start,
            end=input.end,
            contact_ids=tuple(decode_ids(input.contact_ids, "Contact", field="input.contactIds")),
        )
        async with transaction():
            shift = await service.create_shift(
                org_id=org_id,
                tier_id=decode_id(input.tier_id, "Tier", field="input.tierId"),
                spec=spec,
                sure=input.sure,
            )
        return OnDemandShiftType.from_model(shift)

    @strawberry.mutation(description="Change an on-demand shift (same overlap rule as create).")
    async def update_on_demand_shift(
        self, info: Info, id: strawberry.ID, input: UpdateOnDemandShiftInput
    ) -> OnDemandShiftType:
        org_id = editor(info)
        contacts = None
        if input.contact_ids is not strawberry.UNSET and input.contact_ids is not None:
            contacts = tuple(decode_ids(input.contact_ids, "Contact", field="input.contactIds"))
        elif input.contact_ids is None:
            contacts = ()
        async with transaction():
            shift = await service.update_shift(
                org_id=org_id,
                shift_id=decode_id(id, "OnDemandShift"),
                start=input.start or None,
                end=input.end or None,
                contact_ids=contacts,
                sure=input.sure,
            )
        return OnDemandShiftType.from_model(shift)

    @strawberry.mutation
    async def delete_on_demand_shift(self, info: Info, id: strawberry.ID) -> DeletePayload:
        org_id = editor(info)
        async with transaction():
            await service.delete_shift(org_id=org_id, shift_id=decode_id(id, "OnDemandShift"))
        return DeletePayload(deleted_id=id)
