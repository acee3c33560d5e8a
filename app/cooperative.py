"""Taking turns on the event loop, for long synchronous stretches of request work.

``await wait_turn()`` waits until no other task that called it in this loop iteration is
ahead: the turn is a FIFO lock held across one loop iteration, so however many tasks take
turns (every tier of every heavy query), each iteration of the loop runs at most one of
their stretches besides everything else (``/healthz``, short requests). ``sliced(items)``
yields ``items`` taking a turn every ``SLICE`` items.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Sequence
from typing import TypeVar

T = TypeVar("T")

SLICE = 50

_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


async def wait_turn() -> None:
    loop = asyncio.get_running_loop()
    turn = _turns.get(loop)
    if turn is None:
        turn = _turns[loop] = asyncio.Lock()
    async with turn:
        await asyncio.sleep(0)


async def sliced(items: Sequence[T]) -> AsyncIterator[T]:
    for index, item in enumerate(items):
        if index and index % SLICE == 0:
            await wait_turn()
        yield item
