"""The status tick: destination and schedule statuses move with the clock alone (a shift
coming within 72 hours), and on-call changes at handoffs reach subscribers."""

from __future__ import annotations

from app import clock, pubsub
from app.db import transaction
from app.destinations import channels as destination_channels
from app.destinations import tracking as destination_tracking
from app.schedules import models as schedule_models
from app.shifts import models as shift_models


async def on_call_signatures(schedule_ids: set[int] | None = None) -> dict[int, str]:
    """Per schedule, who is on call now on each tier according to the confirmed shifts."""
    now = clock.now()
    query = shift_models.Shift.filter(start__lte=now, end__gt=now)
    rows = await query.select_related("tier").order_by("tier_id")
    out: dict[int, list[str]] = {}
    for row in rows:
        if schedule_ids is not None and row.tier.schedule_id not in schedule_ids:
            continue
        out.setdefault(row.tier.schedule_id, []).append(f"{row.tier.number}:{row.assignees}")
    return {pk: ";".join(parts) for pk, parts in out.items()}


async def publish_on_call_changes(schedule_ids: set[int] | None = None) -> int:
    """Compare each schedule's on-call signature with the stored one; publish changes."""
    signatures = await on_call_signatures(schedule_ids)
    query = schedule_models.Schedule.all()
    if schedule_ids is not None:
        query = query.filter(id__in=schedule_ids)
    changed = 0
    for schedule in await query.only("id", "on_call_signature"):
        now_sig = signatures.get(schedule.id, "")
        if now_sig != schedule.on_call_signature:
            # Compare-and-set: with several processes only one publishes a given change.
            updated = await schedule_models.Schedule.filter(
                id=schedule.id, on_call_signature=schedule.on_call_signature
            ).update(on_call_signature=now_sig)
            if updated:
                changed += 1
                pubsub.publish_after_commit(
                    destination_channels.on_call_channel(schedule.id), {"scheduleId": schedule.id}
                )
    return changed


async def tick() -> None:
    async with transaction():
        await destination_tracking.refresh_statuses(now=clock.now())
        await publish_on_call_changes()
