from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry

from app.api.context import Info
from app.api.lazy import from_lazy
from app.api.relay import Connection, Node, encode_id
from app.contacts import models

if TYPE_CHECKING:
    from app.calendars.types import BusyInterval, CalendarConnectionType
    from app.substitutions.types import SubstitutionFilter, SubstitutionSort, SubstitutionType
    from app.timelines.types import ShiftType

_TIMELINES_RESOLVERS = strawberry.lazy("app.timelines.resolvers")
_SUBSTITUTIONS_RESOLVERS = strawberry.lazy("app.substitutions.resolvers")
_CALENDARS_RESOLVERS = strawberry.lazy("app.calendars.resolvers")
_SUBSTITUTIONS = strawberry.lazy("app.substitutions.types")


@strawberry.type(name="Contact", description="A person who can be on call.")
class ContactType(Node):
    pk: strawberry.Private[int]
    name: str
    email: str | None
    phone: str | None
    timezone: str = strawberry.field(description="IANA zone of the person, e.g. Europe/London.")
    holiday_region: str | None = strawberry.field(
        description="The person's own holiday region as the `holidays` library names it (US, "
        "DE-BY…): layers with participantHolidays treat its public holidays as days off."
    )

    @strawberry.field(
        description="Substitutions of this contact (unavailable or replaced), 10 a page; "
        "filter and sort as for `substitutions`."
    )
    async def substitutions(
        self,
        info: Info,
        filter: Annotated[SubstitutionFilter, _SUBSTITUTIONS] | None = None,
        sort: list[Annotated[SubstitutionSort, _SUBSTITUTIONS]] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Annotated[SubstitutionType, _SUBSTITUTIONS]]:
        owned_substitutions = from_lazy(_SUBSTITUTIONS_RESOLVERS, "owned_substitutions")
        return await owned_substitutions(info, "contact", self.pk, filter, sort, first, after)

    @strawberry.field(
        description="This person's shifts on every tier of every schedule over [from, to), "
        "by start: their own on-call calendar."
    )
    async def shifts(
        self,
        info: Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
    ) -> list[Annotated[ShiftType, strawberry.lazy("app.timelines.types")]]:
        contact_shifts = from_lazy(_TIMELINES_RESOLVERS, "contact_shifts")
        return await contact_shifts(self, info, from_, to)

    @strawberry.field(
        description="Busy time of this person over [from, to) (offsets required; at most the "
        "server's window limit): imported calendar blocks and organization-wide "
        "unavailability substitutions, merged, in order."
    )
    async def availability(
        self,
        info: Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
    ) -> list[Annotated[BusyInterval, strawberry.lazy("app.calendars.types")]]:
        contact_availability = from_lazy(_CALENDARS_RESOLVERS, "contact_availability")
        return await contact_availability(self, info, from_, to)

    @strawberry.field(description="This person's calendar connections (busy time import).")
    async def calendar_connections(
        self, info: Info
    ) -> list[Annotated[CalendarConnectionType, strawberry.lazy("app.calendars.types")]]:
        contact_calendar_connections = from_lazy(
            _CALENDARS_RESOLVERS, "contact_calendar_connections"
        )

        return await contact_calendar_connections(self, info)

    @classmethod
    def from_model(cls, m: models.Contact) -> Self:
        return cls(
            id=encode_id("Contact", m.id),
            pk=m.id,
            name=m.name,
            email=m.email,
            phone=m.phone,
            timezone=m.timezone,
            holiday_region=m.holiday_region,
        )


@strawberry.input(description="A new contact.")
class CreateContactInput:
    name: str
    email: str | None = None
    phone: str | None = None
    timezone: str = "UTC"
    holiday_region: str | None = None


@strawberry.input(description="Changes to a contact: omitted fields stay, null clears.")
class UpdateContactInput:
    name: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    timezone: str | None = strawberry.UNSET
    holiday_region: str | None = strawberry.UNSET
