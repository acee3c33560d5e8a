from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry

from app import clock, pubsub
from app.api.common import DeletePayload
from app.api.context import Info, admin, editor, viewer
from app.api.inputs import changes_of
from app.api.lazy import from_lazy
from app.api.relay import Connection, decode_id, paginate
from app.db import transaction
from app.destinations import channels, models, service, wake
from app.destinations.types import (
    CreateDestinationInput,
    DestinationType,
    UpdateDestinationInput,
    json_object,
)
from app.schedules import service as schedule_service
from app.shifts import on_call

if TYPE_CHECKING:
    from app.schedules.types import ScheduleType

_SCHEDULES = strawberry.lazy("app.schedules.types")

ScheduleRef = Annotated["ScheduleType", strawberry.lazy("app.schedules.types")]
EXPORT_WAIT_SECONDS = 60


@strawberry.type
class DestinationQuery:
    @strawberry.field(description="The organization's destinations.")
    async def destinations(
        self,
        info: Info,
        schedule_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[DestinationType]:
        org_id = viewer(info)
        pk = decode_id(schedule_id, "Schedule", field="scheduleId") if schedule_id else None
        return await paginate(
            service.list_destinations(org_id=org_id, schedule_id=pk),
            DestinationType.from_model,
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
        )

    @strawberry.field
    async def destination(self, info: Info, id: strawberry.ID) -> DestinationType:
        dest = await service.get_destination(
            org_id=viewer(info), destination_id=decode_id(id, "Destination")
        )
        return DestinationType.from_model(dest)


async def _run_exports(info: Info, ids: list[int], wait: bool) -> None:
    org_id = info.context.org_id
    async with transaction():
        await service.request_export(org_id=org_id, destination_ids=ids, now=clock.now())
    if wait:
        from app.destinations import worker

        await asyncio.wait_for(worker.export_now(ids), EXPORT_WAIT_SECONDS)


@strawberry.type
class DestinationMutation:
    @strawberry.mutation(description="Add a destination to a schedule (ADMIN).")
    async def create_destination(
        self, info: Info, input: CreateDestinationInput
    ) -> DestinationType:
        org_id = admin(info)
        fields = service.DestinationFields(
            name=input.name,
            kind=input.kind.value,
            tier_number=input.tier_number,
            position=input.position,
            auto_export=input.auto_export,
            config=json_object(input.config, "input.config"),
            secrets=json_object(input.secrets, "input.secrets"),
        )
        async with transaction():
            dest = await service.create_destination(
                org_id=org_id,
                schedule_id=decode_id(input.schedule_id, "Schedule", field="input.scheduleId"),
                fields=fields,
                now=clock.now(),
            )
            wake.kick_after_commit()
        return DestinationType.from_model(dest)

    @strawberry.mutation(description="Change a destination (ADMIN).")
    async def update_destination(
        self, info: Info, id: strawberry.ID, input: UpdateDestinationInput
    ) -> DestinationType:
        org_id = admin(info)
        changes = changes_of(input)
        if "config" in changes:
            changes["config"] = json_object(changes["config"], "input.config")
        if "secrets" in changes:
            changes["secrets"] = json_object(changes["secrets"], "input.secrets")
        async with transaction():
            dest = await service.update_destination(
                org_id=org_id,
                destination_id=decode_id(id, "Destination"),
                changes=changes,
                now=clock.now(),
            )
            wake.kick_after_commit()
        return DestinationType.from_model(dest)

    @strawberry.mutation(description="Remove a destination (ADMIN).")
    async def delete_destination(self, info: Info, id: strawberry.ID) -> DeletePayload:
        org_id = admin(info)
        async with transaction():
            await service.delete_destination(
                org_id=org_id, destination_id=decode_id(id, "Destination"), now=clock.now()
            )
        return DeletePayload(deleted_id=id)

    @strawberry.mutation(
        description="Export Now: returns at once with the destination as it is, or with "
        "`wait: true` after the export finished."
    )
    async def export_destination(
        self, info: Info, id: strawberry.ID, wait: bool = False
    ) -> DestinationType:
        org_id = editor(info)
        pk = decode_id(id, "Destination")
        await service.get_destination(org_id=org_id, destination_id=pk)
        await _run_exports(info, [pk], wait)
        return DestinationType.from_model(await models.Destination.get(id=pk))

    @strawberry.mutation(description="Export Now for every destination of a schedule.")
    async def export_schedule(
        self, info: Info, id: strawberry.ID, wait: bool = False
    ) -> list[DestinationType]:
        org_id = editor(info)
        schedule = await schedule_service.get_schedule(
            org_id=org_id, schedule_id=decode_id(id, "Schedule")
        )
        ids = cast(
            list[int],
            await models.Destination.filter(schedule_id=schedule.id).values_list("id", flat=True),
        )
        await _run_exports(info, ids, wait)
        return [
            DestinationType.from_model(d)
            for d in await models.Destination.filter(id__in=ids).order_by("name", "id")
        ]


def _read_once(event: dict[str, Any], load: Callable[[], Awaitable[Any]]) -> Awaitable[Any]:
    """One database read per event, shared by every subscriber in this process that received
    it (the broker hands them the same event object). Still read after the event arrived,
    so each event shows fresh data; shielded, so a subscriber leaving does not cancel it."""
    task = event.get(_READ)
    if task is None:
        task = asyncio.ensure_future(load())
        event[_READ] = task
    return asyncio.shield(task)


_READ = "_shared_read"


async def _destination_of(destination_id: int, schedule_id: int) -> models.Destination | None:
    return await models.Destination.get_or_none(id=destination_id, schedule_id=schedule_id)


async def _schedule_pk(info: Info, schedule_id: strawberry.ID) -> int:
    org_id = viewer(info)
    schedule = await schedule_service.get_schedule(
        org_id=org_id, schedule_id=decode_id(schedule_id, "Schedule", field="scheduleId")
    )
    return schedule.id


@strawberry.type
class DestinationSubscription:
    @strawberry.subscription(
        description="A destination of the schedule changed status. After a lost broker "
        "connection every destination is sent again (treat that as a refetch)."
    )
    async def destination_status_changed(
        self, info: Info, schedule_id: strawberry.ID
    ) -> AsyncGenerator[DestinationType, None]:
        pk = await _schedule_pk(info, schedule_id)
        async for event in pubsub.broker().subscribe(channels.destination_channel(pk)):
            info.context.reset_loaders()
            if event.get("type") == pubsub.RESYNC:
                for dest in await models.Destination.filter(schedule_id=pk).order_by("id"):
                    yield DestinationType.from_model(dest)
                continue
            dest = await _read_once(event, partial(_destination_of, event["destinationId"], pk))
            if dest is not None:
                yield DestinationType.from_model(dest)

    @strawberry.subscription(description="The schedule's roll-up status changed.")
    async def schedule_status_changed(
        self, info: Info, schedule_id: strawberry.ID
    ) -> AsyncGenerator[ScheduleRef, None]:
        from app.schedules import models as schedule_models

        ScheduleType = from_lazy(_SCHEDULES, "ScheduleType")
        pk = await _schedule_pk(info, schedule_id)
        async for event in pubsub.broker().subscribe(channels.schedule_channel(pk)):
            info.context.reset_loaders()
            row = await _read_once(event, lambda: schedule_models.Schedule.get_or_none(id=pk))
            if row is not None:
                yield ScheduleType.from_model(row)

    @strawberry.subscription(
        description="Who is on call changed on the schedule: at a handoff, or when a change "
        "altered who is on call now."
    )
    async def on_call_changed(
        self, info: Info, schedule_id: strawberry.ID
    ) -> AsyncGenerator[ScheduleRef, None]:
        from app.schedules import models as schedule_models

        ScheduleType = from_lazy(_SCHEDULES, "ScheduleType")
        pk = await _schedule_pk(info, schedule_id)
        async for event in pubsub.broker().subscribe(on_call.on_call_channel(pk)):
            info.context.reset_loaders()
            row = await _read_once(event, lambda: schedule_models.Schedule.get_or_none(id=pk))
            if row is not None:
                yield ScheduleType.from_model(row)
