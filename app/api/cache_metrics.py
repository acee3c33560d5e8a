"""The in-process caches as Prometheus text lines (served at /metrics): counters, sizes and
each cache's configured bound next to its size (``…_max_…``), so an operator (or
scripts/soak.py) can check that none outgrows its bound.

Caches: the response cache (``app.api.response_cache``), the timeline cache
(``app.timelines.cache``), the parsed- and validated-document caches of the schema's
``ParserCache`` / ``ValidationCache`` extensions (LRUs shared by every request) and the
document shapes of shared subscriptions (``app.api.subscriptions``, with the executions
running and their subscribers).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strawberry.extensions import ParserCache, ValidationCache

from app.api import subscriptions
from app.api.response_cache import ResponseCache
from app.timelines.cache import CACHE as TIMELINE_CACHE


def _lru_info(schema: Any, kind: type, attribute: str) -> tuple[int, int | None] | None:
    """(entries, maxsize) of the LRU behind the schema's extension ``kind``, if it has one."""
    for extension in getattr(schema, "extensions", ()):
        if isinstance(extension, type) and issubclass(extension, kind):
            cached: Callable[..., Any] = getattr(extension(), attribute)
            info = cached.cache_info()  # type: ignore[attr-defined]
            return int(info.currsize), info.maxsize
    return None


def cache_lines(response_cache: ResponseCache, schema: Any) -> list[str]:
    """Every cache's counters, size and bound; an unbounded LRU reports its bound as -1."""
    lines = [f"rotagraph_response_cache_{name} {v}" for name, v in response_cache.metrics().items()]
    lines += [
        f"rotagraph_response_cache_max_entries {response_cache.max_entries}",
        f"rotagraph_response_cache_max_bytes {response_cache.max_bytes}",
        f"rotagraph_timeline_cache_hits {TIMELINE_CACHE.hits}",
        f"rotagraph_timeline_cache_misses {TIMELINE_CACHE.misses}",
        f"rotagraph_timeline_cache_entries {len(TIMELINE_CACHE)}",
        f"rotagraph_timeline_cache_bytes {TIMELINE_CACHE.bytes}",
        f"rotagraph_timeline_cache_evictions {TIMELINE_CACHE.evictions}",
        f"rotagraph_timeline_cache_max_entries {TIMELINE_CACHE.max_entries}",
        f"rotagraph_timeline_cache_max_bytes {TIMELINE_CACHE.max_bytes}",
        *subscriptions.metric_lines(),
    ]
    for name, kind, attribute in (
        ("parser", ParserCache, "cached_parse_document"),
        ("validation", ValidationCache, "cached_validate_document"),
    ):
        found = _lru_info(schema, kind, attribute)
        if found is not None:
            entries, bound = found
            lines.append(f"rotagraph_{name}_cache_entries {entries}")
            lines.append(f"rotagraph_{name}_cache_max_entries {-1 if bound is None else bound}")
    return lines
