"""Roster changes of stored layers (SPEC §9): their segments kept across edits.

An edit is taken in two steps inside the caller's transaction: ``snapshot`` the engine inputs
of the layers an edit touches, write the edit, then ``store_changes``: the engine compares each
layer before and after (``app.engine.roster_after_edit``) and the resulting segments are
stored. Edits of start, zone, rotation, k, r or direction discard the segments; a changed
expanded participant list becomes a segment at the next handoff (or as ``effective`` says);
on ACTIVE_TURNS layers an edit of what makes turns active pins the running turn.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import datetime

from app import engine
from app.engine import Effective, LayerInput
from app.layers import engine_inputs, models
from app.layers import specs as specs_module
from app.layers.specs import EffectiveSpec, LayerSpec

__all__ = ["draft_inputs", "snapshot", "store_changes"]


async def snapshot(layer_ids: Iterable[int], *, now: datetime) -> dict[int, LayerInput]:
    """Engine inputs of these stored layers as they are now."""
    rows = await models.Layer.filter(id__in=set(layer_ids))
    return await engine_inputs.inputs_of(rows, last_year=now.year + 1)


async def store_changes(
    before: dict[int, LayerInput], *, now: datetime, effective: EffectiveSpec | None = None
) -> None:
    """Store the segments of each layer of ``before`` after the edit just written."""
    if not before:
        return
    rows = await models.Layer.filter(id__in=set(before))
    after = await engine_inputs.inputs_of(rows, last_year=now.year + 1)
    mode = Effective((effective or EffectiveSpec()).mode)
    at = effective.at if effective is not None else None
    for row in rows:
        segments = engine.roster_after_edit(before[row.id], after[row.id], now, mode, at)
        stored = engine_inputs.segments_to_json(segments)
        if stored != row.roster_segments:
            row.roster_segments = stored
            await row.save(update_fields=["roster_segments"])


async def draft_inputs(
    *, tier_id: int, specs: Sequence[LayerSpec], now: datetime, last_year: int
) -> tuple[LayerInput, ...]:
    """Draft layers (validated specs) as engine inputs, as if saved at ``now``: an entry with
    ``layer_id`` keeps that stored layer's id and continues its roster; others get negative
    ids (-1, -2, …)."""
    stored_rows = await models.Layer.filter(
        tier_id=tier_id, id__in={s.layer_id for s in specs if s.layer_id is not None}
    )
    stored = await engine_inputs.inputs_of(stored_rows, last_year=last_year)
    all_entries = [specs_module.entries_of(spec) for spec in specs]
    lookups = await engine_inputs.load_lookups(
        tier_ids={tier_id},
        entries=[e for es in all_entries for e in es],
        segment_contacts=set(),
        last_year=last_year,
    )
    explicit = {s.index for s in specs if s.index is not None}
    free = (n for n in range(1, 10_000) if n not in explicit)
    out: list[LayerInput] = []
    for i, (spec, entries) in enumerate(zip(specs, all_entries, strict=True)):
        old = stored.get(spec.layer_id) if spec.layer_id is not None else None
        values = {**specs_module.row_values(spec), "roster_segments": []}
        draft = engine_inputs.layer_input(
            layer_id=old.id if old is not None else -(i + 1),
            index=spec.index if spec.index is not None else next(free),
            tier_id=tier_id,
            values=values,
            entries=entries,
            lookups=lookups,
        )
        if old is not None:
            draft = dataclasses.replace(draft, segments=engine.roster_after_edit(old, draft, now))
        out.append(draft)
    return tuple(out)
