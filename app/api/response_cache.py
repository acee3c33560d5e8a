"""A cache of serialized GraphQL responses that is never stale.

Only queries are cached (never mutations or subscriptions). The key holds the normalized
query, its variables and operation name, the caller's organization, role and token, and the
organization's data version, which every write transaction bumps (``app.versions``) and
every process learns through pub/sub: a hit needs no database round trip and a write makes
every older entry unreachable. Answers that read the clock are kept only until the instant
they can change (``app.clock.valid_until``), or not at all. Size-capped LRU; counters for
operators at /metrics.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

_WRITES = re.compile(rb"\b(mutation|subscription)\b")


@dataclass
class Entry:
    body: bytes
    expires: datetime | None


@dataclass
class Counters:
    hits: int = 0
    misses: int = 0
    stores: int = 0
    evictions: int = 0
    expired: int = 0
    uncacheable: int = 0


class ResponseCache:
    def __init__(self, *, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self.counters = Counters()

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0 and self.max_bytes > 0

    def get(self, key: str, now: datetime) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            self.counters.misses += 1
            return None
        if entry.expires is not None and now >= entry.expires:
            self._drop(key)
            self.counters.expired += 1
            self.counters.misses += 1
            return None
        self._entries.move_to_end(key)
        self.counters.hits += 1
        return entry.body

    def put(self, key: str, body: bytes, expires: datetime | None) -> None:
        if len(body) > self.max_bytes:
            return
        if key in self._entries:
            self._drop(key)
        self._entries[key] = Entry(body, expires)
        self.size += len(body)
        self.counters.stores += 1
        while len(self._entries) > self.max_entries or self.size > self.max_bytes:
            oldest = next(iter(self._entries))
            self._drop(oldest)
            self.counters.evictions += 1

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key)
        self.size -= len(entry.body)

    def clear(self) -> None:
        self._entries.clear()
        self.size = 0

    def __len__(self) -> int:
        return len(self._entries)

    def metrics(self) -> dict[str, int]:
        c = self.counters
        return {
            "hits": c.hits,
            "misses": c.misses,
            "stores": c.stores,
            "evictions": c.evictions,
            "expired": c.expired,
            "uncacheable": c.uncacheable,
            "entries": len(self._entries),
            "bytes": self.size,
        }


@dataclass(frozen=True)
class Request:
    query: str
    variables: Any
    operation_name: str | None


def cacheable_request(body: bytes) -> Request | None:
    """The request if it is a plain query (JSON POST body), else None."""
    if _WRITES.search(body):
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("query"), str):
        return None
    op = data.get("operationName")
    return Request(
        query=data["query"],
        variables=data.get("variables") or {},
        operation_name=op if isinstance(op, str) else None,
    )


def key_of(request: Request, *, org_id: int, role: str, token_id: int, version: int) -> str:
    normalized = " ".join(request.query.split())
    raw = json.dumps(
        [org_id, role, token_id, version, normalized, request.operation_name, request.variables],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(raw.encode()).hexdigest()
