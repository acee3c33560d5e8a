"""Schedules ("OCS"): the container of tiers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.queryset import QuerySet

from app import validation
from app.errors import Collector, NotFound
from app.holiday_calendars import Holiday, HolidayCalendar, calendar_dates, region_problem
from app.schedules import models
from app.tiers import models as tier_models
from app.tiers import service as tier_service

MAX_HORIZON_DAYS = 366
MAX_CALENDAR_DATES = 500
MAX_HOLIDAY_WINDOW_DAYS = 3660


@dataclass(frozen=True)
class CalendarSpec:
    """A schedule's holiday calendar as a client gives it (SPEC §9)."""

    region: str | None = None
    extra: tuple[tuple[date, str], ...] = ()
    excluded: tuple[date, ...] = ()


def check_calendar(spec: CalendarSpec, errors: Collector) -> CalendarSpec:
    """The calendar with its region spelled as the library does, names trimmed."""
    region = spec.region.strip().upper() if spec.region is not None else None
    if region is not None and (why := region_problem(region)):
        errors.add("region", why)
    if len(spec.extra) > MAX_CALENDAR_DATES:
        errors.add("extraDates", f"at most {MAX_CALENDAR_DATES} dates")
    if len(spec.excluded) > MAX_CALENDAR_DATES:
        errors.add("excludedDates", f"at most {MAX_CALENDAR_DATES} dates")
    extra = tuple(
        (day, validation.non_empty(errors, f"extraDates.{i}.name", name))
        for i, (day, name) in enumerate(spec.extra)
    )
    return CalendarSpec(region=region or None, extra=extra, excluded=spec.excluded)


def calendar_values(spec: CalendarSpec | None) -> dict[str, Any]:
    if spec is None:
        return {"holiday_region": None, "holiday_extra_dates": [], "holiday_excluded_dates": []}
    return {
        "holiday_region": spec.region,
        "holiday_extra_dates": [{"date": d.isoformat(), "name": n} for d, n in spec.extra],
        "holiday_excluded_dates": sorted({d.isoformat() for d in spec.excluded}),
    }


def calendar_of(schedule: models.Schedule) -> HolidayCalendar | None:
    """The stored calendar, or None when the schedule has none."""
    if not schedule.holiday_region and not schedule.holiday_extra_dates:
        return None
    return HolidayCalendar(
        region=schedule.holiday_region,
        extra=tuple(
            (date.fromisoformat(d["date"]), d["name"]) for d in schedule.holiday_extra_dates
        ),
        excluded=frozenset(date.fromisoformat(d) for d in schedule.holiday_excluded_dates),
    )


def holidays(schedule: models.Schedule, first: date, last: date) -> list[Holiday]:
    """The schedule's holidays over the inclusive dates [first, last], with names."""
    errors = Collector()
    if last < first:
        errors.add("to", "must not be before from")
    elif (last - first).days > MAX_HOLIDAY_WINDOW_DAYS:
        errors.add("to", f"the window is at most {MAX_HOLIDAY_WINDOW_DAYS} days")
    errors.raise_if_any()
    calendar = calendar_of(schedule)
    return calendar_dates(calendar, first, last) if calendar is not None else []


@dataclass(frozen=True)
class ScheduleFields:
    name: str
    customer: str = ""
    default_email: str | None = None
    default_phone: str | None = None
    timezone: str = "UTC"
    assignment_horizon_days: int = 28


def _check(f: ScheduleFields, errors: Collector) -> ScheduleFields:
    validation.zone(errors, "timezone", f.timezone)
    validation.positive(
        errors, "assignmentHorizonDays", f.assignment_horizon_days, maximum=MAX_HORIZON_DAYS
    )
    return ScheduleFields(
        name=validation.non_empty(errors, "name", f.name),
        customer=validation.plain_text(errors, "customer", f.customer),
        default_email=validation.email(errors, "defaultEmail", f.default_email),
        default_phone=validation.phone(errors, "defaultPhone", f.default_phone),
        timezone=f.timezone,
        assignment_horizon_days=f.assignment_horizon_days,
    )


