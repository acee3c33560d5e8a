"""Encoding a GraphQL answer as JSON while sharing the event loop.

``json.dumps`` of a large answer (a month of hourly shifts on twenty tiers is 1.4 MB; the
response cap is 16 MB) is one call into C that holds the loop for its whole length. ``encode``
gives the same text, in pieces: containers too big to encode in one go are walked, and the
light runs inside them (a slice of a list of shifts, a small object) are each one
``json.dumps``; between pieces, a task whose stretch is due takes a turn
(``app.cooperative``). Small answers are one ``json.dumps``, as before.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import partial
from typing import Any

from app import cooperative

_dumps = partial(json.dumps, separators=(",", ":"))

# Values of at most this many nodes (objects, lists and scalars) are encoded in one call:
# about a tenth of a millisecond of json.dumps.
PIECE_NODES = 2000


def _nodes(value: Any, limit: int) -> int:
    """About how many nodes ``value`` has, up to ``limit``: a list counts as its length times
    its first item (the items of a GraphQL list share their selection)."""
    if isinstance(value, dict):
        count = 1
        for item in value.values():
            count += _nodes(item, limit - count)
            if count >= limit:
                return limit
        return count
    if isinstance(value, list) and value:
        return min(limit, 1 + len(value) * _nodes(value[0], limit))
    return 1


class Encoded(dict[str, object]):
    """An answer with its JSON text, made by :func:`encode_answer`."""

    text: str


async def encode_answer(answer: Mapping[str, object]) -> Encoded:
    encoded = Encoded(answer)
    encoded.text = await encode(answer)
    return encoded


async def encode(value: Any) -> str:
    """``json.dumps(value, separators=(",", ":"))``, taking turns on the loop."""
    if _nodes(value, PIECE_NODES) < PIECE_NODES:
        return _dumps(value)
    parts: list[str] = []
    await _walk(value, parts, cooperative.Stretch())
    return "".join(parts)


async def _walk(value: Any, parts: list[str], stretch: cooperative.Stretch) -> None:
    if stretch.due():
        await stretch.turn()
    if isinstance(value, dict) and _nodes(value, PIECE_NODES) >= PIECE_NODES:
        parts.append("{")
        for index, (key, item) in enumerate(value.items()):
            parts.append(("," if index else "") + _dumps(str(key)) + ":")
            await _walk(item, parts, stretch)
        parts.append("}")
    elif isinstance(value, list) and _nodes(value, PIECE_NODES) >= PIECE_NODES:
        await _walk_list(value, parts, stretch)
    else:
        parts.append(_dumps(value))


async def _walk_list(items: list[Any], parts: list[str], stretch: cooperative.Stretch) -> None:
    """Heavy items one by one; runs of light items as one piece each (sized by the first
    item of the run)."""
    parts.append("[")
    index = 0
    while index < len(items):
        if index:
            parts.append(",")
        weight = _nodes(items[index], PIECE_NODES)
        if weight >= PIECE_NODES:
            await _walk(items[index], parts, stretch)
            index += 1
            continue
        run = items[index : index + max(1, PIECE_NODES // weight)]
        parts.append(_dumps(run)[1:-1])
        index += len(run)
        if stretch.due():
            await stretch.turn()
    parts.append("]")
