"""Destinations follow their sources: statuses against the clock (SPEC §4), and exports
rewound and queued again when a tier's confirmed shifts change."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from app import clock, pubsub, versions
from app.db import transaction
from app.destinations import models
from app.destinations.adapters.base import Segment
from app.destinations.channels import destination_channel, schedule_channel
from app.destinations.sources import project, sources
from app.destinations.status import (
    Status,
    destination_status,
    in_grace,
    schedule_status,
    status_reason,
    with_grace,
)
from app.destinations.wake import kick_after_commit
from app.schedules import models as schedule_models
from app.shifts import models as shift_models
from app.shifts import service as shift_service
from app.shifts.on_call import publish_on_call_changes
from app.tiers import models as tier_models

# -------------------------------------------------------------------------- status

GRACE = {"seconds": 60.0}


def configure(*, grace_seconds: float) -> None:
    """EXPORT_GRACE_SECONDS: how long a change may wait for its export before it counts."""
    GRACE["seconds"] = grace_seconds


async def refresh_statuses(
    *,
    schedule_ids: Iterable[int] | None = None,
    destination_ids: Iterable[int] | None = None,
    known: dict[int, list[Segment]] | None = None,
    loaded: Sequence[models.Destination] = (),
    now: datetime,
) -> list[models.Destination]:
    """Recompute destination and schedule statuses against the clock; store and publish the
    ones that changed (after commit). Returns the destinations whose status changed.

    With ``destination_ids`` only those destinations are recomputed (after their own export);
    the roll-up then takes the others' stored statuses, which the status tick keeps current.
    ``loaded`` are rows the caller read (locked) and wrote in this transaction, as they are
    now: they are not read again."""
    query = models.Destination.all()
    ids = set(schedule_ids) if schedule_ids is not None else None
    if ids is not None:
        query = query.filter(schedule_id__in=ids)
    if loaded:
        query = query.exclude(id__in=[d.id for d in loaded])
    dests = sorted(
        [*(d for d in loaded if ids is None or d.schedule_id in ids), *await query],
        key=lambda d: d.id,
    )
    only = set(destination_ids) if destination_ids is not None else None
    known = known or {}
    src: dict[int, tuple[Any, list[Segment]]] = {
        pk: (None, [s for s in segments if s.end > now]) for pk, segments in known.items()
    }
    src.update(
        await sources(
            [d for d in dests if (only is None or d.id in only) and d.id not in known], since=now
        )
    )
    changed = []
    by_schedule: dict[int, list[Status]] = defaultdict(list)
    writes: dict[tuple[str, str | None], list[int]] = defaultdict(list)
    for d in dests:
        if d.id not in src:
            by_schedule[d.schedule_id].append(Status(d.status))
            continue
        _, segments = src[d.id]
        shifts = [(s.start, s.end) for s in segments]
        status = destination_status(
            shifts=shifts,
            exported_until=d.exported_until,
            first_attempt_done=d.attempts_finished > 0,
            now=now,
        )
        grace = timedelta(seconds=GRACE["seconds"])
        if in_grace(
            changed_at=d.changed_at, last_attempt_at=d.last_attempt_at, grace=grace, now=now
        ):
            status = with_grace(status, Status(d.status))
        reason = status_reason(
            status,
            shifts=shifts,
            exported_until=d.exported_until,
            last_error=d.last_error,
            auto_export=d.auto_export,
            now=now,
        )
        by_schedule[d.schedule_id].append(status)
        if reason != d.status_reason and status.value == d.status:
            d.status_reason = reason
            writes[(d.status, reason)].append(d.id)
        if status.value != d.status:
            versions.touch(d.organization_id)
            d.status, d.status_reason = status.value, reason
            writes[(d.status, reason)].append(d.id)
            changed.append(d)
            pubsub.publish_after_commit(
                destination_channel(d.schedule_id), {"destinationId": d.id, "status": status.value}
            )
    # One statement per distinct (status, reason), not per destination.
    for (status_value, reason), pks in writes.items():
        await models.Destination.filter(id__in=pks).update(
            status=status_value, status_reason=reason
        )
    schedules = schedule_models.Schedule.all()
    if ids is not None:
        schedules = schedules.filter(id__in=ids)
    rows = await schedules.only("id", "status", "organization_id")
    # "Has confirmed shifts" means Shift rows exist: a tier confirmed with no layers has none
    # (only asked for schedules without destinations).
    bare = [s.id for s in rows if not by_schedule.get(s.id)]
    confirmed: set[int] = (
        set(
            cast(
                list[int],
                await shift_models.Shift.filter(tier__schedule_id__in=bare)
                .distinct()
                .values_list("tier__schedule_id", flat=True),
            )
        )
        if bare
        else set()
    )
    schedule_writes: dict[str, list[int]] = defaultdict(list)
    for s in rows:
        status = schedule_status(by_schedule.get(s.id, []), has_confirmed_shifts=s.id in confirmed)
        if status.value != s.status:
            versions.touch(s.organization_id)
            schedule_writes[status.value].append(s.id)
            pubsub.publish_after_commit(
                schedule_channel(s.id), {"scheduleId": s.id, "status": status.value}
            )
    for status_value, pks in schedule_writes.items():
        await schedule_models.Schedule.filter(id__in=pks).update(status=status_value)
    return changed


# ------------------------------------------------------------ confirmation listener


async def on_confirmed(results: Sequence[shift_service.Confirmation], now: datetime) -> None:
    """After a tier's confirmed rows changed: rewind exports whose exported range changed,
    queue auto exports for every new assignment, and refresh statuses."""
    news = [r for r in results if r.new_assignment]
    if not news:
        return
    tiers = {t.id: t for t in await tier_models.Tier.filter(id__in=[r.tier_id for r in news])}
    # Locked (PostgreSQL), as the export's recording step locks its row: a change and the
    # outcome of an export in flight are applied one after the other, never crossed.
    dests = await (
        models.Destination.filter(schedule_id__in={r.schedule_id for r in news})
        .select_for_update()
        .order_by("id")
    )
    by_source: dict[tuple[int, int], list[models.Destination]] = defaultdict(list)
    for d in dests:
        by_source[(d.schedule_id, d.tier_number)].append(d)
    for r in news:
        tier = tiers[r.tier_id]
        for d in by_source.get((tier.schedule_id, tier.number), []):
            updates: dict[str, Any] = {}
            if (
                r.changed_from is not None
                and d.exported_until is not None
                and r.changed_from < d.exported_until
            ):
                rows = await shift_models.Shift.filter(
                    tier_id=tier.id, end__gt=min(r.changed_from, now)
                ).order_by("start")
                start = r.changed_from
                for seg in project(rows, d.position):
                    if seg.start <= r.changed_from < seg.end:
                        start = seg.start
                        break
                updates["exported_until"] = start
                updates["cover_until"] = max(d.exported_until, d.cover_until or d.exported_until)
            if d.auto_export:
                updates["export_due_at"] = now
            updates["changed_at"] = now  # the grace of what this change left unexported
            if updates:
                await models.Destination.filter(id=d.id).update(**updates)
    kick_after_commit()
    await refresh_statuses(schedule_ids={r.schedule_id for r in news}, now=now)
    await publish_on_call_changes({r.schedule_id for r in news})


shift_service.LISTENERS.append(on_confirmed)


async def tick() -> None:
    """The status tick: destination and schedule statuses move with the clock alone (a shift
    coming within 72 hours), and on-call changes at handoffs reach subscribers."""
    async with transaction():
        await refresh_statuses(now=clock.now())
        await publish_on_call_changes()
