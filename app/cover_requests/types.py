from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Self

import strawberry

from app.api.common import InstantRangeInput, SortDirection
from app.api.context import Info
from app.api.relay import Node, encode_id
from app.contacts.types import ContactType
from app.cover_requests import eligibility, models, service
from app.errors import NotFound
from app.schedules.types import ScheduleType
from app.substitutions.types import SubstitutionType


@strawberry.enum(
    description=(
        "OPEN: nobody offered (or every offer was withdrawn); OFFERED: some offer stands; "
        "ACCEPTED: an offer was accepted and its substitution created; CANCELLED by the "
        "requester or an EDITOR; EXPIRED: the window started uncovered."
    )
)
class CoverRequestStatus(enum.Enum):
    OPEN = "OPEN"
    OFFERED = "OFFERED"
    ACCEPTED = "ACCEPTED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


@strawberry.enum(
    description="ACTIVE stands; WITHDRAWN by its volunteer; ACCEPTED; DECLINED: another was."
)
class CoverOfferStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    WITHDRAWN = "WITHDRAWN"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"


async def _contact(info: Info, pk: int) -> ContactType:
    row = await info.context.loaders.contact.load(pk)
    if row is None:
        raise NotFound("Contact", pk)
    return ContactType.from_model(row)


@strawberry.type(name="CoverOffer", description="A candidate's offer to cover a request.")
class CoverOfferType(Node):
    pk: strawberry.Private[int]
    contact_pk: strawberry.Private[int]
    request_pk: strawberry.Private[int]
    status: CoverOfferStatus
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="Who offers to cover.")
    async def contact(self, info: Info) -> ContactType:
        return await _contact(info, self.contact_pk)

    @strawberry.field
    async def cover_request(
        self, info: Info
    ) -> Annotated[CoverRequestType, strawberry.lazy("app.cover_requests.types")]:
        row = await info.context.loaders.cover_request.load(self.request_pk)
        if row is None:
            raise NotFound("CoverRequest", self.request_pk)
        return CoverRequestType.from_model(row)

    @classmethod
    def from_model(cls, m: models.CoverOffer) -> Self:
        return cls(
            id=encode_id("CoverOffer", m.id),
            pk=m.id,
            contact_pk=m.contact_id,
            request_pk=m.cover_request_id,
            status=CoverOfferStatus(m.status),
            created_at=m.created_at,
            updated_at=m.updated_at,
        )


@strawberry.type(
    name="CoverRequest",
    description=(
        "A request for cover over [from, to) on a schedule by a person on call then. "
        "Accepting an offer creates a REPLACEMENT substitution (requester -> volunteer) "
        "`between` the same instants; cancelling before the window deletes it."
    ),
)
class CoverRequestType(Node):
    pk: strawberry.Private[int]
    row: strawberry.Private[models.CoverRequest]
    from_: datetime = strawberry.field(name="from", description="Inclusive, UTC.")
    to: datetime = strawberry.field(description="Exclusive, UTC.")
    note: str
    status: CoverRequestStatus
    created_at: datetime
    updated_at: datetime

    @strawberry.field
    async def schedule(self, info: Info) -> ScheduleType:
        row = await info.context.loaders.schedule.load(self.row.schedule_id)
        if row is None:
            raise NotFound("Schedule", self.row.schedule_id)
        return ScheduleType.from_model(row)

    @strawberry.field(description="The person on call who asks for cover.")
    async def requester(self, info: Info) -> ContactType:
        return await _contact(info, self.row.requester_id)

    @strawberry.field(description="Whose offer was accepted; null until then.")
    async def volunteer(self, info: Info) -> ContactType | None:
        if self.row.volunteer_id is None:
            return None
        return await _contact(info, self.row.volunteer_id)

    @strawberry.field(description="The substitution accepting created; null otherwise.")
    async def substitution(self, info: Info) -> SubstitutionType | None:
        if self.row.substitution_id is None:
            return None
        row = await info.context.loaders.substitution.load(self.row.substitution_id)
        return SubstitutionType.from_model(row) if row else None

    @strawberry.field(description="Every offer made, oldest first, withdrawn ones included.")
    async def offers(self, info: Info) -> list[CoverOfferType]:
        rows = await info.context.loaders.offers_by_request.load(self.pk)
        return [CoverOfferType.from_model(r) for r in rows]

    @strawberry.field(
        description=(
            "Who may cover it now: participants of the schedule's layers who are available "
            "for the whole window and not on call in any tier of the schedule during it. "
            "Least loaded first: fewest hours on call over the 90 days before the window "
            "(confirmed, every schedule), then night hours, weekend plus holiday hours, "
            "shifts, name (see `suggestCover`). Empty once the request is no longer OPEN or "
            "OFFERED."
        )
    )
    async def candidates(self, info: Info) -> list[ContactType]:
        if self.row.status not in service.LIVE:
            return []
        org_id = info.context.org_id
        ids = await service.candidate_ids(org_id=org_id, row=self.row)
        ranked = await eligibility.rank_candidates(
            org_id=org_id, schedule_id=self.row.schedule_id, contact_ids=ids, before=self.row.start
        )
        return [ContactType.from_model(c) for c in ranked]

    @classmethod
    def from_model(cls, m: models.CoverRequest) -> Self:
        return cls(
            id=encode_id("CoverRequest", m.id),
            pk=m.id,
            row=m,
            from_=m.start,
            to=m.end,
            note=m.note,
            status=CoverRequestStatus(m.status),
            created_at=m.created_at,
            updated_at=m.updated_at,
        )


@strawberry.enum(description="What cover requests can be sorted by; ties always go by id.")
class CoverRequestSortField(enum.Enum):
    ID = "ID"
    FROM = "FROM"
    TO = "TO"
    STATUS = "STATUS"
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"


@strawberry.input
class CoverRequestSort:
    field: CoverRequestSortField
    direction: SortDirection = SortDirection.ASC


@strawberry.input(
    description=(
        "Each field takes a list matched with OR; fields are ANDed; an omitted field "
        "matches everything."
    )
)
class CoverRequestFilter:
    id: list[strawberry.ID] | None = None
    schedule: list[strawberry.ID] | None = None
    requester: list[strawberry.ID] | None = None
    volunteer: list[strawberry.ID] | None = None
    offered_by: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Requests these contacts made an offer on (any status)."
    )
    status: list[CoverRequestStatus] | None = None
    overlapping: InstantRangeInput | None = strawberry.field(
        default=None, description="Requests whose window overlaps [from, to)."
    )
