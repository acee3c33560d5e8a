"""Loads everything the engine needs for a set of tiers in one read (a query per kind)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime

from app.engine import (
    BusyBlock,
    OnDemandShiftInput,
    SubstitutionInput,
    TierInput,
)
from app.layers import engine_inputs as layer_inputs
from app.on_demand_shifts import models as on_demand_models
from app.substitutions import occurrences as substitution_occurrences
from app.tiers import models as tier_models


async def on_demand_for(tier_ids: Iterable[int]) -> dict[int, tuple[OnDemandShiftInput, ...]]:
    ids = set(tier_ids)
    rows = await on_demand_models.OnDemandShift.filter(tier_id__in=ids).order_by(
        "tier_id", "start", "id"
    )
    contacts: dict[int, list[int]] = defaultdict(list)
    if rows:
        for shift_id, contact_id in (
            await on_demand_models.OnDemandShiftContact.filter(shift_id__in=[r.id for r in rows])
            .order_by("shift_id", "position")
            .values_list("shift_id", "contact_id")
        ):
            contacts[shift_id].append(contact_id)
    out: dict[int, list[OnDemandShiftInput]] = {pk: [] for pk in ids}
    for row in rows:
        out[row.tier_id].append(
            OnDemandShiftInput(
                id=row.id, start=row.start, end=row.end, contact_ids=tuple(contacts[row.id])
            )
        )
    return {pk: tuple(v) for pk, v in out.items()}


async def substitutions_for(
    org_id: int, schedule_ids: set[int]
) -> dict[int, tuple[SubstitutionInput, ...]]:
    return await substitution_occurrences.engine_inputs(org_id=org_id, schedule_ids=schedule_ids)


BusySource = Callable[[int, set[int]], Awaitable[tuple[BusyBlock, ...]]]
BUSY_SOURCES: list[BusySource] = []
"""Where imported busy time comes from: ``source(org_id, contact_ids)``. The calendars (a
workflow above the timelines) register here, so the timelines never import them."""


async def busy_blocks_for(org_id: int, contact_ids: set[int]) -> tuple[BusyBlock, ...]:
    """Imported busy time of these contacts (their calendars' availability blocks, merged
    per contact), in one query per source."""
    found: list[BusyBlock] = []
    for source in BUSY_SOURCES:
        found.extend(await source(org_id, contact_ids))
    return tuple(found)


async def load_tier_inputs(
    *, org_id: int, tiers: Sequence[tier_models.Tier], until: datetime
) -> dict[int, TierInput]:
    """One TierInput per tier, read with a fixed number of queries for any number of tiers;
    holiday calendars are expanded up to the year after ``until``."""
    if not tiers:
        return {}
    tier_ids = {t.id for t in tiers}
    layers = await layer_inputs.layers_for(tier_ids, last_year=until.year + 1)
    on_demand = await on_demand_for(tier_ids)
    subs = await substitutions_for(org_id, {t.schedule_id for t in tiers})
    contact_ids = {
        p.contact_id for ls in layers.values() for layer in ls for p in layer.participants
    } | {
        c for ls in layers.values() for layer in ls for seg in layer.segments for c in seg.contacts
    }
    busy = await busy_blocks_for(org_id, contact_ids)
    return {
        t.id: TierInput(
            layers=layers[t.id],
            on_demand_shifts=on_demand[t.id],
            substitutions=subs.get(t.schedule_id, ()),
            busy_blocks=busy,
        )
        for t in tiers
    }
