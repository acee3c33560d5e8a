"""Planning a batch of exports: what each due destination sends now, read in one go.

A batch of any size costs the same few statements (its destinations, their tiers, the
tiers' confirmed rows, the people and schedule names, and only for kinds that keep items at
the destination, those items), so the work per export is Python, not round trips.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime
from typing import Any

from tortoise.expressions import Q

from app import versions
from app.contacts import models as contact_models
from app.destinations import models
from app.destinations.adapters.base import ExportRequest, Person, PreviousItem, Segment
from app.destinations.sources import sources, tier_state, tiers_by_source
from app.schedules import models as schedule_models

LOST = "the process stopped before the outcome was recorded"


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
    planned_at: datetime
    tier_state: tuple[Any, ...] | None = None
    """The source tier's versions when planned: unchanged, its confirmed rows are too."""
    segments: list[Segment] = dataclass_field(default_factory=list)
    """All the source's projected shifts read for the plan (not only the range's)."""
    delivery_id: int | None = None


def _keeps_items(dest: models.Destination) -> bool:
    from app.destinations.adapters import adapter_for

    return adapter_for(dest.kind).keeps_items


async def _items(
    dests: Sequence[models.Destination], after: dict[int, datetime]
) -> dict[int, list[models.ExternalItem]]:
    """The items of ``dests`` ending after their instant in ``after`` (one query)."""
    out: dict[int, list[models.ExternalItem]] = defaultdict(list)
    if not dests:
        return out
    condition = Q(*(Q(destination_id=d.id, end__gt=after[d.id]) for d in dests), join_type=Q.OR)
    for item in await models.ExternalItem.filter(condition).order_by("start", "id"):
        out[item.destination_id].append(item)
    return out


def _range_start(dest: models.Destination, segments: Sequence[Segment], now: datetime) -> datetime:
    if dest.exported_until is not None:
        return dest.exported_until
    current = next((s for s in segments if s.start <= now < s.end), None)
    return current.start if current else now


async def plan_batch(ids: Sequence[int], *, now: datetime) -> tuple[list[Plan], list[int]]:
    """Within the caller's transaction: lock and plan the destinations of ``ids`` that still
    owe an export, mark their attempt started (lastAttemptAt, a SENDING Delivery; one still
    SENDING from before never recorded its outcome: LOST). Returns the plans and the ids
    that owe nothing (exported meanwhile, or deleted).

    Each plan sends the source's confirmed shifts from exportedUntil (or the start of the
    current shift) to the confirmed horizon, or further when a rewind asked to cover what
    was exported before."""
    dests = list(
        await models.Destination.filter(id__in=list(ids), export_due_at__isnull=False)
        .select_for_update()
        .order_by("id")
    )
    owed = [d.id for d in dests]
    idle = sorted(set(ids) - set(owed))
    if not dests:
        return [], idle
    for d in dests:
        # lastAttemptAt is visible: cached answers go stale.
        versions.touch(d.organization_id)
    await models.Destination.filter(id__in=owed).update(last_attempt_at=now)
    await models.Delivery.filter(destination_id__in=owed, state="SENDING").update(
        state="LOST", error=LOST
    )
    tiers = await tiers_by_source(dests)
    since = {d.id: min(d.exported_until or now, now) for d in dests}
    src = await sources(dests, since=since, tiers=tiers)
    start = {d.id: _range_start(d, src[d.id][1], now) for d in dests}
    # An item written earlier that straddles the start would be removed whole by a
    # replacing adapter: start the range at that item so its first part is sent again.
    keeping = [d for d in dests if _keeps_items(d)]
    items = await _items(keeping, start)
    moved = []
    for d in keeping:
        straddling = [i for i in items[d.id] if i.start < start[d.id]]
        if straddling:
            start[d.id] = min(i.start for i in straddling)
            moved.append(d)
    if moved:
        since.update({d.id: start[d.id] for d in moved})
        src.update(await sources(moved, since=since, tiers=tiers))
        items.update(await _items(moved, start))
    chosen: dict[int, list[Segment]] = {}
    ends: dict[int, datetime] = {}
    for d in dests:
        tier, segments = src[d.id]
        horizon = tier.confirmed_until if tier and tier.confirmed_until else now
        end = max(horizon, d.cover_until or horizon, start[d.id])
        ends[d.id] = end
        chosen[d.id] = [s for s in segments if s.end > start[d.id] and s.start < end]
    contact_ids = {s.contact_id for segments in chosen.values() for s in segments}
    people = {
        c.id: Person(id=c.id, name=c.name, email=c.email, phone=c.phone)
        for c in (
            await contact_models.Contact.filter(id__in=contact_ids).only(
                "id", "name", "email", "phone"
            )
            if contact_ids
            else []
        )
    }
    names = dict(
        await schedule_models.Schedule.filter(id__in={d.schedule_id for d in dests}).values_list(
            "id", "name"
        )
    )
    plans = []
    for d in dests:
        segments, begin, end = chosen[d.id], start[d.id], ends[d.id]
        request = ExportRequest(
            destination_id=d.id,
            schedule_name=names[d.schedule_id],
            config=d.config,
            secrets=d.secrets,
            range_start=begin,
            range_end=end,
            segments=segments,
            people={pk: people[pk] for pk in {s.contact_id for s in segments} if pk in people},
            idempotency_key=idempotency_key(d.id, begin, end, segments),
            previous_items=[
                PreviousItem(external_id=i.external_id, start=i.start, end=i.end)
                for i in items.get(d.id, [])
                if i.end > begin and i.start < end
            ],
        )
        plans.append(
            Plan(
                destination=d,
                request=request,
                planned_at=now,
                tier_state=tier_state(src[d.id][0]),
                segments=src[d.id][1],
            )
        )
    await models.Delivery.bulk_create(
        [
            models.Delivery(
                destination_id=p.destination.id,
                idempotency_key=p.request.idempotency_key,
                range_start=p.request.range_start,
                range_end=p.request.range_end,
                shift_count=len(p.request.segments),
                started_at=now,
            )
            for p in plans
        ]
    )
    delivery_ids = dict(
        await models.Delivery.filter(destination_id__in=owed, state="SENDING").values_list(
            "destination_id", "id"
        )
    )
    for p in plans:
        p.delivery_id = delivery_ids[p.destination.id]
    return plans, idle
