from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Annotated, Self

import strawberry

from app.api.common import DateRangeInput, InstantRange, InstantRangeInput, SortDirection
from app.api.context import Info
from app.api.relay import Node, encode_id
from app.contacts.types import ContactType
from app.errors import NotFound
from app.layers.types import DatesApplicable, Recurrence, RecurrenceInput, RecurrenceType
from app.schedules.types import ScheduleType
from app.substitutions import models, occurrences


@strawberry.enum(description="ACTIVE substitutions change who is on call; DELETED ones do not.")
class SubstitutionStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    DELETED = "DELETED"


@strawberry.enum(description="UNAVAILABLE: no replacement is named; REPLACEMENT: one is.")
class SubstitutionKind(enum.Enum):
    UNAVAILABLE = "UNAVAILABLE"
    REPLACEMENT = "REPLACEMENT"


@strawberry.enum(description="What substitutions can be sorted by; ties always go by id.")
class SubstitutionSortField(enum.Enum):
    ID = "ID"
    STATUS = "STATUS"
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    FROM = strawberry.enum_value("FROM", description="The recurrence's first date.")
    ENDS_ON = strawberry.enum_value(
        "ENDS_ON", description="The last date it can apply on (`to`, or the rule's end if earlier)."
    )
    RECURRENCE_TYPE = "RECURRENCE_TYPE"


@strawberry.type(
    description=(
        "A daily window, wall clock (HH:MM) in the substitution's zone. When `end` is at or "
        "before `start` the window ends on the next day (22:00-06:00 is overnight)."
    )
)
class TimeWindow:
    start: str
    end: str

    @strawberry.field(description="Whether the window ends on the day after it starts.")
    def crosses_midnight(self) -> bool:
        return self.end <= self.start


@strawberry.type(description="One stretch of time during which a substitution applies.")
class SubstitutionOccurrence:
    start: datetime = strawberry.field(description="Inclusive, UTC.")
    end: datetime = strawberry.field(description="Exclusive, UTC.")


@strawberry.type(
    name="Substitution",
    description=(
        "An exception for one contact: unavailable (no replacement) or replaced by another "
        "contact, on the recurrence's dates and, optionally, only inside a daily window. "
        "Without a schedule it applies to every schedule of the organization."
    ),
)
class SubstitutionType(Node):
    pk: strawberry.Private[int]
    contact_pk: strawberry.Private[int]
    replacement_pk: strawberry.Private[int | None]
    schedule_pk: strawberry.Private[int | None]
    row: strawberry.Private[models.Substitution]
    kind: SubstitutionKind
    status: SubstitutionStatus
    recurrence: Recurrence | None = strawberry.field(
        description="The dates it applies on; null for a `between` substitution."
    )
    between: InstantRange | None = strawberry.field(
        description=(
            "The absolute stretch it applies over, instead of a recurrence and window "
            "(cover requests create these); null for a recurring substitution."
        )
    )
    window: TimeWindow | None = strawberry.field(
        description="Null: the substitution covers its dates whole (local midnight to midnight)."
    )
    timezone: str | None = strawberry.field(
        description="The zone given for this substitution; null means the schedule's zone."
    )
    ends_on: date | None = strawberry.field(
        description="The last date it can apply on: `recurrence.to`, or the rule's end if earlier."
    )
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="The contact who is unavailable or replaced.")
    async def contact(self, info: Info) -> ContactType:
        row = await info.context.loaders.contact.load(self.contact_pk)
        if row is None:
            raise NotFound("Contact", self.contact_pk)
        return ContactType.from_model(row)

    @strawberry.field(description="Who takes the contact's place; null for an unavailability.")
    async def replacement(self, info: Info) -> ContactType | None:
        if self.replacement_pk is None:
            return None
        row = await info.context.loaders.contact.load(self.replacement_pk)
        return ContactType.from_model(row) if row else None

    @strawberry.field(description="The schedule it applies to; null means every schedule.")
    async def schedule(self, info: Info) -> ScheduleType | None:
        if self.schedule_pk is None:
            return None
        row = await info.context.loaders.schedule.load(self.schedule_pk)
        return ScheduleType.from_model(row) if row else None

    @strawberry.field(
        description="The zone its dates and window are read in: its own, else the schedule's."
    )
    async def effective_timezone(self, info: Info) -> str:
        return await self._zone(info)

    @strawberry.field(
        description=(
            "When it applies within [from, to) (offsets required; at most the server's window "
            "limit, 366 days by default): each active date's window, or whole local day, in "
            "its zone, as UTC instants in order; touching stretches are joined. DST is "
            "honoured (a 22:00-06:00 window on a spring-forward night lasts 7 hours)."
        )
    )
    async def occurrences(
        self,
        info: Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
    ) -> list[SubstitutionOccurrence]:
        intervals = occurrences.occurrences(
            self.row,
            zone=await self._zone(info),
            start=from_,
            end=to,
            max_days=info.context.settings.max_window_days,
        )
        return [SubstitutionOccurrence(start=i.start, end=i.end) for i in intervals]

    async def _zone(self, info: Info) -> str:
        if self.row.timezone is not None or self.schedule_pk is None:
            return occurrences.zone_of(self.row, None)
        schedule = await info.context.loaders.schedule.load(self.schedule_pk)
        return occurrences.zone_of(self.row, schedule.timezone if schedule else None)

    @classmethod
    def from_model(cls, m: models.Substitution) -> Self:
        return cls(
            id=encode_id("Substitution", m.id),
            pk=m.id,
            contact_pk=m.contact_id,
            replacement_pk=m.replacement_id,
            schedule_pk=m.schedule_id,
            row=m,
            kind=SubstitutionKind.UNAVAILABLE
            if m.replacement_id is None
            else SubstitutionKind.REPLACEMENT,
            status=SubstitutionStatus(m.status),
            recurrence=None
            if m.between_start is not None
            else Recurrence(
                type=RecurrenceType(m.recurrence_type),
                dates_applicable=DatesApplicable(from_=m.recurrence_from, to=m.recurrence_to),
                every_n=m.recurrence_every_n,
                rule=m.recurrence_rule,
            ),
            between=InstantRange(from_=m.between_start, to=m.between_end)
            if m.between_start is not None and m.between_end is not None
            else None,
            window=TimeWindow(start=m.window_start, end=m.window_end)
            if m.window_start is not None and m.window_end is not None
            else None,
            timezone=m.timezone,
            ends_on=m.ends_on,
            created_at=m.created_at,
            updated_at=m.updated_at,
        )


