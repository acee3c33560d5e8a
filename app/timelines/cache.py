"""A bounded in-process cache of computed timelines keyed by the tier's data version."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime

from app.engine import Timeline

Key = tuple[int, int, datetime, datetime]


class TimelineCache:
    """LRU of (tier id, data version, start, end) -> Timeline.

    A write to a tier's inputs bumps its version, so a stale entry is never hit again; it
    ages out of the LRU instead of being invalidated.
    """

    def __init__(self, max_entries: int = 1024) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Key, Timeline] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: Key) -> Timeline | None:
        found = self._entries.get(key)
        if found is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return found

    def put(self, key: Key, timeline: Timeline) -> None:
        if self.max_entries <= 0:
            return
        self._entries[key] = timeline
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


CACHE = TimelineCache()
