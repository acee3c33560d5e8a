from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry

from app.api.common import DateRangeInput, SortDirection, Weekday
from app.api.context import Info
from app.api.lazy import from_lazy
from app.api.relay import Node, encode_id
from app.api.scalars import LocalDateTime
from app.contacts.types import ContactType
from app.groups.types import GroupType
from app.layers import models
from app.layers.query import DateRange, LayerFilterSpec
from app.layers.rule_types import (
    Advance,
    HolidayRule,
    Pause,
    PauseInput,
    RosterSegment,
    WorkingHours,
    WorkingHoursInput,
)

if TYPE_CHECKING:
    from app.tiers.types import TierType

_TIERS = strawberry.lazy("app.tiers.types")


@strawberry.enum(description="The unit of a rotation's turn.")
class RotationUnit(enum.Enum):
    HOUR = "HOUR"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


@strawberry.enum(
    description="FORWARD hands over to the next participant; BACKWARD to the previous."
)
class RotationDirection(enum.Enum):
    FORWARD = "FORWARD"
    BACKWARD = "BACKWARD"


@strawberry.enum
class RecurrenceType(enum.Enum):
    REPEAT = "REPEAT"
    PERIODIC = "PERIODIC"
    ICAL = "ICAL"
    OCCURRENCE = "OCCURRENCE"


@strawberry.enum
class RestrictionKind(enum.Enum):
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"


@strawberry.type(description="How long a turn is: `length` units of `unit`.")
class Rotation:
    unit: RotationUnit
    length: int


@strawberry.type(
    description="How many are on call at once, how many hand over per turn, which way."
)
class StaffRotation:
    number_of_staff_on_call: int
    number_of_staff_to_rotate: int
    direction: RotationDirection


@strawberry.type(description="Inclusive dates a recurrence applies between; no `to` means forever.")
class DatesApplicable:
    from_: date | None = strawberry.field(name="from")
    to: date | None


@strawberry.type(description="Which layer days apply.")
class Recurrence:
    type: RecurrenceType
    dates_applicable: DatesApplicable
    every_n: int = strawberry.field(description="PERIODIC: every N-th week counted from `from`.")
    rule: str | None = strawberry.field(description="ICAL: an RRULE of dates (no time parts).")


@strawberry.type(description="A window in the layer's zone inside which the layer covers time.")
class Restriction:
    kind: RestrictionKind
    start_weekday: Weekday | None
    start_time: str = strawberry.field(description="HH:MM, wall clock.")
    duration_minutes: int


@strawberry.type(description="One entry of a layer's participants: a contact or a group.")
class LayerParticipant:
    pk: strawberry.Private[int]
    contact_pk: strawberry.Private[int | None]
    group_pk: strawberry.Private[int | None]
    position: int
    weekdays: list[Weekday] | None = strawberry.field(
        description="The layer days (window dates on restricted layers) this entry is "
        "available on; null means every day. With working hours: the contact-local dates "
        "whose working hours count."
    )
    working_hours: WorkingHours | None = strawberry.field(
        description="Outside these daily hours (each contact's own zone) the entry's contacts "
        "are unavailable; null means no limit."
    )

    @strawberry.field
    async def contact(self, info: Info) -> ContactType | None:
        if self.contact_pk is None:
            return None
        row = await info.context.loaders.contact.load(self.contact_pk)
        return ContactType.from_model(row) if row else None

    @strawberry.field
    async def group(self, info: Info) -> GroupType | None:
        if self.group_pk is None:
            return None
        row = await info.context.loaders.group.load(self.group_pk)
        return GroupType.from_model(row) if row else None

    @classmethod
    def from_model(cls, m: models.LayerParticipant) -> Self:
        return cls(
            pk=m.id,
            contact_pk=m.contact_id,
            group_pk=m.group_id,
            position=m.position,
            weekdays=[Weekday(d) for d in m.weekdays] if m.weekdays is not None else None,
            working_hours=WorkingHours(start=m.working_hours_start, end=m.working_hours_end)
            if m.working_hours_start and m.working_hours_end
            else None,
        )


