"""A bounded in-process cache of computed timelines keyed by the tier's data version."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime

from app.engine import Timeline

Key = tuple[int, int, datetime, datetime]

# Measured sizes (bytes) of the engine's slotted objects with their tuples and datetimes;
# an estimate is enough to bound the cache: one hourly tier-year is about 2.5 MB.
_TIMELINE = 400
_SHIFT = 150
_LAYER_SHIFT = 140
_PIECE = 100


def size_of(timeline: Timeline) -> int:
    """An estimate of the memory ``timeline`` holds, in bytes."""
    return (
        _TIMELINE
        + _SHIFT * len(timeline.shifts)
        + sum(_LAYER_SHIFT * len(layer.shifts) + 100 for layer in timeline.layers)
        + _PIECE * (len(timeline.gaps) + len(timeline.understaffed))
    )


class TimelineCache:
    """LRU of (tier id, data version, start, end) -> Timeline, bounded by entries and by
    an estimate of the bytes they hold (a timeline larger than the byte bound is not kept).

    A write to a tier's inputs bumps its version, so a stale entry is never hit again; it
    ages out of the LRU instead of being invalidated.
    """

    def __init__(self, max_entries: int = 1024, max_bytes: int = 64_000_000) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Key, tuple[Timeline, int]] = OrderedDict()
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self.evictions = 0

    def get(self, key: Key) -> Timeline | None:
        found = self._entries.get(key)
        if found is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return found[0]

    def put(self, key: Key, timeline: Timeline) -> None:
        size = size_of(timeline)
        if self.max_entries <= 0 or size > self.max_bytes:
            return
        previous = self._entries.pop(key, None)
        if previous is not None:
            self.bytes -= previous[1]
        self._entries[key] = (timeline, size)
        self.bytes += size
        while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.bytes -= dropped
            self.evictions += 1

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


CACHE = TimelineCache()
