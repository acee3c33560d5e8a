"""A destination's source: its tier's confirmed shifts seen through one assignee position."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from app.destinations import models
from app.destinations.adapters.base import Segment
from app.shifts import models as shift_models
from app.tiers import models as tier_models


async def _tiers_by_source(
    dests: Sequence[models.Destination],
) -> dict[tuple[int, int], tier_models.Tier]:
    schedule_ids = {d.schedule_id for d in dests}
    tiers = await tier_models.Tier.filter(schedule_id__in=schedule_ids) if schedule_ids else []
    return {(t.schedule_id, t.number): t for t in tiers}


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
    dests: Sequence[models.Destination], *, since: datetime
) -> dict[int, tuple[tier_models.Tier | None, list[Segment]]]:
    """Each destination's tier and projected confirmed shifts ending after ``since``
    (two queries for any number of destinations)."""
    tiers = await _tiers_by_source(dests)
    tier_ids = {t.id for t in tiers.values()}
    rows_by_tier: dict[int, list[shift_models.Shift]] = defaultdict(list)
    if tier_ids:
        for row in (
            await shift_models.Shift.filter(tier_id__in=tier_ids, end__gt=since)
            .only("id", "tier_id", "start", "end", "assignees", "positions")
            .order_by("tier_id", "start")
        ):
            rows_by_tier[row.tier_id].append(row)
    out = {}
    for d in dests:
        tier = tiers.get((d.schedule_id, d.tier_number))
        out[d.id] = (tier, project(rows_by_tier[tier.id], d.position) if tier else [])
    return out
