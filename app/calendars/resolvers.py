from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from app.api.common import DeletePayload
from app.api.context import Info, acting, editor, viewer
from app.api.relay import Connection, collect_reference, decode_id, paginate
from app.auth.roles import Actor
from app.calendars import feeds, importer, service
from app.calendars.providers import SourceSettings
from app.calendars.types import (
    BusyInterval,
    BusySource,
    CalendarConnectionType,
    CalendarFeedType,
    CalendarImportInput,
    CalendarProvider,
    CalendarSourceInput,
    CreateCalendarFeedInput,
    CreatedCalendarFeed,
)
from app.db import transaction
from app.errors import Collector


async def contact_calendar_connections(root: Any, info: Info) -> list[CalendarConnectionType]:
    rows = await info.context.loaders.calendar_connections_by_contact.load(root.pk)
    return [CalendarConnectionType.from_model(r) for r in rows]


async def contact_availability(
    root: Any, info: Info, from_: datetime, to: datetime
) -> list[BusyInterval]:
    service.check_window(from_, to, max_days=info.context.settings.max_window_days)
    spans = await info.context.loaders.contact_availability.load((root.pk, from_, to))
    return [
        BusyInterval(start=s.start, end=s.end, sources=[BusySource(x) for x in s.sources])
        for s in spans
    ]


def _optional_id(errors: Collector, field: str, value: str | None, type_name: str) -> int | None:
    if value is None:
        return None
    pk = collect_reference(errors, field, value, type_name)
    return 0 if pk is None else pk


async def _own_connection(actor: Actor, connection_id: int) -> None:
    """A personal token acts only on its own contact's connections (NOT_FOUND first for
    another organization's ids)."""
    if actor.is_person:
        row = await service.get_connection(org_id=actor.org_id, connection_id=connection_id)
        actor.require_self(row.contact_id, "it manages only its own calendar connections")


def _base_url(info: Info) -> str:
    configured = info.context.settings.feed_base_url
    return configured or str(info.context.request.base_url)


