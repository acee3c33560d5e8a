"""On-call changes: who is on call now on each tier by the confirmed shifts, published to
subscribers when it changes (after a write, or at a handoff the status tick notices)."""

from __future__ import annotations

from app import clock, pubsub
from app.schedules import models as schedule_models
from app.shifts import models


def on_call_channel(schedule_id: int) -> str:
    return f"schedule:{schedule_id}:on-call"


async def on_call_signatures(schedule_ids: set[int] | None = None) -> dict[int, str]:
    """Per schedule, who is on call now on each tier according to the confirmed shifts."""
    now = clock.now()
    query = models.Shift.filter(start__lte=now, end__gt=now)
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
                    on_call_channel(schedule.id), {"scheduleId": schedule.id}
                )
    return changed
