"""Small GraphQL types shared by every domain."""

from __future__ import annotations

import enum
from datetime import date, datetime

import strawberry


@strawberry.type(description="The result of a delete: the id that no longer exists.")
class DeletePayload:
    deleted_id: strawberry.ID


@strawberry.enum(description="Days of the week.")
class Weekday(enum.Enum):
    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


@strawberry.enum
class SortDirection(enum.Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input(description="An inclusive range of dates.")
class DateRangeInput:
    from_: date = strawberry.field(name="from")
    to: date


@strawberry.input(description="A stretch of time [from, to), offsets required.")
class InstantRangeInput:
    from_: datetime = strawberry.field(name="from")
    to: datetime


@strawberry.type(description="A stretch of time [from, to), UTC.")
class InstantRange:
    from_: datetime = strawberry.field(name="from", description="Inclusive.")
    to: datetime = strawberry.field(description="Exclusive.")