@strawberry.type
class CalendarQuery:
    @strawberry.field(description="A calendar connection by id (its settings are never shown).")
    async def calendar_connection(self, info: Info, id: strawberry.ID) -> CalendarConnectionType:
        row = await service.get_connection(
            org_id=viewer(info), connection_id=decode_id(id, "CalendarConnection")
        )
        return CalendarConnectionType.from_model(row)

    @strawberry.field(description="The organization's calendar feeds, newest first.")
    async def calendar_feeds(
        self,
        info: Info,
        include_revoked: bool = False,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[CalendarFeedType]:
        org_id = viewer(info)
        qs = feeds.models.CalendarFeed.filter(organization_id=org_id)
        if not include_revoked:
            qs = qs.filter(revoked_at__isnull=True)
        return await paginate(
            qs.order_by("-id"),
            CalendarFeedType.from_model,
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
        )


@strawberry.type
class CalendarMutation:
    @strawberry.mutation(
        description=(
            "Connect a contact's calendar account (EDITOR, or a personal token for its own "
            "contact). The source is reached first: when it "
            "cannot be reached, is not a calendar or refuses the credentials, the answer is "
            "BAD_USER_INPUT naming the field and nothing is saved. Connecting an account the "
            "contact already has updates that connection (its import choices stay). New "
            "calendars are listed with import off."
        )
    )
    async def connect_calendar(
        self,
        info: Info,
        contact_id: strawberry.ID,
        provider: CalendarProvider,
        settings: CalendarSourceInput,
    ) -> CalendarConnectionType:
        actor = acting(info)
        org_id = actor.org_id
        contact_pk = decode_id(contact_id, "Contact", field="contactId")
        actor.require_self(contact_pk, "it connects only its own calendars")
        spec = service.ConnectSpec(
            contact_id=contact_pk,
            provider=provider.value,
            settings=SourceSettings(
                url=settings.url, username=settings.username, password=settings.password
            ),
        )
        spec = await service.prepare_connect(org_id=org_id, spec=spec)
        found = await service.reach(spec=spec, config=info.context.settings)
        async with transaction():
            row = await service.save_connection(org_id=org_id, spec=spec, calendars=found)
        return CalendarConnectionType.from_model(row)

    @strawberry.mutation(
        description=(
            "Turn imports on or off and choose filters, per calendar (EDITOR, or the "
            "connection's own personal token); calendars not named "
            "stay as they are. Turning one off removes its busy time at once; the enabled "
            "calendars are imported in the background after saving."
        )
    )
    async def set_calendar_imports(
        self, info: Info, connection_id: strawberry.ID, imports: list[CalendarImportInput]
    ) -> CalendarConnectionType:
        actor = acting(info)
        org_id = actor.org_id
        pk = decode_id(connection_id, "CalendarConnection", field="connectionId")
        await _own_connection(actor, pk)
        errors = Collector("imports.")
        choices = []
        for i, item in enumerate(imports):
            calendar_id = _optional_id(
                errors.child(str(i)), "calendarId", item.calendar_id, "ConnectedCalendar"
            )
            choices.append(
                service.ImportChoice(
                    calendar_id=calendar_id or 0,
                    enabled=item.enabled,
                    filter=item.filter.name if item.filter is not None else None,
                )
            )
        errors.raise_if_any()
        async with transaction():
            row, enabled = await service.set_imports(
                org_id=org_id, connection_id=pk, choices=choices
            )
            importer.import_after_commit(enabled, config=info.context.settings)
        return CalendarConnectionType.from_model(row)

    @strawberry.mutation(
        description=(
            "Import the connection's enabled calendars now (EDITOR, or the connection's own "
            "personal token): in the background, or with "
            "`wait: true` answering once the imports finished (each bounded by the fetch "
            "timeout). A calendar already being imported is left to that import."
        )
    )
    async def import_calendars_now(
        self, info: Info, connection_id: strawberry.ID, wait: bool = False
    ) -> CalendarConnectionType:
        actor = acting(info)
        org_id = actor.org_id
        pk = decode_id(connection_id, "CalendarConnection", field="connectionId")
        await _own_connection(actor, pk)
        ids = await service.enabled_calendar_ids(org_id=org_id, connection_id=pk)
        if wait:
            await importer.import_calendars(ids, config=info.context.settings)
        else:
            importer.start_background(ids, config=info.context.settings)
        row = await service.get_connection(org_id=org_id, connection_id=pk)
        return CalendarConnectionType.from_model(row)

    @strawberry.mutation(
        description=(
            "Remove a connection with its calendars and their busy time (EDITOR, or the "
            "connection's own personal token)."
        )
    )
    async def disconnect_calendar(self, info: Info, connection_id: strawberry.ID) -> DeletePayload:
        actor = acting(info)
        org_id = actor.org_id
        pk = decode_id(connection_id, "CalendarConnection", field="connectionId")
        await _own_connection(actor, pk)
        async with transaction():
            await service.disconnect(org_id=org_id, connection_id=pk)
        return DeletePayload(deleted_id=connection_id)

    @strawberry.mutation(
        description=(
            "Create a secret iCalendar feed of a schedule, a tier or a contact (EDITOR). The "
            "URL is returned this once; only a hash of its secret is kept."
        )
    )
    async def create_calendar_feed(
        self, info: Info, input: CreateCalendarFeedInput
    ) -> CreatedCalendarFeed:
        org_id = editor(info)
        errors = Collector("input.")
        spec = feeds.FeedSpec(
            schedule_id=_optional_id(errors, "scheduleId", input.schedule_id, "Schedule"),
            tier_id=_optional_id(errors, "tierId", input.tier_id, "Tier"),
            contact_id=_optional_id(errors, "contactId", input.contact_id, "Contact"),
            busy=input.busy,
            name=input.name,
        )
        errors.raise_if_any()
        async with transaction():
            feed, secret = await feeds.create_feed(org_id=org_id, spec=spec)
        return CreatedCalendarFeed(
            feed=CalendarFeedType.from_model(feed), url=feeds.feed_url(secret, _base_url(info))
        )

    @strawberry.mutation(description="Revoke a feed: its URL answers 404 from now on.")
    async def revoke_calendar_feed(self, info: Info, id: strawberry.ID) -> CalendarFeedType:
        org_id = editor(info)
        async with transaction():
            feed = await feeds.revoke_feed(
                org_id=org_id,
                feed_id=decode_id(id, "CalendarFeed"),
                now=info.context.clock.now(),
            )
        return CalendarFeedType.from_model(feed)