@strawberry.type(
    name="Layer",
    description="A rotation inside a tier; the highest index with someone on call wins.",
)
class LayerType(Node):
    pk: strawberry.Private[int]
    tier_pk: strawberry.Private[int]
    name: str
    index: int
    start: LocalDateTime = strawberry.field(
        description="First handoff, wall clock in `timezone`; its time of day is the handoff time."
    )
    end: LocalDateTime | None = strawberry.field(
        description="Nothing is on call from this wall-clock time on."
    )
    timezone: str
    rotation: Rotation
    staff_rotation: StaffRotation
    restrictions: list[Restriction]
    recurrence: Recurrence | None
    min_staff: int
    skip_unavailable: bool
    on_holidays: HolidayRule
    participant_holidays: bool = strawberry.field(
        description="Participants are unavailable on the public holidays of their own region "
        "(whole dates in their zone)."
    )
    pauses: list[Pause]
    advance: Advance
    roster_segments: list[RosterSegment] = strawberry.field(
        description="Stored roster segments, in order; empty: one segment over the current "
        "participants from the first handoff."
    )

    @strawberry.field(description="Participants in rotation order.")
    async def participants(self, info: Info) -> list[LayerParticipant]:
        rows = await info.context.loaders.participants_by_layer.load(self.pk)
        return [LayerParticipant.from_model(r) for r in rows]

    @strawberry.field(description="CONTACT, GROUP or MIXED participants; null when there are none.")
    async def participant_type(self, info: Info) -> ParticipantType | None:
        from app.layers.query import participant_type

        rows = await info.context.loaders.participants_by_layer.load(self.pk)
        kind = participant_type([(r.contact_id, r.group_id) for r in rows])
        return ParticipantType(kind) if kind else None

    @strawberry.field
    async def tier(self, info: Info) -> Annotated[TierType, strawberry.lazy("app.tiers.types")]:
        TierType = from_lazy(_TIERS, "TierType")
        row = await info.context.loaders.tier.load(self.tier_pk)
        assert row is not None
        return TierType.from_model(row)

    @classmethod
    def from_model(cls, m: models.Layer) -> Self:
        recurrence = None
        if m.recurrence_type:
            recurrence = Recurrence(
                type=RecurrenceType(m.recurrence_type),
                dates_applicable=DatesApplicable(from_=m.recurrence_from, to=m.recurrence_to),
                every_n=m.recurrence_every_n,
                rule=m.recurrence_rule,
            )
        return cls(
            id=encode_id("Layer", m.id),
            pk=m.id,
            tier_pk=m.tier_id,
            name=m.name,
            index=m.index,
            start=LocalDateTime(datetime.fromisoformat(m.start_local)),
            end=LocalDateTime(datetime.fromisoformat(m.end_local)) if m.end_local else None,
            timezone=m.timezone,
            rotation=Rotation(unit=RotationUnit(m.rotation_unit), length=m.rotation_length),
            staff_rotation=StaffRotation(
                number_of_staff_on_call=m.staff_on_call,
                number_of_staff_to_rotate=m.staff_to_rotate or m.staff_on_call,
                direction=RotationDirection(m.direction),
            ),
            restrictions=[
                Restriction(
                    kind=RestrictionKind(r["kind"]),
                    start_weekday=Weekday(r["weekday"]) if r.get("weekday") is not None else None,
                    start_time=r["startTime"],
                    duration_minutes=r["durationMinutes"],
                )
                for r in m.restrictions
            ],
            recurrence=recurrence,
            min_staff=m.min_staff if m.min_staff is not None else m.staff_on_call,
            skip_unavailable=m.skip_unavailable,
            on_holidays=HolidayRule(m.on_holidays),
            participant_holidays=m.participant_holidays,
            pauses=[
                Pause(from_=date.fromisoformat(p["from"]), to=date.fromisoformat(p["to"]))
                for p in m.pauses
            ],
            advance=Advance(m.advance),
            roster_segments=[RosterSegment.from_json(s) for s in m.roster_segments],
        )


@strawberry.input
class RotationInput:
    unit: RotationUnit
    length: int = 1


@strawberry.input
class StaffRotationInput:
    number_of_staff_on_call: int = 1
    number_of_staff_to_rotate: int | None = strawberry.field(
        default=None, description="Defaults to numberOfStaffOnCall."
    )
    direction: RotationDirection = RotationDirection.FORWARD
    num_intervals: int | None = strawberry.field(
        default=None,
        description="Days per turn as the reference API counts them (DAY times numIntervals), "
        "used when `rotation` is omitted.",
    )


@strawberry.input(description="Exactly one of contactId and groupId.")
class ParticipantInput:
    contact_id: strawberry.ID | None = None
    group_id: strawberry.ID | None = None
    weekdays: list[Weekday] | None = None
    working_hours: WorkingHoursInput | None = None


@strawberry.input
class RestrictionInput:
    kind: RestrictionKind
    start_time: str = strawberry.field(description="HH:MM wall clock in the layer's zone.")
    duration_minutes: int
    start_weekday: Weekday | None = strawberry.field(default=None, description="WEEKLY only.")


@strawberry.input
class RecurrenceInput:
    type: RecurrenceType
    from_: date = strawberry.field(
        name="from", description="The first date (for ICAL, the rule's DTSTART)."
    )
    to: date | None = strawberry.field(
        default=None,
        description="The last date, inclusive. Omitted: no end (an ICAL rule ends at its own "
        "UNTIL or COUNT); OCCURRENCE needs it, and so do substitutions except with an ICAL "
        "rule that ends.",
    )
    every_n: int = strawberry.field(default=1, description="PERIODIC only: every N-th week.")
    rule: str | None = strawberry.field(
        default=None, description="ICAL only (and required there): an RRULE of dates."
    )


