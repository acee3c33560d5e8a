"""Confirmed assignments: Shift rows kept equal to the computed timeline from now to the horizon.

Rules (SPEC §4): the horizon H is the schedule-local midnight after now plus the schedule's
assignmentHorizonDays, so it moves once a day. Reconfirming a tier recomputes [now, H):
rows that still match keep their ids, the running row is cut at now when what follows
differs (or extended when it continues), and rows that ended are never touched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from app import clock, db, versions
from app.engine import Shift, resolve
from app.errors import BadUserInput
from app.schedules import models as schedule_models
from app.shifts import models
from app.tiers import models as tier_models
from app.tiers import service as tier_service
from app.timelines import service as timeline_service

MAX_AHEAD = timedelta(days=366)

Listener = Callable[[Sequence["Confirmation"], datetime], Awaitable[None]]
LISTENERS: list[Listener] = []
"""Called, inside the confirming transaction, with every batch of confirmations (the
destinations register here to rewind and queue exports)."""


@dataclass(frozen=True)
class Confirmation:
    """What one tier's confirmation did. ``changed_from`` is the earliest instant whose
    confirmed assignment changed (None when no row changed)."""

    tier_id: int
    schedule_id: int
    until: datetime
    changed_from: datetime | None
    horizon_moved: bool

    @property
    def new_assignment(self) -> bool:
        return self.changed_from is not None or self.horizon_moved


def horizon(*, timezone: str, horizon_days: int, now: datetime) -> datetime:
    """The schedule-local midnight after ``now``, plus ``horizon_days`` days."""
    local_day = now.astimezone(ZoneInfo(timezone)).date()
    midnight = datetime.combine(local_day + timedelta(days=1 + horizon_days), time())
    return resolve(midnight, timezone)


def _key(s: Shift) -> tuple[object, ...]:
    return (s.start, s.end, s.assignees, s.positions, s.origin.value, s.layer_id, s.on_demand_id)


def _row_key(r: models.Shift) -> tuple[object, ...]:
    return (
        r.start,
        r.end,
        tuple(r.assignees),
        tuple(r.positions),
        r.origin,
        r.layer_id,
        r.on_demand_id,
    )


def _same_assignment(r: models.Shift, s: Shift) -> bool:
    return _row_key(r)[2:] == _key(s)[2:]


def _new_row(tier: tier_models.Tier, s: Shift) -> models.Shift:
    return models.Shift(
        organization_id=tier.organization_id,
        tier_id=tier.id,
        start=s.start,
        end=s.end,
        assignees=list(s.assignees),
        positions=list(s.positions),
        origin=s.origin.value,
        layer_id=s.layer_id,
        on_demand_id=s.on_demand_id,
    )


async def _reconcile(
    tier: tier_models.Tier, desired: Sequence[Shift], rows: Sequence[models.Shift], now: datetime
) -> datetime | None:
    changed: list[datetime] = []
    todo = list(desired)
    for row in [r for r in rows if r.start < now]:
        if todo and todo[0].start == now and _same_assignment(row, todo[0]):
            # The running shift continues: the row keeps its id and follows the new end.
            if row.end != todo[0].end:
                changed.append(min(row.end, todo[0].end))
                row.end = todo[0].end
                await row.save(update_fields=["end", "updated_at"])
            todo.pop(0)
        else:
            # What follows now differs: the running row is cut at now and stays history.
            changed.append(now)
            row.end = now
            await row.save(update_fields=["end", "updated_at"])
    # A future row is kept (same id) when a desired shift starts where it starts with the
    # same assignment; only its end follows the new computation.
    future = {(r.start, _row_key(r)[2:]): r for r in rows if r.start >= now}
    create: list[Shift] = []
    for s in todo:
        kept = future.pop((s.start, _key(s)[2:]), None)
        if kept is None:
            create.append(s)
        elif kept.end != s.end:
            changed.append(min(kept.end, s.end))
            kept.end = s.end
            await kept.save(update_fields=["end", "updated_at"])
    if future:
        changed.extend(r.start for r in future.values())
        await models.Shift.filter(id__in=[r.id for r in future.values()]).delete()
    if create:
        changed.extend(s.start for s in create)
        await models.Shift.bulk_create([_new_row(tier, s) for s in create])
    return min(changed) if changed else None


async def confirm(
    *,
    org_id: int | None,
    tier_ids: Iterable[int] | None = None,
    schedule_id: int | None = None,
    now: datetime,
    until: datetime | None = None,
) -> list[Confirmation]:
    """Reconfirm the given tiers (or every tier of a schedule) from ``now``.

    Each tier is confirmed up to the latest of its horizon, ``until`` and what it was
    confirmed to before, so a manual confirmation further ahead is not undone by the job.
    Run it inside a transaction; on PostgreSQL the tier rows are locked first so two
    confirmations of one tier never interleave.
    """
    if until is not None and not now <= until <= now + MAX_AHEAD:
        raise BadUserInput("must be between now and 366 days from now", field="until")
    query = tier_models.Tier.all()
    if org_id is not None:
        query = query.filter(organization_id=org_id)
    if tier_ids is not None:
        query = query.filter(id__in=set(tier_ids))
    if schedule_id is not None:
        query = query.filter(schedule_id=schedule_id)
    tiers = await query.select_for_update().order_by("id")
    if not tiers:
        return []
    schedules = {
        s.id: s
        for s in await schedule_models.Schedule.filter(id__in={t.schedule_id for t in tiers})
    }
    results: list[Confirmation] = []
    by_target: dict[datetime, list[tier_models.Tier]] = {}
    for tier in tiers:
        schedule = schedules[tier.schedule_id]
        h = horizon(
            timezone=schedule.timezone, horizon_days=schedule.assignment_horizon_days, now=now
        )
        target = max(d for d in (h, until, tier.confirmed_until) if d is not None)
        by_target.setdefault(target, []).append(tier)
    rows_by_tier: dict[int, list[models.Shift]] = {t.id: [] for t in tiers}
    for row in await models.Shift.filter(tier_id__in=[t.id for t in tiers], end__gt=now).order_by(
        "tier_id", "start"
    ):
        rows_by_tier[row.tier_id].append(row)
    for target, group in by_target.items():
        timelines = {}
        for org_group in _by_org(group):
            timelines.update(
                await timeline_service.compute(
                    org_id=org_group[0].organization_id, tiers=org_group, start=now, end=target
                )
            )
        for tier in group:
            changed_from = await _reconcile(
                tier, timelines[tier.id].shifts, rows_by_tier[tier.id], now
            )
            moved = tier.confirmed_until is None or target != tier.confirmed_until
            if changed_from is not None or moved:
                versions.touch(tier.organization_id)
            await tier_models.Tier.filter(id=tier.id).update(
                confirmed_version=tier.data_version,
                confirmed_until=target,
                confirmed_since=tier.confirmed_since or now,
            )
            results.append(
                Confirmation(
                    tier_id=tier.id,
                    schedule_id=tier.schedule_id,
                    until=target,
                    changed_from=changed_from,
                    horizon_moved=moved,
                )
            )
    for listener in LISTENERS:
        await listener(results, now)
    return results


def _by_org(tiers: Sequence[tier_models.Tier]) -> list[list[tier_models.Tier]]:
    groups: dict[int, list[tier_models.Tier]] = {}
    for tier in tiers:
        groups.setdefault(tier.organization_id, []).append(tier)
    return list(groups.values())


async def stale_tier_ids(*, now: datetime) -> list[int]:
    """Tiers whose confirmed rows lag behind: never confirmed, inputs changed since, or a
    horizon that moved. Used by the background job."""
    tiers = await tier_models.Tier.all().only(
        "id", "schedule_id", "data_version", "confirmed_version", "confirmed_until"
    )
    schedules = {
        s.id: s
        for s in await schedule_models.Schedule.filter(id__in={t.schedule_id for t in tiers})
    }
    stale = []
    for tier in tiers:
        s = schedules[tier.schedule_id]
        h = horizon(timezone=s.timezone, horizon_days=s.assignment_horizon_days, now=now)
        if (
            tier.confirmed_version != tier.data_version
            or tier.confirmed_until is None
            or tier.confirmed_until < h
        ):
            stale.append(tier.id)
    return stale


# ------------------------------------------------------------------ within the changing write

_STATE = "shifts.dirty_tiers"


@tier_service.inputs_changed.register(rank=10)
async def tiers_changed(tier_ids: set[int]) -> None:
    """Runs for every write to a tier's inputs. Inside a transaction, the tiers that were
    confirmed before are reconfirmed from now just before it commits (atomically with the
    change); the background job covers anything written outside one."""
    dirty = db.transaction_state(_STATE, set[int])
    if dirty is None:
        return
    dirty.update(tier_ids)
    db.before_commit(_STATE, _flush)


async def _flush() -> None:
    dirty = db.transaction_state(_STATE, set[int]) or set()
    confirmed = cast(
        list[int],
        await tier_models.Tier.filter(id__in=dirty, confirmed_version__isnull=False).values_list(
            "id", flat=True
        ),
    )
    dirty.clear()
    if confirmed:
        await confirm(org_id=None, tier_ids=confirmed, now=clock.now())
