"""GraphQL types of the fairness ledger, pay rules, the pay report and cover suggestions."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Self

import strawberry

from app.api.common import SortDirection
from app.api.relay import encode_id
from app.contacts.types import ContactType
from app.ledger import models, service
from app.ledger.arithmetic import Figures, Period
from app.ledger.ranking import Load
from app.schedules.types import ScheduleType


def plain(value: object) -> Decimal:
    """A decimal without trailing zeros or an exponent (10.500 -> 10.5, 10.000 -> 10)."""
    return Decimal(f"{Decimal(str(value)).normalize():f}")


def hours(span: timedelta) -> float:
    return span.total_seconds() / 3600.0


@strawberry.enum(name="LedgerPeriod", description="How the ledger's window is divided.")
class LedgerPeriod(enum.Enum):
    WEEK = strawberry.enum_value("WEEK", description="Weeks from Monday 00:00 local.")
    MONTH = strawberry.enum_value("MONTH", description="Calendar months from the 1st, 00:00.")
    QUARTER = strawberry.enum_value("QUARTER", description="January, April, July, October.")
    RANGE = strawberry.enum_value("RANGE", description="The whole window as one period.")

    def to_period(self) -> Period:
        return Period(self.value)


@strawberry.enum(description="What ledger entries can be ordered by.")
class LedgerOrderField(enum.Enum):
    PERIOD_START = "PERIOD_START"
    SHIFT_COUNT = "SHIFT_COUNT"
    HOURS = "HOURS"
    NIGHT_HOURS = "NIGHT_HOURS"
    WEEKEND_HOURS = "WEEKEND_HOURS"
    HOLIDAY_HOURS = "HOLIDAY_HOURS"
    NAME = "NAME"


@strawberry.input(description="One ordering key of `ledger`.")
class LedgerOrder:
    field: LedgerOrderField
    direction: SortDirection = SortDirection.ASC

    def to_key(self) -> tuple[service.LedgerField, bool]:
        return service.LedgerField(self.field.value), self.direction is SortDirection.DESC


@strawberry.input(description="Which ledger entries to list.")
class LedgerFilter:
    contact_ids: list[strawberry.ID] | None = None
    schedule_ids: list[strawberry.ID] | None = None


@strawberry.type(
    description="Confirmed on-call numbers for one contact and period. Hours are elapsed time "
    "(a night across a clock change counts 7 h or 9 h); time on two tiers at once counts once."
)
class LedgerFigures:
    shift_count: int = strawberry.field(
        description="Shifts (maximal runs of touching confirmed rows of one tier) that start "
        "in the period; one begun before the window counts in its first period."
    )
    hours: float
    night_hours: float = strawberry.field(description="22:00-06:00 in the contact's zone.")
    weekend_hours: float = strawberry.field(description="Local Saturday and Sunday.")
    holiday_hours: float = strawberry.field(
        description="Local dates in the schedule's holiday calendar."
    )
    on_demand_hours: float = strawberry.field(description="Of `hours`, from on-demand shifts.")
    substitution_hours: float = strawberry.field(description="Of `hours`, from substitutions.")

    @classmethod
    def of(cls, f: Figures) -> Self:
        return cls(
            shift_count=f.shifts,
            hours=hours(f.hours),
            night_hours=hours(f.night),
            weekend_hours=hours(f.weekend),
            holiday_hours=hours(f.holiday),
            on_demand_hours=hours(f.on_demand),
            substitution_hours=hours(f.substitution),
        )


@strawberry.type(description="A contact's confirmed on-call load over one period.")
class LedgerEntry:
    contact: ContactType
    schedule: ScheduleType | None = strawberry.field(
        description="Set when the ledger is per schedule."
    )
    period_start: datetime
    period_end: datetime
    figures: LedgerFigures

    @classmethod
    def of(cls, e: service.Entry) -> Self:
        return cls(
            contact=ContactType.from_model(e.contact),
            schedule=ScheduleType.from_model(e.schedule) if e.schedule else None,
            period_start=e.start,
            period_end=e.end,
            figures=LedgerFigures.of(e.figures),
        )


@strawberry.enum
class PayBasis(enum.Enum):
    """HOURLY pays `rate` per hour on call; PER_SHIFT pays `rate` per shift."""

    HOURLY = "HOURLY"
    PER_SHIFT = "PER_SHIFT"


@strawberry.type(
    name="PayRule",
    description="How a schedule's on-call time is paid from `effectiveFrom` (local midnight in "
    "the schedule's zone) until its next rule. The highest applying multiplier wins.",
)
class PayRuleType:
    id: strawberry.ID
    effective_from: date
    currency: str
    basis: PayBasis
    rate: Decimal
    night_multiplier: Decimal
    weekend_multiplier: Decimal
    holiday_multiplier: Decimal

    @classmethod
    def from_model(cls, m: models.PayRule) -> Self:
        return cls(
            id=encode_id("PayRule", m.id),
            effective_from=m.effective_from,
            currency=m.currency,
            basis=PayBasis(m.basis),
            rate=plain(m.rate),
            night_multiplier=plain(m.night_multiplier),
            weekend_multiplier=plain(m.weekend_multiplier),
            holiday_multiplier=plain(m.holiday_multiplier),
        )


@strawberry.input(description="A schedule's pay rule from a date (today or later).")
class SetPayRuleInput:
    schedule_id: strawberry.ID
    effective_from: date
    currency: str
    basis: PayBasis
    rate: Decimal
    night_multiplier: Decimal = Decimal(1)
    weekend_multiplier: Decimal = Decimal(1)
    holiday_multiplier: Decimal = Decimal(1)

    def to_spec(self) -> service.PayRuleSpec:
        return service.PayRuleSpec(
            effective_from=self.effective_from,
            currency=self.currency,
            basis=self.basis.value,
            rate=self.rate,
            night_multiplier=self.night_multiplier,
            weekend_multiplier=self.weekend_multiplier,
            holiday_multiplier=self.holiday_multiplier,
        )


@strawberry.type(description="What one contact is owed for one schedule in one currency.")
class PayLine:
    contact: ContactType
    schedule: ScheduleType
    currency: str
    amount: Decimal = strawberry.field(description="Rounded to cents once, at the end.")
    paid_hours: float = strawberry.field(description="Hours paid at an hourly rule.")
    paid_shifts: int = strawberry.field(description="Shifts paid at a per-shift rule.")
    figures: LedgerFigures

    @classmethod
    def of(cls, line: service.PayLine) -> Self:
        return cls(
            contact=ContactType.from_model(line.contact),
            schedule=ScheduleType.from_model(line.schedule),
            currency=line.pay.currency,
            amount=line.pay.amount,
            paid_hours=float(line.pay.paid_hours),
            paid_shifts=line.pay.paid_shifts,
            figures=LedgerFigures.of(line.figures),
        )


@strawberry.type(description="An eligible cover and the load that ranked them.")
class CoverSuggestion:
    contact: ContactType
    load_from: datetime = strawberry.field(description="Start of the trailing 90 days.")
    load_to: datetime
    load: LedgerFigures

    @classmethod
    def of(cls, load: Load) -> Self:
        return cls(
            contact=ContactType.from_model(load.contact),
            load_from=load.start,
            load_to=load.end,
            load=LedgerFigures.of(load.figures),
        )