@strawberry.input(description="A layer's whole definition.")
class LayerInput:
    id: strawberry.ID | None = strawberry.field(
        default=None,
        description="setTierLayers and preview drafts: the stored layer of the tier this entry "
        "replaces (it keeps its id, roster segments and confirmed shifts); none: a new layer.",
    )
    name: str
    start: LocalDateTime
    timezone: str
    rotation: RotationInput | None = strawberry.field(
        default=None,
        description="Omitted: 1 WEEK, or numIntervals DAYs when staffRotation.numIntervals "
        "is given.",
    )
    staff_rotation: StaffRotationInput | None = strawberry.field(
        default=None,
        description="Omitted: one person on call, one rotating per turn, FORWARD.",
    )
    participants: list[ParticipantInput] = strawberry.field(default_factory=list)
    restrictions: list[RestrictionInput] = strawberry.field(
        default_factory=list, description="Omitted or empty: the whole of every active day."
    )
    recurrence: RecurrenceInput | None = strawberry.field(
        default=None, description="Omitted: every layer day from start on."
    )
    end: LocalDateTime | None = strawberry.field(
        default=None, description="Omitted: the layer never ends."
    )
    index: int | None = strawberry.field(
        default=None,
        description="Unique in the tier; a higher index wins. Omitted: a new layer goes above "
        "the others, an edited one keeps its index.",
    )
    min_staff: int | None = strawberry.field(
        default=None, description="Defaults to numberOfStaffOnCall."
    )
    skip_unavailable: bool = True
    on_holidays: HolidayRule = HolidayRule.RUN
    participant_holidays: bool = False
    pauses: list[PauseInput] = strawberry.field(
        default_factory=list, description="Inclusive date ranges; they must not overlap."
    )
    advance: Advance = Advance.EVERY_TURN


@strawberry.enum(
    description="How a layer names its participants, as the reference's staff assignments do."
)
class ParticipantType(enum.Enum):
    CONTACT = "CONTACT"
    GROUP = "GROUP"
    MIXED = "MIXED"


@strawberry.enum
class LayerSortField(enum.Enum):
    NAME = "NAME"
    INDEX = "INDEX"
    SCHEDULE_NAME = "SCHEDULE_NAME"
    TIER_NUMBER = "TIER_NUMBER"
    RECURRENCE_FROM = "RECURRENCE_FROM"
    RECURRENCE_TO = "RECURRENCE_TO"
    MIN_STAFF = "MIN_STAFF"
    STAFF_ON_CALL = "STAFF_ON_CALL"
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"


@strawberry.input
class LayerSort:
    field: LayerSortField
    direction: SortDirection = SortDirection.ASC


@strawberry.input(
    description="Each field takes a list matched with OR; fields are ANDed; omitted fields "
    "match everything. Date ranges are inclusive."
)
class LayerFilter:
    id: list[strawberry.ID] | None = None
    name: list[str] | None = None
    name_contains: list[str] | None = None
    schedule: list[strawberry.ID] | None = None
    tier: list[strawberry.ID] | None = None
    tier_number: list[int] | None = None
    recurrence_type: list[RecurrenceType] | None = None
    recurrence_from: DateRangeInput | None = strawberry.field(
        default=None, description="datesApplicable.from inside this range."
    )
    recurrence_to: DateRangeInput | None = strawberry.field(
        default=None, description="datesApplicable.to inside this range."
    )
    active_between: DateRangeInput | None = strawberry.field(
        default=None, description="Recurrence dates overlapping this range (no recurrence: always)."
    )
    every_n: list[int] | None = None
    participant_type: list[ParticipantType] | None = None
    min_staff: list[int] | None = None
    number_of_staff_on_call: list[int] | None = None
    number_of_staff_to_rotate: list[int] | None = None
    direction: list[RotationDirection] | None = None
    rotation_unit: list[RotationUnit] | None = None

    def to_spec(self) -> LayerFilterSpec:
        from app.api.relay import decode_ids

        def rng(r: DateRangeInput | None) -> DateRange | None:
            return DateRange(r.from_, r.to) if r is not None else None

        return LayerFilterSpec(
            ids=decode_ids(self.id, "Layer", field="filter.id") if self.id is not None else None,
            names=self.name,
            name_contains=self.name_contains,
            schedule_ids=decode_ids(self.schedule, "Schedule", field="filter.schedule")
            if self.schedule is not None
            else None,
            tier_ids=decode_ids(self.tier, "Tier", field="filter.tier")
            if self.tier is not None
            else None,
            tier_numbers=self.tier_number,
            recurrence_types=[t.value for t in self.recurrence_type]
            if self.recurrence_type is not None
            else None,
            recurrence_from=rng(self.recurrence_from),
            recurrence_to=rng(self.recurrence_to),
            active_between=rng(self.active_between),
            every_n=self.every_n,
            participant_types=[t.value for t in self.participant_type]
            if self.participant_type is not None
            else None,
            min_staff=self.min_staff,
            staff_on_call=self.number_of_staff_on_call,
            staff_to_rotate=self.number_of_staff_to_rotate,
            directions=[d.value for d in self.direction] if self.direction is not None else None,
            rotation_units=[u.value for u in self.rotation_unit]
            if self.rotation_unit is not None
            else None,
        )
