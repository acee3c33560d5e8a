"""One export of a destination: plan what to send, send it, record the outcome."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime
from typing import Any

from app import clock, db, outbound, versions
from app.contacts import models as contact_models
from app.destinations import models
from app.destinations.adapters.base import (
    ExportRequest,
    ExportResult,
    Person,
    PreviousItem,
    Segment,
)
from app.destinations.sources import sources
from app.destinations.tracking import refresh_statuses
from app.destinations.wake import primitives
from app.schedules import models as schedule_models
from app.tiers import models as tier_models

log = logging.getLogger("rotagraph.exports")


def idempotency_key(
    destination_id: int, start: datetime, end: datetime, segments: Sequence[Segment]
) -> str:
    """The same for every request of one logical export: destination, range and the data."""
    data = json.dumps(
        [
            destination_id,
            start.isoformat(),
            end.isoformat(),
            [(s.start.isoformat(), s.end.isoformat(), s.contact_id) for s in segments],
        ]
    )
    return hashlib.sha256(data.encode()).hexdigest()


@dataclass
class Plan:
    destination: models.Destination
    request: ExportRequest
    first_segment_start: datetime | None
    tier_state: tuple[Any, ...] | None = None
    """The source tier's versions when planned: unchanged, its confirmed rows are too."""
    segments: list[Segment] = dataclass_field(default_factory=list)
    """All the source's projected shifts read for the plan (not only the range's)."""


def _tier_state(tier: tier_models.Tier | None) -> tuple[Any, ...] | None:
    if tier is None:
        return None
    return (tier.id, tier.data_version, tier.confirmed_version, tier.confirmed_until)


async def plan_export(dest: models.Destination, *, now: datetime) -> Plan:
    """What an export of ``dest`` sends now: its source's confirmed shifts from
    exportedUntil (or the start of the current shift) to the confirmed horizon, or further
    when a rewind asked to cover what was exported before."""
    tier, segments = (await sources([dest], since=min(dest.exported_until or now, now)))[dest.id]
    horizon = tier.confirmed_until if tier and tier.confirmed_until else now
    if dest.exported_until is not None:
        start = dest.exported_until
    else:
        current = next((s for s in segments if s.start <= now < s.end), None)
        start = current.start if current else now
    end = max(horizon, dest.cover_until or horizon, start)
    # An item written earlier that straddles the start would be removed whole by a
    # replacing adapter: start the range at that item so its first part is sent again.
    straddling = (
        await models.ExternalItem.filter(destination_id=dest.id, start__lt=start, end__gt=start)
        .order_by("start")
        .first()
    )
    if straddling is not None:
        start = straddling.start
        tier, segments = (await sources([dest], since=start))[dest.id]
    chosen = [s for s in segments if s.end > start and s.start < end]
    people = {
        c.id: Person(id=c.id, name=c.name, email=c.email, phone=c.phone)
        for c in await contact_models.Contact.filter(id__in={s.contact_id for s in chosen})
    }
    previous = [
        PreviousItem(external_id=i.external_id, start=i.start, end=i.end)
        for i in await models.ExternalItem.filter(
            destination_id=dest.id, end__gt=start, start__lt=end
        )
    ]
    schedule = await schedule_models.Schedule.get(id=dest.schedule_id)
    request = ExportRequest(
        destination_id=dest.id,
        schedule_name=schedule.name,
        config=dest.config,
        secrets=dest.secrets,
        range_start=start,
        range_end=end,
        segments=chosen,
        people=people,
        idempotency_key=idempotency_key(dest.id, start, end, chosen),
        previous_items=previous,
    )
    return Plan(
        destination=dest,
        request=request,
        first_segment_start=chosen[0].start if chosen else None,
        tier_state=_tier_state(tier),
        segments=segments,
    )


async def _still_valid(
    planned: models.Destination, fresh: models.Destination, plan: Plan, *, now: datetime
) -> datetime | None:
    """None when what ``plan`` sent is still the truth; else the instant up to which it is.

    An export reads the confirmed shifts, sends, then records: a change confirmed in
    between must not be covered by the recorded exportedUntil. Either the change's rewind
    already moved this row (exportedUntil / coverUntil / source differ from the plan's), or
    the rows differ from what was sent: then only the unchanged leading shifts count.
    """
    request = plan.request
    moved = (fresh.exported_until, fresh.cover_until, fresh.tier_number, fresh.position) != (
        planned.exported_until,
        planned.cover_until,
        planned.tier_number,
        planned.position,
    )
    if (fresh.tier_number, fresh.position) != (planned.tier_number, planned.position):
        return request.range_start  # sent for another source: nothing of it counts
    tier = await tier_models.Tier.get_or_none(
        schedule_id=fresh.schedule_id, number=fresh.tier_number
    )
    if not moved and _tier_state(tier) == plan.tier_state:
        return None  # confirmed rows change only with the tier's versions: nothing changed
    _, segments = (await sources([fresh], since=min(planned.exported_until or now, now)))[fresh.id]
    current = [s for s in segments if s.end > request.range_start and s.start < request.range_end]
    sent = list(request.segments)
    same = 0
    while same < min(len(sent), len(current)) and sent[same] == current[same]:
        same += 1
    if same == len(sent) == len(current):
        return fresh.exported_until if moved and fresh.exported_until is not None else None
    valid = sent[same - 1].end if same else request.range_start
    if moved and fresh.exported_until is not None:
        valid = min(valid, fresh.exported_until)
    return valid


