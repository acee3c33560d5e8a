"""Merging layers into one timeline: on-demand shifts first, then layers by descending index.

Per instant the on-demand shift wins (where on-demand shifts overlap each other, the highest id
wins); otherwise the highest-index layer with at least one filled position wins, with its
positions as they are; a layer piece with nobody lets the layers below show through. Each
layer piece is split where its overrider changes, so every part is either shown, overridden
(and by what), or empty.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Iterable
from datetime import datetime
from itertools import pairwise
from operator import itemgetter

from app.engine.availability import Piece, Positions
from app.engine.model import OnDemandShiftInput, Origin
from app.engine.wallclock import as_utc

__all__ = ["Payload", "Segment", "SubPiece", "merge_adjacent", "on_demand_segments", "overlay"]

# What a final segment shows: assignees, positions, origin, layer id, on-demand id.
Payload = tuple[tuple[int, ...], Positions, Origin, int | None, int | None]
Segment = tuple[datetime, datetime, Payload]
# A part of a layer piece: start, end, positions, assignees, origin, and what overrode it
# (layer id, on-demand id; both None when the part is shown or empty).
SubPiece = tuple[datetime, datetime, Positions, tuple[int, ...], Origin, int | None, int | None]

_END = itemgetter(1)
_START = itemgetter(0)


def merge_adjacent(segments: Iterable[Segment]) -> list[Segment]:
    """Sorted segments with touching neighbours of equal payload joined."""
    merged: list[Segment] = []
    for segment in segments:
        if merged:
            last = merged[-1]
            if last[1] == segment[0] and last[2] == segment[2]:
                merged[-1] = (last[0], segment[1], last[2])
                continue
        merged.append(segment)
    return merged


def on_demand_segments(
    shifts: tuple[OnDemandShiftInput, ...], lo: datetime, hi: datetime
) -> list[Segment]:
    """Sorted, disjoint segments of the on-demand shifts within [lo, hi)."""
    items: list[tuple[datetime, datetime, int, Payload]] = []
    for shift in shifts:
        start = max(as_utc(shift.start), lo)
        end = min(as_utc(shift.end), hi)
        contacts = tuple(dict.fromkeys(shift.contact_ids))
        if start < end and contacts:
            payload: Payload = (contacts, contacts, Origin.ON_DEMAND, None, shift.id)
            items.append((start, end, shift.id, payload))
    items.sort(key=_START)
    overlapping = any(items[i][0] < items[i - 1][1] for i in range(1, len(items)))
    if not overlapping:
        return merge_adjacent((start, end, payload) for start, end, _, payload in items)
    # Overlaps: sweep the elementary intervals, the highest id on top.
    points = sorted([p for item in items for p in (item[0], item[1])])
    heap: list[tuple[int, int, datetime, Payload]] = []
    segments: list[Segment] = []
    next_item = 0
    for left, right in pairwise(points):
        if left == right:
            continue
        while next_item < len(items) and items[next_item][0] <= left:
            start, end, shift_id, payload = items[next_item]
            heapq.heappush(heap, (-shift_id, next_item, end, payload))
            next_item += 1
        while heap and heap[0][2] <= left:
            heapq.heappop(heap)
        if heap:
            segments.append((left, right, heap[0][3]))
    return merge_adjacent(segments)


def overlay(
    assigned: list[Segment], pieces: list[Piece], layer_id: int
) -> tuple[list[Segment], list[SubPiece]]:
    """Lay one layer's pieces under the already ``assigned`` time.

    Returns the new assigned segments (old ones plus this layer's shown parts, sorted) and the
    layer's pieces split into shown / overridden / empty parts.
    """
    parts: list[SubPiece] = []
    shown: list[Segment] = []
    add_part = parts.append
    count = len(assigned)
    i = 0
    for start, end, positions, assignees, origin in pieces:
        payload: Payload | None = (
            (assignees, positions, origin, layer_id, None) if assignees else None
        )
        if i < count and assigned[i][1] <= start:  # skip what ended before this piece
            i = bisect_right(assigned, start, lo=i + 1, key=_END)
        cursor = start
        while i < count:
            seg_start, seg_end, seg_payload = assigned[i]
            if seg_start >= end:
                break
            if seg_start > cursor:
                add_part((cursor, seg_start, positions, assignees, origin, None, None))
                if payload is not None:
                    shown.append((cursor, seg_start, payload))
                cursor = seg_start
            cut = seg_end if seg_end < end else end
            add_part((cursor, cut, positions, assignees, origin, seg_payload[3], seg_payload[4]))
            cursor = cut
            if seg_end > end:
                break
            i += 1
        if cursor < end:
            add_part((cursor, end, positions, assignees, origin, None, None))
            if payload is not None:
                shown.append((cursor, end, payload))
    if shown:
        assigned = sorted(assigned + shown, key=_START)
    return assigned, parts


def merge_parts(parts: list[SubPiece]) -> list[SubPiece]:
    """Touching parts with equal positions, origin and overrider joined."""
    merged: list[SubPiece] = []
    for part in parts:
        if merged:
            last = merged[-1]
            if (
                last[1] == part[0]
                and last[2] == part[2]
                and last[4] is part[4]
                and last[5] == part[5]
                and last[6] == part[6]
            ):
                merged[-1] = (last[0], part[1], last[2], last[3], last[4], last[5], last[6])
                continue
        merged.append(part)
    return merged
