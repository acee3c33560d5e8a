"""Computed timelines of tiers: one read, one engine call per tier (in a worker thread),
cached by data version."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from app.engine import TierInput, Timeline, compute_timeline
from app.errors import Collector
from app.tiers import models as tier_models
from app.timelines.cache import CACHE
from app.timelines.inputs import load_tier_inputs

# One engine thread per process: the computation is pure Python, so more threads would only
# take turns on the interpreter lock, and each one more would make the event loop wait longer
# for its turn. The loop stays responsive while the thread works (create_app shortens the
# interpreter's switch interval so the loop gets the lock back within half a millisecond).
_ENGINE = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rotagraph-engine")


async def run_engine(tier: TierInput, start: datetime, end: datetime) -> Timeline:
    """``compute_timeline`` in the engine thread, off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(
        _ENGINE, compute_timeline, tier, start, end
    )


def check_window(
    start: datetime, end: datetime, *, max_days: int, fields: tuple[str, str] = ("from", "to")
) -> None:
    """A window is at most ``max_days`` long and not empty; times need an offset."""
    errors = Collector()
    if start.tzinfo is None:
        errors.add(fields[0], "needs a UTC offset")
    if end.tzinfo is None:
        errors.add(fields[1], "needs a UTC offset")
    if not errors.errors:
        if end <= start:
            errors.add(fields[1], f"must be after {fields[0]}")
        elif end - start > timedelta(days=max_days):
            errors.add(fields[1], f"the window is at most {max_days} days")
    errors.raise_if_any()


async def compute(
    *, org_id: int, tiers: Sequence[tier_models.Tier], start: datetime, end: datetime
) -> dict[int, Timeline]:
    """Each tier's timeline over [start, end); cached per (tier, data version, window)."""
    out: dict[int, Timeline] = {}
    missing: list[tier_models.Tier] = []
    for tier in tiers:
        hit = CACHE.get((tier.id, tier.data_version, start, end))
        if hit is None:
            missing.append(tier)
        else:
            out[tier.id] = hit
    if missing:
        inputs = await load_tier_inputs(org_id=org_id, tiers=missing, until=end)
        for tier in missing:
            # Off the event loop, one tier at a time: a long computation never stalls other
            # requests, and a cancelled request (time limit) stops between tiers.
            timeline = await run_engine(inputs[tier.id], start, end)
            CACHE.put((tier.id, tier.data_version, start, end), timeline)
            out[tier.id] = timeline
    return out
