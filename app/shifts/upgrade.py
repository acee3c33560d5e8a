"""The upgrade report (SPEC §2): which stored schedules' future shifts change under the rules
of this release, and from when — before confirmation rewrites them.

Confirmed rows (``Shift``) hold what the previous release computed. For every tier with
confirmed rows ending after ``now``, the tier is computed afresh over [now, the end of its last
confirmed row) and compared instant by instant with those rows (assignees in position order).
A tier appears in the report with the first instant where they differ. Confirmation (the
background job, or ``confirmAssignments``) then rewrites the future as usual (SPEC §4).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from app.engine import compute_timeline
from app.schedules import models as schedule_models
from app.shifts import models as shift_models
from app.tiers import models as tier_models
from app.timelines.inputs import load_tier_inputs

__all__ = ["FutureChange", "report_text", "upgrade_report"]


@dataclass(frozen=True)
class FutureChange:
    organization_id: int
    schedule_id: int
    schedule_name: str
    tier_number: int
    first_changed: datetime


Piece = tuple[datetime, datetime, tuple[int | None, ...]]


def _first_difference(old: list[Piece], new: list[Piece], start: datetime) -> datetime | None:
    cuts = sorted({start} | {x for p in old for x in p[:2]} | {x for p in new for x in p[:2]})

    def at(pieces: list[Piece], instant: datetime) -> tuple[int | None, ...]:
        for a, b, positions in pieces:
            if a <= instant < b:
                return positions
        return ()

    for instant in cuts:
        if instant >= start and at(old, instant) != at(new, instant):
            return instant
    return None


async def upgrade_report(*, now: datetime) -> list[FutureChange]:
    """Every tier whose confirmed future differs from what this release computes, by schedule
    name and tier number."""
    rows = await shift_models.Shift.filter(end__gt=now).order_by("tier_id", "start")
    by_tier: dict[int, list[shift_models.Shift]] = defaultdict(list)
    for row in rows:
        by_tier[row.tier_id].append(row)
    if not by_tier:
        return []
    tiers = await tier_models.Tier.filter(id__in=set(by_tier)).order_by("id")
    schedules = {
        s.id: s
        for s in await schedule_models.Schedule.filter(id__in={t.schedule_id for t in tiers})
    }
    found: list[FutureChange] = []
    for tier in tiers:
        confirmed = by_tier[tier.id]
        until = max(r.end for r in confirmed)
        inputs = await load_tier_inputs(org_id=tier.organization_id, tiers=[tier], until=until)
        timeline = compute_timeline(inputs[tier.id], now, until)
        old = [(max(r.start, now), r.end, tuple(r.positions)) for r in confirmed]
        new = [(s.start, s.end, s.positions) for s in timeline.shifts]
        first = _first_difference(old, new, now)
        if first is not None:
            schedule = schedules[tier.schedule_id]
            found.append(
                FutureChange(tier.organization_id, schedule.id, schedule.name, tier.number, first)
            )
    found.sort(key=lambda c: (c.organization_id, c.schedule_name, c.tier_number))
    return found


async def report_text(database_url: str) -> str:
    """The report as the ``rotagraph upgrade-report`` command prints it (now, every org)."""
    from tortoise import Tortoise

    from app import clock
    from app.db import init_db

    await init_db(database_url)
    try:
        changes = await upgrade_report(now=clock.now())
    finally:
        await Tortoise.close_connections()
    lines = [
        f"schedule {c.schedule_id} {c.schedule_name!r} (organization {c.organization_id}) "
        f"tier {c.tier_number}: future shifts change from {c.first_changed.isoformat()}"
        for c in changes
    ]
    if lines:
        lines.append(f"{len(lines)} tier(s) change; confirmation rewrites their future next.")
    else:
        lines.append("No confirmed future shift changes under this release's rules.")
    return "\n".join(lines)