async def export_destination(destination_id: int, *, session: Any) -> models.Destination:
    """Run one export of a destination now and record the outcome.

    Slow I/O never runs inside a transaction: the plan is read, the adapter sends, then the
    outcome is written in a short transaction of its own. A crash between sending and
    recording leaves exportedUntil where it was and the export still due (``export_due_at``
    is cleared only with the outcome), so after a restart the worker sends the same logical
    export again with the same idempotency key; its Delivery row is then marked LOST.
    """
    from app.destinations.adapters import adapter_for

    async with primitives.current().locks[destination_id]:
        now = clock.now()
        async with db.transaction():
            dest = await models.Destination.get(id=destination_id)
            # lastAttemptAt and the outcome are visible: cached answers go stale.
            versions.touch(dest.organization_id)
            await models.Destination.filter(id=dest.id).update(last_attempt_at=now)
            # A delivery still SENDING here never recorded its outcome (the process died):
            # exports of one destination never overlap (the lock above).
            await models.Delivery.filter(destination_id=dest.id, state="SENDING").update(
                state="LOST", error="the process stopped before the outcome was recorded"
            )
            plan = await plan_export(dest, now=now)
            delivery = await models.Delivery.create(
                destination_id=dest.id,
                idempotency_key=plan.request.idempotency_key,
                range_start=plan.request.range_start,
                range_end=plan.request.range_end,
                shift_count=len(plan.request.segments),
                started_at=now,
            )
        error: str | None = None
        result = ExportResult()
        try:
            result = await adapter_for(dest.kind).export(plan.request, session)
        except outbound.OutboundError as exc:
            error = str(exc) or type(exc).__name__
        except Exception as exc:  # an adapter bug is a failed export, never a crash of the worker
            log.exception("export of destination %s failed", dest.id)
            error = f"unexpected error: {type(exc).__name__}"
        finished = clock.now()
        async with db.transaction():
            versions.touch(dest.organization_id)
            fresh = await models.Destination.select_for_update().get_or_none(id=dest.id)
            if fresh is None:
                return dest
            fresh.attempts_finished += 1
            fresh.last_attempt_at = now
            # What was sent still holds up to ``valid_until`` (None: all of it).
            valid_until = await _still_valid(dest, fresh, plan, now=now) if error is None else None
            if (
                fresh.export_due_at is not None
                and fresh.export_due_at <= now
                and valid_until is None
            ):
                # Done; a request that arrived while this attempt ran stays due, and so
                # does a change that overtook this export.
                fresh.export_due_at = None
            if error is None:
                segments = plan.request.segments
                if valid_until is not None:
                    # The confirmed shifts changed while this export was in flight: keep
                    # exportedUntil short of the change, and let the next export cover
                    # everything this one replaced at the destination.
                    if valid_until > plan.request.range_start:
                        fresh.exported_until = valid_until
                    fresh.cover_until = max(
                        fresh.cover_until or plan.request.range_end, plan.request.range_end
                    )
                elif segments:
                    fresh.exported_until = segments[-1].end
                    fresh.cover_until = None
                else:
                    if (
                        fresh.exported_until is None
                        or fresh.exported_until < plan.request.range_start
                    ):
                        fresh.exported_until = plan.request.range_start
                    fresh.cover_until = None
                fresh.last_error = None
                fresh.last_success_at = finished
                if result.removed:
                    await models.ExternalItem.filter(
                        destination_id=dest.id, external_id__in=result.removed
                    ).delete()
                if result.created:
                    await models.ExternalItem.bulk_create(
                        [
                            models.ExternalItem(
                                destination_id=dest.id,
                                external_id=i.external_id,
                                start=i.start,
                                end=i.end,
                            )
                            for i in result.created
                        ]
                    )
            else:
                fresh.last_error = error[:2000]
            await fresh.save()
            await models.Delivery.filter(id=delivery.id).update(
                state="OK" if error is None else "FAILED", error=error, finished_at=finished
            )
            await refresh_statuses(
                schedule_ids={fresh.schedule_id},
                destination_ids={fresh.id},
                # Unchanged since the plan read them: no need to read the shifts again.
                known={fresh.id: plan.segments} if error is None and valid_until is None else None,
                now=finished,
            )
        return fresh
