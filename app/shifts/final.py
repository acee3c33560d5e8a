"""Final shifts: a tier's confirmed history joined with its computed timeline, and the answers
read from them (who is on call now, the next handoffs)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.engine import Origin, Shift
from app.shifts import models
from app.tiers import models as tier_models
from app.timelines.service import compute


def shift_from_row(row: models.Shift) -> Shift:
    return Shift(
        start=row.start,
        end=row.end,
        assignees=tuple(row.assignees),
        positions=tuple(row.positions),
        origin=Origin(row.origin),
        layer_id=row.layer_id,
        on_demand_id=row.on_demand_id,
    )


def _same(a: Shift, b: Shift) -> bool:
    return (
        a.assignees == b.assignees
        and a.positions == b.positions
        and a.origin == b.origin
        and a.layer_id == b.layer_id
        and a.on_demand_id == b.on_demand_id
    )


def merge_touching(shifts: Sequence[Shift]) -> list[Shift]:
    """Joins touching shifts that show the same thing (as the engine does inside a window)."""
    out: list[Shift] = []
    for shift in shifts:
        if out and out[-1].end == shift.start and _same(out[-1], shift):
            prev = out[-1]
            out[-1] = Shift(
                start=prev.start,
                end=shift.end,
                assignees=prev.assignees,
                positions=prev.positions,
                origin=prev.origin,
                layer_id=prev.layer_id,
                on_demand_id=prev.on_demand_id,
            )
        else:
            out.append(shift)
    return out


def _clip(shift: Shift, start: datetime, end: datetime) -> Shift | None:
    lo, hi = max(shift.start, start), min(shift.end, end)
    if lo >= hi:
        return None
    if (lo, hi) == (shift.start, shift.end):
        return shift
    return Shift(
        start=lo,
        end=hi,
        assignees=shift.assignees,
        positions=shift.positions,
        origin=shift.origin,
        layer_id=shift.layer_id,
        on_demand_id=shift.on_demand_id,
    )


async def tier_shifts(
    *,
    org_id: int,
    tiers: Sequence[tier_models.Tier],
    start: datetime,
    end: datetime,
    now: datetime,
) -> dict[int, list[Shift]]:
    """Final shifts per tier. The past since a tier was first confirmed comes from its
    confirmed rows (history is never recomputed); everything else is computed."""
    recorded: dict[int, list[Shift]] = {t.id: [] for t in tiers}
    past_tiers = [t for t in tiers if t.confirmed_since is not None and start < now]
    if past_tiers:
        rows = await models.Shift.filter(
            tier_id__in=[t.id for t in past_tiers], start__lt=min(end, now), end__gt=start
        ).order_by("tier_id", "start")
        for row in rows:
            recorded[row.tier_id].append(shift_from_row(row))
    computed = await compute(org_id=org_id, tiers=tiers, start=start, end=end)
    out: dict[int, list[Shift]] = {}
    for tier in tiers:
        history_end = min(end, now)
        since = tier.confirmed_since
        pieces: list[Shift] = []
        for shift in computed[tier.id].shifts:
            if since is not None and start < history_end:
                # Computed pieces only before confirmation began and from now on.
                before = _clip(shift, start, min(since, history_end))
                after = _clip(shift, history_end, end)
                pieces.extend(p for p in (before, after) if p is not None)
            else:
                pieces.append(shift)
        if since is not None and start < history_end:
            lo = max(start, since)
            pieces.extend(
                p for p in (_clip(s, lo, history_end) for s in recorded[tier.id]) if p is not None
            )
        out[tier.id] = merge_touching(sorted(pieces, key=lambda s: s.start))
    return out


def day_floor(instant: datetime) -> datetime:
    """Midnight UTC at or before ``instant``: windows around now snap to it so cache keys
    stay the same all day."""
    return instant.replace(hour=0, minute=0, second=0, microsecond=0)


def _runs(
    shifts: Sequence[Shift], start: datetime, end: datetime
) -> list[tuple[datetime, datetime, tuple[int, ...]]]:
    """The window as consecutive runs of equal assignees (gaps are runs with nobody)."""
    runs: list[tuple[datetime, datetime, tuple[int, ...]]] = []
    cursor = start

    def push(a: datetime, b: datetime, who: tuple[int, ...]) -> None:
        if a >= b:
            return
        if runs and runs[-1][1] == a and runs[-1][2] == who:
            runs[-1] = (runs[-1][0], b, who)
        else:
            runs.append((a, b, who))

    for s in shifts:
        push(cursor, s.start, ())
        push(s.start, s.end, s.assignees)
        cursor = s.end
    push(cursor, end, ())
    return runs


ON_CALL_LOOKBACK = timedelta(days=62)
ON_CALL_LOOKAHEAD = timedelta(days=63)
HANDOFF_LOOKAHEAD = timedelta(days=120)


@dataclass(frozen=True)
class OnCall:
    tier_id: int
    assignees: tuple[int, ...]
    since: datetime | None
    until: datetime | None
    changes_at: datetime
    """When this answer stops being true (the end of the run, gaps included)."""


async def on_call_now(
    *, org_id: int, tiers: Sequence[tier_models.Tier], now: datetime
) -> list[OnCall]:
    """Per tier, who is on call at ``now`` and since / until when that stays so (looked for
    up to two months either side)."""
    start, end = day_floor(now) - ON_CALL_LOOKBACK, day_floor(now) + ON_CALL_LOOKAHEAD
    shifts = await tier_shifts(org_id=org_id, tiers=tiers, start=start, end=end, now=now)
    out = []
    for tier in tiers:
        for a, b, who in _runs(shifts[tier.id], start, end):
            if a <= now < b:
                out.append(
                    OnCall(
                        tier_id=tier.id,
                        assignees=who,
                        since=a if who else None,
                        until=b if who else None,
                        changes_at=b,
                    )
                )
                break
    return out


@dataclass(frozen=True)
class HandoffAt:
    tier_id: int
    at: datetime
    before: tuple[int, ...]
    after: tuple[int, ...]


async def next_handoffs(
    *, org_id: int, tiers: Sequence[tier_models.Tier], now: datetime, count: int
) -> list[HandoffAt]:
    """The next ``count`` moments (across the tiers, earliest first) when who is on call
    changes, within the next four months."""
    start, end = day_floor(now), day_floor(now) + HANDOFF_LOOKAHEAD
    shifts = await tier_shifts(org_id=org_id, tiers=tiers, start=start, end=end, now=now)
    found: list[HandoffAt] = []
    for tier in tiers:
        runs = _runs(shifts[tier.id], start, end)
        for before, after in itertools.pairwise(runs):
            if after[0] > now:
                found.append(HandoffAt(tier.id, after[0], before[2], after[2]))
    found.sort(key=lambda h: (h.at, h.tier_id))
    return found[:count]
