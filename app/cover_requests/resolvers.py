from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry

from app import pubsub
from app.api.context import Info, acting, viewer
from app.api.relay import Connection, decode_id, decode_ids, paginate
from app.cover_requests import models, query, service
from app.cover_requests.types import (
    CoverOfferType,
    CoverRequestFilter,
    CoverRequestSort,
    CoverRequestType,
)
from app.db import transaction
from app.schedules import service as schedule_service

DEFAULT_PAGE_SIZE = 10


def _optional_contact(value: strawberry.ID | None) -> int | None:
    return None if value is None else decode_id(value, "Contact", field="contactId")


def to_criteria(
    filter: CoverRequestFilter | None, sort: list[CoverRequestSort] | None
) -> query.Criteria:
    f = filter or CoverRequestFilter()

    def ids(values: list[strawberry.ID] | None, kind: str, name: str) -> tuple[int, ...] | None:
        return None if values is None else tuple(decode_ids(values, kind, field=name))

    return query.Criteria(
        ids=ids(f.id, "CoverRequest", "filter.id"),
        schedule_ids=ids(f.schedule, "Schedule", "filter.schedule"),
        requester_ids=ids(f.requester, "Contact", "filter.requester"),
        volunteer_ids=ids(f.volunteer, "Contact", "filter.volunteer"),
        offered_by_ids=ids(f.offered_by, "Contact", "filter.offeredBy"),
        statuses=None if f.status is None else tuple(s.value for s in f.status),
        overlapping=None if f.overlapping is None else (f.overlapping.from_, f.overlapping.to),
        sort=tuple((s.field.value, s.direction.value == "DESC") for s in sort)
        if sort
        else query.DEFAULT_SORT,
    )


async def list_cover_requests(
    info: Info,
    criteria: query.Criteria,
    first: int | None,
    after: str | None,
) -> Connection[CoverRequestType]:
    return await paginate(
        query.list_requests(org_id=info.context.org_id, criteria=criteria),
        CoverRequestType.from_model,
        first=first,
        after=after,
        cap=info.context.settings.page_size_cap,
        default=DEFAULT_PAGE_SIZE,
    )


@strawberry.type
class CoverRequestQuery:
    @strawberry.field(
        description=(
            "The organization's cover requests, filtered (OR inside a field, AND across "
            "fields) and sorted (by `from` then id unless told); 10 a page unless `first` "
            "says otherwise."
        )
    )
    async def cover_requests(
        self,
        info: Info,
        filter: CoverRequestFilter | None = None,
        sort: list[CoverRequestSort] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[CoverRequestType]:
        viewer(info)
        return await list_cover_requests(info, to_criteria(filter, sort), first, after)

    @strawberry.field(description="A cover request by id.")
    async def cover_request(self, info: Info, id: strawberry.ID) -> CoverRequestType:
        row = await service.get_request(
            org_id=viewer(info), request_id=decode_id(id, "CoverRequest")
        )
        return CoverRequestType.from_model(row)


@strawberry.type
class CoverRequestMutation:
    @strawberry.mutation(
        description=(
            "Ask for cover over [from, to) on a schedule. A personal token asks for its own "
            "contact (naming another is FORBIDDEN); an EDITOR names `contactId`. The window "
            "must not be in the past and must lie within times the requester is on call on "
            "the schedule: otherwise CONFLICT with `extensions.onCall` listing those times."
        )
    )
    async def request_cover(
        self,
        info: Info,
        schedule_id: strawberry.ID,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
        note: str | None = None,
        contact_id: strawberry.ID | None = None,
    ) -> CoverRequestType:
        actor = acting(info)
        schedule_pk = decode_id(schedule_id, "Schedule", field="scheduleId")
        requester = _optional_contact(contact_id)
        async with transaction():
            row = await service.request_cover(
                actor=actor,
                schedule_id=schedule_pk,
                requester_id=requester,
                start=from_,
                end=to,
                note=note,
                now=info.context.clock.now(),
                max_days=info.context.settings.max_window_days,
            )
        return CoverRequestType.from_model(row)

    @strawberry.mutation(
        description=(
            "Offer to cover a request: a personal token offers its own contact, an EDITOR "
            "names `contactId`. Only candidates may offer (CONFLICT otherwise, saying why)."
        )
    )
    async def offer_cover(
        self, info: Info, request_id: strawberry.ID, contact_id: strawberry.ID | None = None
    ) -> CoverOfferType:
        actor = acting(info)
        pk = decode_id(request_id, "CoverRequest", field="requestId")
        contact = _optional_contact(contact_id)
        async with transaction():
            offer = await service.offer_cover(
                actor=actor, request_id=pk, contact_id=contact, now=info.context.clock.now()
            )
        return CoverOfferType.from_model(offer)

    @strawberry.mutation(description="Withdraw a standing offer (its volunteer or an EDITOR).")
    async def withdraw_offer(self, info: Info, offer_id: strawberry.ID) -> CoverOfferType:
        actor = acting(info)
        pk = decode_id(offer_id, "CoverOffer", field="offerId")
        async with transaction():
            offer = await service.withdraw_offer(actor=actor, offer_id=pk)
        return CoverOfferType.from_model(offer)

    @strawberry.mutation(
        description=(
            "Accept a standing offer (the requester or an EDITOR), before the window starts: "
            "the request becomes ACCEPTED and a REPLACEMENT substitution (requester -> "
            "volunteer, this schedule, `between` the window) is created in the same "
            "transaction. Of two accepts at once exactly one wins; the other is CONFLICT."
        )
    )
    async def accept_offer(self, info: Info, offer_id: strawberry.ID) -> CoverRequestType:
        actor = acting(info)
        pk = decode_id(offer_id, "CoverOffer", field="offerId")
        async with transaction():
            row = await service.accept_offer(actor=actor, offer_id=pk, now=info.context.clock.now())
        return CoverRequestType.from_model(row)

    @strawberry.mutation(
        description=(
            "Cancel a request before its window starts (the requester or an EDITOR); an "
            "accepted request's substitution is deleted."
        )
    )
    async def cancel_cover_request(self, info: Info, id: strawberry.ID) -> CoverRequestType:
        actor = acting(info)
        pk = decode_id(id, "CoverRequest")
        async with transaction():
            row = await service.cancel_request(
                actor=actor, request_id=pk, now=info.context.clock.now()
            )
        return CoverRequestType.from_model(row)


@strawberry.type
class CoverRequestSubscription:
    @strawberry.subscription(
        description=(
            "A cover request of the schedule was made or changed (offers, acceptance, "
            "cancellation, expiry). After a lost broker connection the schedule's OPEN and "
            "OFFERED requests are sent again (treat that as a refetch)."
        )
    )
    async def cover_request_changed(
        self, info: Info, schedule_id: strawberry.ID
    ) -> AsyncGenerator[CoverRequestType, None]:
        org_id = viewer(info)
        schedule = await schedule_service.get_schedule(
            org_id=org_id, schedule_id=decode_id(schedule_id, "Schedule", field="scheduleId")
        )
        async for event in pubsub.broker().subscribe(service.channel(schedule.id)):
            info.context.reset_loaders()
            if event.get("type") == pubsub.RESYNC:
                for row in await models.CoverRequest.filter(
                    schedule_id=schedule.id, status__in=service.LIVE
                ).order_by("id"):
                    yield CoverRequestType.from_model(row)
                continue
            found = await models.CoverRequest.get_or_none(
                id=event.get("coverRequestId"), schedule_id=schedule.id
            )
            if found is not None:
                yield CoverRequestType.from_model(found)
