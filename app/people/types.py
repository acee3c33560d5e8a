from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated

import strawberry

from app.api.context import Info
from app.api.relay import Connection
from app.auth.types import ApiTokenType
from app.calendars import feeds
from app.calendars.types import CalendarFeedType
from app.contacts.types import ContactType
from app.cover_requests import models as cover_models
from app.cover_requests.resolvers import list_cover_requests, to_criteria
from app.cover_requests.types import (
    CoverOfferType,
    CoverRequestFilter,
    CoverRequestSort,
    CoverRequestType,
)
from app.timelines.resolvers import contact_shifts
from app.timelines.types import ShiftType


@strawberry.type(
    description=(
        "A personal link: open `url` (the schedule page) to sign in as the contact. Its "
        "one-time code is valid until `expiresAt` (15 minutes) and works once; the page "
        "exchanges it at `POST /sign-in` for a personal token held by the tab."
    )
)
class PersonalLink:
    url: str
    code: str = strawberry.field(
        description='The one-time code, for clients that call `POST /sign-in` {"code": ...}.'
    )
    expires_at: datetime
    contact_id: strawberry.ID


@strawberry.type(
    description=(
        "The person behind a personal token: their contact, shifts, feeds, cover requests "
        "and offers."
    )
)
class Me:
    contact: ContactType
    token: ApiTokenType

    @strawberry.field(
        description="Their shifts on every tier of every schedule over [from, to), by start."
    )
    async def shifts(
        self,
        info: Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
    ) -> list[ShiftType]:
        return await contact_shifts(self.contact, info, from_, to)

    @strawberry.field(description="Feeds of their own shifts that are not revoked, newest first.")
    async def calendar_feeds(self, info: Info) -> list[CalendarFeedType]:
        rows = await feeds.models.CalendarFeed.filter(
            organization_id=info.context.org_id, contact_id=self.contact.pk, revoked_at=None
        ).order_by("-id")
        return [CalendarFeedType.from_model(r) for r in rows]

    @strawberry.field(
        description=(
            "Cover requests they made, filtered and sorted as `coverRequests` (the requester "
            "filter is theirs), 10 a page."
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
        criteria = replace(to_criteria(filter, sort), requester_ids=(self.contact.pk,))
        return await list_cover_requests(info, criteria, first, after)

    @strawberry.field(description="Offers they made, newest first, withdrawn ones included.")
    async def cover_offers(self, info: Info) -> list[CoverOfferType]:
        rows = await cover_models.CoverOffer.filter(
            organization_id=info.context.org_id, contact_id=self.contact.pk
        ).order_by("-id")
        return [CoverOfferType.from_model(r) for r in rows]
