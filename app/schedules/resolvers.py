from __future__ import annotations

import strawberry

from app import clock
from app.api.common import DeletePayload
from app.api.context import Info, editor, viewer
from app.api.inputs import changes_of
from app.api.relay import Connection, decode_id, paginate
from app.db import transaction
from app.layers import edits as layer_edits
from app.schedules import service
from app.schedules.calendar_types import HolidayCalendarInput
from app.schedules.types import CreateScheduleInput, ScheduleType, UpdateScheduleInput


def calendar_spec(data: HolidayCalendarInput | None) -> service.CalendarSpec | None:
    if data is None:
        return None
    return service.CalendarSpec(
        region=data.region,
        extra=tuple((d.date, d.name) for d in data.extra_dates),
        excluded=tuple(data.excluded_dates),
    )


@strawberry.type
class ScheduleQuery:
    @strawberry.field(description="The organization's schedules, by name.")
    async def schedules(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ScheduleType]:
        return await paginate(
            service.list_schedules(org_id=viewer(info)),
            ScheduleType.from_model,
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
        )

    @strawberry.field
    async def schedule(self, info: Info, id: strawberry.ID) -> ScheduleType:
        schedule = await service.get_schedule(
            org_id=viewer(info), schedule_id=decode_id(id, "Schedule")
        )
        return ScheduleType.from_model(schedule)


@strawberry.type
class ScheduleMutation:
    @strawberry.mutation
    async def create_schedule(self, info: Info, input: CreateScheduleInput) -> ScheduleType:
        org_id = editor(info)
        fields = service.ScheduleFields(
            name=input.name,
            customer=input.customer,
            default_email=input.default_email,
            default_phone=input.default_phone,
            timezone=input.timezone,
            assignment_horizon_days=input.assignment_horizon_days,
        )
        async with transaction():
            schedule = await service.create_schedule(
                org_id=org_id,
                fields=fields,
                tier_count=input.tier_count,
                calendar=calendar_spec(input.holiday_calendar),
            )
        return ScheduleType.from_model(schedule)

    @strawberry.mutation
    async def update_schedule(
        self, info: Info, id: strawberry.ID, input: UpdateScheduleInput
    ) -> ScheduleType:
        org_id = editor(info)
        changes = changes_of(input)
        if "holiday_calendar" in changes:
            changes["holiday_calendar"] = calendar_spec(changes["holiday_calendar"])
        async with transaction():
            schedule = await layer_edits.update_schedule(
                org_id=org_id,
                schedule_id=decode_id(id, "Schedule"),
                changes=changes,
                now=clock.now(),
            )
        return ScheduleType.from_model(schedule)

    @strawberry.mutation(description="Delete a schedule with its tiers and layers.")
    async def delete_schedule(self, info: Info, id: strawberry.ID) -> DeletePayload:
        org_id = editor(info)
        async with transaction():
            await service.delete_schedule(org_id=org_id, schedule_id=decode_id(id, "Schedule"))
        return DeletePayload(deleted_id=id)
