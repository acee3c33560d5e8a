"""GraphQL types of a schedule's holiday calendar (SPEC §9)."""

from __future__ import annotations

import enum
from datetime import date
from typing import Self

import strawberry

from app.holiday_calendars import Holiday
from app.schedules import models


@strawberry.type(description="A date the team adds to its calendar (a company day off).")
class ExtraHoliday:
    date: date
    name: str


@strawberry.type(
    description="A schedule's holiday calendar: a region as the `holidays` library names it "
    "(US, DE-BY, GB-SCT…; public holidays, observed days included), plus extra dates, minus "
    "excluded dates (public holidays the team works)."
)
class HolidayCalendar:
    region: str | None
    extra_dates: list[ExtraHoliday]
    excluded_dates: list[date]

    @classmethod
    def from_model(cls, m: models.Schedule) -> Self | None:
        if not m.holiday_region and not m.holiday_extra_dates and not m.holiday_excluded_dates:
            return None
        return cls(
            region=m.holiday_region,
            extra_dates=[
                ExtraHoliday(date=date.fromisoformat(d["date"]), name=d["name"])
                for d in m.holiday_extra_dates
            ],
            excluded_dates=[date.fromisoformat(d) for d in m.holiday_excluded_dates],
        )


@strawberry.enum
class HolidaySource(enum.Enum):
    REGION = "REGION"
    EXTRA = "EXTRA"


@strawberry.type(name="Holiday", description="A holiday of a schedule's calendar.")
class HolidayType:
    date: date
    name: str
    source: HolidaySource

    @classmethod
    def from_holiday(cls, h: Holiday) -> Self:
        return cls(date=h.date, name=h.name, source=HolidaySource(h.source))


@strawberry.input
class ExtraHolidayInput:
    date: date
    name: str


@strawberry.input(description="A holiday calendar: any of region, extra and excluded dates.")
class HolidayCalendarInput:
    region: str | None = None
    extra_dates: list[ExtraHolidayInput] = strawberry.field(default_factory=list)
    excluded_dates: list[date] = strawberry.field(default_factory=list)
