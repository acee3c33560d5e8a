"""compute_timeline: one tier's inputs and a window in, its Timeline out (see ``app.engine``)."""

from __future__ import annotations

from datetime import datetime

from app.engine.availability import Availability, layer_pieces
from app.engine.intervals import complement
from app.engine.merge import SubPiece, merge_adjacent, merge_parts, on_demand_segments, overlay
from app.engine.model import (
    Interval,
    LayerInput,
    LayerShift,
    LayerTimeline,
    Shift,
    TierInput,
    Timeline,
    Understaffed,
)
from app.engine.restrictions import coverage
from app.engine.turns import Rotation
from app.engine.validation import validate_tier
from app.engine.wallclock import as_utc

__all__ = ["compute_timeline"]


def _layer_view(layer_id: int, parts: list[SubPiece]) -> LayerTimeline:
    return LayerTimeline(
        layer_id,
        tuple(
            LayerShift(
                start,
                end,
                assignees,
                positions,
                origin,
                by_layer is not None or by_od is not None,
                by_layer,
                by_od,
            )
            for start, end, positions, assignees, origin, by_layer, by_od in parts
        ),
    )


def _understaffed(layer: LayerInput, parts: list[SubPiece]) -> list[Understaffed]:
    required = layer.required_staff
    found: list[Understaffed] = []
    for start, end, _, assignees, _, by_layer, by_od in parts:
        filled = len(assignees)
        if filled >= required or by_layer is not None or by_od is not None:
            continue
        if found and found[-1].end == start and found[-1].filled == filled:
            found[-1] = Understaffed(found[-1].start, end, layer.id, filled, required)
        else:
            found.append(Understaffed(start, end, layer.id, filled, required))
    return found


def compute_timeline(tier: TierInput, start: datetime, end: datetime) -> Timeline:
    """The tier's timeline for the window [start, end) (aware instants); see ``app.engine``."""
    lo, hi = as_utc(start), as_utc(end)
    if hi <= lo:
        empty = tuple(LayerTimeline(layer.id, ()) for layer in tier.layers)
        return Timeline(lo, hi, (), empty, (), ())
    validate_tier(tier)
    avail = Availability(tier.substitutions, tier.busy_blocks, lo, hi)
    assigned = on_demand_segments(tier.on_demand_shifts, lo, hi)
    parts_by_layer: dict[int, list[SubPiece]] = {}
    for position in sorted(range(len(tier.layers)), key=lambda i: -tier.layers[i].index):
        layer = tier.layers[position]
        rot = Rotation(layer)
        layer_lo = max(lo, rot.origin)
        layer_hi = hi if rot.end is None else min(hi, rot.end)
        covered = coverage(layer, rot, layer_lo, layer_hi)
        pieces = layer_pieces(layer, rot, covered, avail, layer_lo, layer_hi)
        assigned, parts = overlay(assigned, pieces, layer.id)
        parts_by_layer[position] = merge_parts(parts)

    final = merge_adjacent(assigned)
    shifts = tuple(
        Shift(seg_start, seg_end, payload[0], payload[1], payload[2], payload[3], payload[4])
        for seg_start, seg_end, payload in final
    )
    gaps = tuple(
        Interval(gap_start, gap_end)
        for gap_start, gap_end in complement(((s[0], s[1]) for s in final), lo, hi)
    )
    views = tuple(_layer_view(layer.id, parts_by_layer[i]) for i, layer in enumerate(tier.layers))
    understaffed: list[Understaffed] = []
    for i, layer in enumerate(tier.layers):
        understaffed.extend(_understaffed(layer, parts_by_layer[i]))
    understaffed.sort(key=lambda u: (u.start, u.layer_id))
    return Timeline(lo, hi, shifts, views, gaps, tuple(understaffed))
