"""Half-open [start, end) interval algebra over sorted lists of (start, end) pairs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

__all__ = ["Span", "clip", "complement", "union"]

Span = tuple[datetime, datetime]


def union(spans: Iterable[Span]) -> list[Span]:
    """Sorted, disjoint, non-adjacent spans covering exactly the non-empty input spans."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def clip(spans: Iterable[Span], lo: datetime, hi: datetime) -> list[Span]:
    """The parts of ``spans`` inside [lo, hi), in input order, empty parts dropped."""
    clipped: list[Span] = []
    for start, end in spans:
        start = max(start, lo)
        end = min(end, hi)
        if start < end:
            clipped.append((start, end))
    return clipped


def complement(spans: Iterable[Span], lo: datetime, hi: datetime) -> list[Span]:
    """The parts of [lo, hi) not covered by the sorted, disjoint ``spans``."""
    holes: list[Span] = []
    cursor = lo
    for start, end in spans:
        if end <= cursor:
            continue
        if start >= hi:
            break
        if start > cursor:
            holes.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < hi:
        holes.append((cursor, hi))
    return holes
