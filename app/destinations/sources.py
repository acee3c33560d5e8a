"""A destination's source: its tier's confirmed shifts seen through one assignee position."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from tortoise.expressions import Q

from app.destinations import models
from app.destinations.adapters.base import Segment
from app.shifts import models as shift_models
from app.tiers import models as tier_models


async def tiers_by_source(
    dests: Iterable[models.Destination],
) -> dict[tuple[int, int], tier_models.Tier]:
    """The tiers of these destinations' schedules by (schedule id, tier number): one query."""
    schedule_ids = {d.schedule_id for d in dests}
    tiers = await tier_models.Tier.filter(schedule_id__in=schedule_ids) if schedule_ids else []
    return {(t.schedule_id, t.number): t for t in tiers}


def tier_state(tier: tier_models.Tier | None) -> tuple[Any, ...] | None:
    """A tier's versions: while they are unchanged, so are its confirmed rows."""
    if tier is None:
        return None
    return (tier.id, tier.data_version, tier.confirmed_version, tier.confirmed_until)


def project(rows: Iterable[shift_models.Shift], position: int) -> list[Segment]:
    """Confirmed rows seen through one assignee position, equal neighbours merged."""
    out: list[Segment] = []
    for row in rows:
        positions = row.positions or row.assignees
        contact = positions[position - 1] if len(positions) >= position else None
        if contact is None:
            continue
        if out and out[-1].end == row.start and out[-1].contact_id == contact:
            out[-1] = Segment(out[-1].start, row.end, contact)
        else:
            out.append(Segment(row.start, row.end, contact))
    return out


async def sources(
    dests: Sequence[models.Destination],
    *,
    since: datetime | Mapping[int, datetime],
    tiers: Mapping[tuple[int, int], tier_models.Tier] | None = None,
) -> dict[int, tuple[tier_models.Tier | None, list[Segment]]]:
    """Each destination's tier and projected confirmed shifts ending after ``since`` (one
    instant, or one per destination id). Two queries for any number of destinations (one
    when ``tiers`` are given); each destination sees only the rows ending after its own
    ``since``, so what it gets never depends on the others read with it."""
    if tiers is None:
        tiers = await tiers_by_source(dests)
    since_of = {d.id: since if isinstance(since, datetime) else since[d.id] for d in dests}
    earliest: dict[int, datetime] = {}
    for d in dests:
        tier = tiers.get((d.schedule_id, d.tier_number))
        if tier is not None:
            earliest[tier.id] = min(earliest.get(tier.id, since_of[d.id]), since_of[d.id])
    rows_by_tier: dict[int, list[shift_models.Shift]] = defaultdict(list)
    if earliest:
        by_since: dict[datetime, list[int]] = defaultdict(list)
        for tier_id, instant in earliest.items():
            by_since[instant].append(tier_id)
        condition = Q(
            *(Q(tier_id__in=ids, end__gt=instant) for instant, ids in by_since.items()),
            join_type=Q.OR,
        )
        for row in (
            await shift_models.Shift.filter(condition)
            .only("id", "tier_id", "start", "end", "assignees", "positions")
            .order_by("tier_id", "start")
        ):
            rows_by_tier[row.tier_id].append(row)
    out: dict[int, tuple[tier_models.Tier | None, list[Segment]]] = {}
    for d in dests:
        tier = tiers.get((d.schedule_id, d.tier_number))
        if tier is None:
            out[d.id] = (tier, [])
            continue
        rows = rows_by_tier[tier.id]
        if since_of[d.id] > earliest[tier.id]:
            rows = [r for r in rows if r.end > since_of[d.id]]
        out[d.id] = (tier, project(rows, d.position))
    return out