def list_schedules(*, org_id: int) -> QuerySet[models.Schedule]:
    return models.Schedule.filter(organization_id=org_id).order_by("name", "id")


async def get_schedule(*, org_id: int, schedule_id: int) -> models.Schedule:
    schedule = await models.Schedule.get_or_none(id=schedule_id, organization_id=org_id)
    if schedule is None:
        raise NotFound("Schedule", schedule_id)
    return schedule


async def create_schedule(
    *,
    org_id: int,
    fields: ScheduleFields,
    tier_count: int = 1,
    calendar: CalendarSpec | None = None,
) -> models.Schedule:
    errors = Collector("input.")
    checked = _check(fields, errors)
    if tier_count < 0 or tier_count > 20:
        errors.add("tierCount", "must be between 0 and 20")
    if calendar is not None:
        calendar = check_calendar(calendar, errors.child("holidayCalendar"))
    errors.raise_if_any()
    schedule = await models.Schedule.create(
        organization_id=org_id, **checked.__dict__, **calendar_values(calendar)
    )
    await tier_models.Tier.bulk_create(
        [
            tier_models.Tier(organization_id=org_id, schedule_id=schedule.id, number=n)
            for n in range(1, tier_count + 1)
        ]
    )
    return schedule


async def update_schedule(
    *, org_id: int, schedule_id: int, changes: dict[str, Any]
) -> models.Schedule:
    """Apply ``changes`` (ScheduleFields names, and ``holiday_calendar``: a CalendarSpec or
    None to clear it); fields not named stay as they are. A calendar edit changes the holiday
    dates of the schedule's layers: callers bump the tiers' versions (see app.layers.edits)."""
    schedule = await get_schedule(org_id=org_id, schedule_id=schedule_id)
    errors = Collector("input.")
    changes = dict(changes)
    calendar_changed = "holiday_calendar" in changes
    calendar = changes.pop("holiday_calendar", None)
    if calendar is not None:
        calendar = check_calendar(calendar, errors.child("holidayCalendar"))
    for required in ("name", "timezone", "customer", "assignment_horizon_days"):
        if required in changes and changes[required] is None:
            errors.add(validation.camel(required), "cannot be cleared")
    errors.raise_if_any()
    current = {k: getattr(schedule, k) for k in ScheduleFields.__dataclass_fields__}
    current.update(changes)
    checked = _check(ScheduleFields(**current), errors)
    errors.raise_if_any()
    for key, value in checked.__dict__.items():
        setattr(schedule, key, value)
    if calendar_changed:
        for key, value in calendar_values(calendar).items():
            setattr(schedule, key, value)
    await schedule.save()
    return schedule


async def delete_schedule(*, org_id: int, schedule_id: int) -> None:
    """Deletes the schedule with its tiers and their layers."""
    schedule = await get_schedule(org_id=org_id, schedule_id=schedule_id)
    await schedule.delete()


async def create_tier(
    *, org_id: int, schedule_id: int, number: int | None, name: str
) -> tier_models.Tier:
    """Add a tier; with a number inside 1..n the tiers from there move one down."""
    await get_schedule(org_id=org_id, schedule_id=schedule_id)
    count = await tier_models.Tier.filter(schedule_id=schedule_id).count()
    errors = Collector()  # createTier and updateTier take arguments, not an input
    if number is not None and not 1 <= number <= count + 1:
        errors.add("number", f"must be between 1 and {count + 1}")
    name = validation.plain_text(errors, "name", name)
    errors.raise_if_any()
    number = count + 1 if number is None else number
    if number <= count:
        await tier_service.shift_numbers(schedule_id, number, 1)
    return await tier_models.Tier.create(
        organization_id=org_id, schedule_id=schedule_id, number=number, name=name
    )
