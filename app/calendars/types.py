from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry

from app.api.context import Info
from app.api.lazy import from_lazy
from app.api.relay import Node, encode_id
from app.calendars import models
from app.contacts.types import ContactType

if TYPE_CHECKING:
    from app.schedules.types import ScheduleType
    from app.tiers.types import TierType

_TIERS = strawberry.lazy("app.tiers.types")
_SCHEDULES = strawberry.lazy("app.schedules.types")


@strawberry.enum(
    description=(
        "Where busy time comes from. ICS_URL: an iCalendar address (Google's and Outlook's "
        "secret iCal addresses work this way); CALDAV: a CalDAV server with a user name and "
        "password."
    )
)
class CalendarProvider(enum.Enum):
    ICS_URL = "ICS_URL"
    CALDAV = "CALDAV"


@strawberry.enum(description="Which busy events of a calendar make its contact unavailable.")
class CalendarImportFilter(enum.Enum):
    LONG_OR_ALL_DAY = strawberry.enum_value(
        "LONG_OR_ALL_DAY",
        description="All-day events and events of at least 4 hours (time off, not meetings).",
    )
    ALL_DAY_ONLY = strawberry.enum_value("ALL_DAY_ONLY", description="All-day events only.")
    ALL_BUSY = strawberry.enum_value("ALL_BUSY", description="Every busy event.")


@strawberry.enum(description="Where a calendar's import stands.")
class CalendarImportStatus(enum.Enum):
    PENDING = strawberry.enum_value("PENDING", description="Not imported yet (or import is off).")
    IMPORTING = strawberry.enum_value("IMPORTING", description="An import is running.")
    OK = strawberry.enum_value("OK", description="The last import succeeded.")
    ERROR = strawberry.enum_value(
        "ERROR", description="The last import failed (see lastError); earlier blocks are kept."
    )


@strawberry.type(
    name="ConnectedCalendar",
    description=(
        "One calendar of a connection: whether its busy time is imported, with which filter, "
        "and how the import went."
    ),
)
class ConnectedCalendarType(Node):
    pk: strawberry.Private[int]
    name: str = strawberry.field(description="The calendar's display name at the source.")
    import_enabled: bool = strawberry.field(description="Off until turned on.")
    filter: CalendarImportFilter
    status: CalendarImportStatus
    last_imported_at: datetime | None = strawberry.field(
        description="When the last successful import finished."
    )
    last_attempt_at: datetime | None = strawberry.field(description="When an import last started.")
    last_error: str | None = strawberry.field(
        description="Why the last import failed; null after a success."
    )
    block_count: int = strawberry.field(
        description="How many busy intervals (merged) are stored from this calendar."
    )

    @classmethod
    def from_model(cls, m: models.ConnectedCalendar) -> Self:
        return cls(
            id=encode_id("ConnectedCalendar", m.id),
            pk=m.id,
            name=m.name,
            import_enabled=m.import_enabled,
            filter=CalendarImportFilter(m.import_filter),
            status=CalendarImportStatus(m.status),
            last_imported_at=m.last_imported_at,
            last_attempt_at=m.last_attempt_at,
            last_error=m.last_error,
            block_count=m.block_count,
        )


@strawberry.type(
    name="CalendarConnection",
    description=(
        "A contact's link to a calendar account. Its settings (ICS URL, password) are "
        "write-only: only `account` (host, and user name) is shown."
    ),
)
class CalendarConnectionType(Node):
    pk: strawberry.Private[int]
    contact_pk: strawberry.Private[int]
    provider: CalendarProvider
    account: str = strawberry.field(
        description="What identifies the account without its secrets: the host, and the "
        "CalDAV user name."
    )
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="The contact whose busy time this imports.")
    async def contact(self, info: Info) -> ContactType | None:
        row = await info.context.loaders.contact.load(self.contact_pk)
        return ContactType.from_model(row) if row else None

    @strawberry.field(description="The calendars found at the source, in its order.")
    async def calendars(self, info: Info) -> list[ConnectedCalendarType]:
        rows = await info.context.loaders.calendars_by_connection.load(self.pk)
        return [ConnectedCalendarType.from_model(r) for r in rows]

    @classmethod
    def from_model(cls, m: models.CalendarConnection) -> Self:
        return cls(
            id=encode_id("CalendarConnection", m.id),
            pk=m.id,
            contact_pk=m.contact_id,
            provider=CalendarProvider(m.provider),
            account=m.label,
            created_at=m.created_at,
            updated_at=m.updated_at,
        )


