"""Schedules ("OCS"): the container of tiers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.queryset import QuerySet

from app import validation
from app.errors import Collector, NotFound
from app.schedules import models
from app.tiers import models as tier_models

MAX_HORIZON_DAYS = 366


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
    *, org_id: int, fields: ScheduleFields, tier_count: int = 1
) -> models.Schedule:
    errors = Collector("input.")
    checked = _check(fields, errors)
    if tier_count < 0 or tier_count > 20:
        errors.add("tierCount", "must be between 0 and 20")
    errors.raise_if_any()
    schedule = await models.Schedule.create(organization_id=org_id, **checked.__dict__)
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
    schedule = await get_schedule(org_id=org_id, schedule_id=schedule_id)
    errors = Collector("input.")
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
    await schedule.save()
    return schedule


async def delete_schedule(*, org_id: int, schedule_id: int) -> None:
    """Deletes the schedule with its tiers and their layers."""
    schedule = await get_schedule(org_id=org_id, schedule_id=schedule_id)
    await schedule.delete()