@strawberry.input(
    description="A daily window, HH:MM wall clock; an end at or before the start is overnight."
)
class TimeWindowInput:
    start: str
    end: str


@strawberry.input(
    description=(
        "A new substitution: either `between` (an absolute [from, to)) or a `recurrence`: "
        "`from` and `to` both, except that an "
        "ICAL rule with its own UNTIL or COUNT may omit `to` (a `to` constrains the rule, "
        "never extends it). `timezone` is required without a schedule and defaults to the "
        "schedule's zone otherwise."
    )
)
class CreateSubstitutionInput:
    contact_id: strawberry.ID
    replacement_id: strawberry.ID | None = strawberry.field(
        default=None, description="Omit for an unavailability."
    )
    schedule_id: strawberry.ID | None = strawberry.field(
        default=None, description="Omit to apply to every schedule of the organization."
    )
    recurrence: RecurrenceInput | None = strawberry.field(
        default=None, description="Required unless `between` is given."
    )
    window: TimeWindowInput | None = strawberry.field(
        default=None, description="Omit to cover the dates whole."
    )
    timezone: str | None = strawberry.field(
        default=None,
        description="Required without scheduleId; omitted: the schedule's zone.",
    )
    between: InstantRangeInput | None = strawberry.field(
        default=None,
        description="An absolute [from, to) instead of a recurrence and window.",
    )


@strawberry.input(
    description=(
        "Changes applied to each named substitution: omitted fields stay. Null clears "
        "`replacementId` (it becomes an unavailability), `scheduleId` (it applies to every "
        "schedule; a timezone is then required), `window` (whole dates) and `timezone` (the "
        "schedule's zone is used). `recurrence` replaces the whole recurrence; `status: "
        "ACTIVE` restores a deleted substitution. Setting `between` replaces the recurrence "
        "and window; setting `recurrence` replaces `between`; null clears `between`."
    )
)
class UpdateSubstitutionInput:
    contact_id: strawberry.ID | None = strawberry.UNSET
    replacement_id: strawberry.ID | None = strawberry.UNSET
    schedule_id: strawberry.ID | None = strawberry.UNSET
    recurrence: RecurrenceInput | None = strawberry.UNSET
    window: TimeWindowInput | None = strawberry.UNSET
    timezone: str | None = strawberry.UNSET
    status: SubstitutionStatus | None = strawberry.UNSET
    between: InstantRangeInput | None = strawberry.UNSET


@strawberry.input(
    description=(
        "Each field takes a list matched with OR; fields are ANDed; an omitted field matches "
        "everything. DELETED substitutions are left out unless `status` names DELETED."
    )
)
class SubstitutionFilter:
    id: list[strawberry.ID] | None = None
    contact: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The contact who is unavailable or replaced."
    )
    replacement: list[strawberry.ID] | None = None
    schedule: list[strawberry.ID | None] | None = strawberry.field(
        default=None,
        description="The substitution's own schedule; a null entry matches the org-wide ones.",
    )
    applies_to_schedule: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Substitutions reaching these schedules: their own and the org-wide ones.",
    )
    status: list[SubstitutionStatus] | None = None
    kind: list[SubstitutionKind] | None = None
    recurrence_type: list[RecurrenceType] | None = None
    active_between: DateRangeInput | None = strawberry.field(
        default=None,
        description="Dates from `recurrence.from` to `endsOn` overlap this inclusive range.",
    )


@strawberry.input
class SubstitutionSort:
    field: SubstitutionSortField
    direction: SortDirection = SortDirection.ASC