@strawberry.enum(description="What made a stretch of time busy.")
class BusySource(enum.Enum):
    CALENDAR = strawberry.enum_value("CALENDAR", description="Busy time imported from a calendar.")
    SUBSTITUTION = strawberry.enum_value(
        "SUBSTITUTION",
        description="An ACTIVE unavailability substitution without a schedule (it applies "
        "to every schedule).",
    )


@strawberry.type(description="A stretch of busy time; overlapping and touching ones are merged.")
class BusyInterval:
    start: datetime = strawberry.field(description="Inclusive, UTC.")
    end: datetime = strawberry.field(description="Exclusive, UTC.")
    sources: list[BusySource]


@strawberry.input(
    description=(
        "How to reach a calendar. ICS_URL: `url` only (http, https or webcal). CALDAV: the "
        "server, principal or calendar `url`, `username` and `password`; reconnecting an "
        "account already connected for this contact may omit `password` to reuse the stored "
        "one. Never returned."
    )
)
class CalendarSourceInput:
    url: str
    username: str | None = None
    password: str | None = None


@strawberry.input(description="One calendar's import toggle and filter.")
class CalendarImportInput:
    calendar_id: strawberry.ID
    enabled: bool
    filter: CalendarImportFilter | None = strawberry.field(
        default=None, description="Null keeps the calendar's filter (LONG_OR_ALL_DAY at first)."
    )


@strawberry.enum(description="What a calendar feed covers.")
class CalendarFeedScope(enum.Enum):
    SCHEDULE = "SCHEDULE"
    TIER = "TIER"
    CONTACT = "CONTACT"


@strawberry.type(
    name="CalendarFeed",
    description=(
        "A revocable secret iCalendar URL of confirmed shifts (15 days back to the horizon). "
        "The URL is shown once, when the feed is created."
    ),
)
class CalendarFeedType(Node):
    pk: strawberry.Private[int]
    schedule_pk: strawberry.Private[int | None]
    tier_pk: strawberry.Private[int | None]
    contact_pk: strawberry.Private[int | None]
    scope: CalendarFeedScope
    name: str
    busy: bool = strawberry.field(
        description="True: events mark the time busy (TRANSP:OPAQUE); false: free."
    )
    prefix: str = strawberry.field(description="The first characters of the secret.")
    created_at: datetime
    revoked_at: datetime | None
    last_fetched_at: datetime | None

    @strawberry.field
    async def schedule(
        self, info: Info
    ) -> Annotated[ScheduleType, strawberry.lazy("app.schedules.types")] | None:
        ScheduleType = from_lazy(_SCHEDULES, "ScheduleType")
        if self.schedule_pk is None:
            return None
        row = await info.context.loaders.schedule.load(self.schedule_pk)
        return ScheduleType.from_model(row) if row else None

    @strawberry.field
    async def tier(
        self, info: Info
    ) -> Annotated[TierType, strawberry.lazy("app.tiers.types")] | None:
        TierType = from_lazy(_TIERS, "TierType")
        if self.tier_pk is None:
            return None
        row = await info.context.loaders.tier.load(self.tier_pk)
        return TierType.from_model(row) if row else None

    @strawberry.field
    async def contact(self, info: Info) -> ContactType | None:
        if self.contact_pk is None:
            return None
        row = await info.context.loaders.contact.load(self.contact_pk)
        return ContactType.from_model(row) if row else None

    @classmethod
    def from_model(cls, m: models.CalendarFeed) -> Self:
        scope = (
            CalendarFeedScope.SCHEDULE
            if m.schedule_id is not None
            else CalendarFeedScope.TIER
            if m.tier_id is not None
            else CalendarFeedScope.CONTACT
        )
        return cls(
            id=encode_id("CalendarFeed", m.id),
            pk=m.id,
            schedule_pk=m.schedule_id,
            tier_pk=m.tier_id,
            contact_pk=m.contact_id,
            scope=scope,
            name=m.name,
            busy=m.busy,
            prefix=m.prefix,
            created_at=m.created_at,
            revoked_at=m.revoked_at,
            last_fetched_at=m.last_fetched_at,
        )


@strawberry.type(description="A new feed with its secret URL, shown this once.")
class CreatedCalendarFeed:
    feed: CalendarFeedType
    url: str = strawberry.field(
        description="Subscribe to it from a calendar app; whoever has it can read the feed."
    )


@strawberry.input(description="A new feed: exactly one of scheduleId, tierId and contactId.")
class CreateCalendarFeedInput:
    schedule_id: strawberry.ID | None = None
    tier_id: strawberry.ID | None = None
    contact_id: strawberry.ID | None = None
    busy: bool = strawberry.field(
        default=True, description="Mark shifts busy (default) or free in subscribers' calendars."
    )
    name: str = strawberry.field(default="", description="Shown as the calendar's name.")
