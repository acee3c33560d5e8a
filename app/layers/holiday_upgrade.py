"""Upgrades of the ``holidays`` library (SPEC §9): an edit of every calendar whose dates move.

Each schedule with a region keeps the library version its layers were last pinned under and
a snapshot of the region's dates then (whole years, from the year before its earliest layer
starts to next year). ``reconcile`` (at startup and in the confirmation job) compares both with
the running library: when the version differs and the region's dates moved, every layer of
the schedule is compared before (the snapshot's dates) and after (the library's) like any
other calendar edit, so ACTIVE_TURNS layers pin the running turn and who is on call now does
not move; later turns follow the new dates. Then the new version and dates are recorded.
Personal holidays (contact regions) need no snapshot: ACTIVE_TURNS counts turns regardless
of them, so they only move availability, which follows the library from now on.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any, cast

from app import engine
from app.engine import HolidayRule, LayerInput
from app.holiday_calendars import calendar_dates, region_dates, regions
from app.layers import engine_inputs, models
from app.schedules import models as schedule_models
from app.schedules import service as schedule_service
from app.tiers import models as tier_models
from app.tiers import service as tier_service

__all__ = ["reconcile", "record"]


def _snapshot(region: str, first: int, last: int) -> dict[str, Any]:
    days = region_dates(region, first, last)
    return {
        "region": region,
        "first": first,
        "last": last,
        "dates": sorted(d.isoformat() for d in days),
    }


async def _layers_and_tiers(schedule_id: int) -> tuple[list[models.Layer], set[int]]:
    tier_ids = set(
        cast(
            list[int],
            await tier_models.Tier.filter(schedule_id=schedule_id).values_list("id", flat=True),
        )
    )
    return list(await models.Layer.filter(tier_id__in=tier_ids)), tier_ids


def _years(rows: list[models.Layer], now: datetime) -> tuple[int, int]:
    starts = [datetime.fromisoformat(r.start_local).year - 1 for r in rows]
    return min([now.year - 1, *starts]), now.year + 1


async def record(schedule: schedule_models.Schedule, *, now: datetime) -> None:
    """Record the running library's version and region dates for ``schedule`` (none without
    a region); saved only when they changed."""
    version: str | None = None
    snapshot: dict[str, Any] | None = None
    if schedule.holiday_region:
        rows, _ = await _layers_and_tiers(schedule.id)
        first, last = _years(rows, now)
        version = regions.LIBRARY_VERSION
        snapshot = _snapshot(schedule.holiday_region, first, last)
    if (schedule.holidays_version, schedule.holiday_region_snapshot) != (version, snapshot):
        schedule.holidays_version = version
        schedule.holiday_region_snapshot = snapshot
        await schedule.save(update_fields=["holidays_version", "holiday_region_snapshot"])


def _old_holidays(
    layer: LayerInput, schedule: schedule_models.Schedule, old: dict[str, Any], last_year: int
) -> frozenset[date]:
    """The layer's schedule holidays with the snapshot's region dates in its years."""
    calendar = schedule_service.calendar_of(schedule)
    if layer.on_holidays is HolidayRule.RUN or calendar is None or not calendar.region:
        return layer.holidays
    first_year = layer.start.year - 1
    region_days = {
        d: name
        for d, name in region_dates(calendar.region, first_year, last_year).items()
        if not old["first"] <= d.year <= old["last"]
    }
    region_days.update({date.fromisoformat(d): "" for d in old["dates"]})
    days = calendar_dates(
        calendar, date(first_year, 1, 1), date(last_year, 12, 31), region_days=region_days
    )
    return frozenset(h.date for h in days)


async def _pin(schedule: schedule_models.Schedule, old: dict[str, Any], *, now: datetime) -> None:
    rows, tier_ids = await _layers_and_tiers(schedule.id)
    last_year = now.year + 1
    after = await engine_inputs.inputs_of(rows, last_year=last_year)
    for row in rows:
        new = after[row.id]
        before = dataclasses.replace(new, holidays=_old_holidays(new, schedule, old, last_year))
        segments = engine_inputs.segments_to_json(engine.roster_after_edit(before, new, now))
        if segments != row.roster_segments:
            row.roster_segments = segments
            await row.save(update_fields=["roster_segments"])
    await tier_service.bump_version(tier_ids=tier_ids)


async def reconcile(*, now: datetime) -> list[int]:
    """Treat a new library version as an edit of the calendars whose region dates it moved
    (see the module); record the version and dates of every schedule with a region. Returns
    the ids of the schedules whose dates moved. Runs inside the caller's transaction."""
    moved: list[int] = []
    version = regions.LIBRARY_VERSION
    stale = await schedule_models.Schedule.filter(holiday_region__isnull=False)
    stale += await schedule_models.Schedule.filter(
        holiday_region__isnull=True, holidays_version__isnull=False
    )
    for schedule in stale:
        old = schedule.holiday_region_snapshot
        if (
            old is not None
            and schedule.holidays_version == version
            and old.get("region") == schedule.holiday_region
            and old["last"] >= now.year + 1
        ):
            continue  # recorded under this version, and still covers next year
        if (
            schedule.holiday_region
            and old is not None
            and old.get("region") == schedule.holiday_region
            and schedule.holidays_version != version
        ):
            now_dates = _snapshot(schedule.holiday_region, old["first"], old["last"])["dates"]
            if now_dates != old["dates"]:
                await _pin(schedule, old, now=now)
                moved.append(schedule.id)
        await record(schedule, now=now)
    return moved
