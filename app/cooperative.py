"""Taking turns on the event loop, for long synchronous stretches of request work.

``await wait_turn()`` waits until no other task that called it in this loop iteration is
ahead: the turn is a FIFO lock held across one loop iteration, so however many tasks take
turns (every tier of every heavy query), each iteration of the loop runs at most one of
their stretches besides everything else (``/healthz``, short requests).

A :class:`Stretch` measures how long its task has held the loop since its last turn:
``stretch.due()`` is true once that is over ``STRETCH_SECONDS``, so work of any grain
(a list of cheap items, a list of deep objects) yields after about the same time.
"""

from __future__ import annotations

import asyncio
import time
import weakref

SLICE = 50
# How long one task may hold the event loop between turns. A request that needs a few loop
# iterations (/healthz: accept, read, answer) waits about this long per iteration at worst.
STRETCH_SECONDS = 0.002

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


class Stretch:
    """The time its task has held the loop since it started or last took a turn."""

    __slots__ = ("started",)

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def due(self) -> bool:
        return time.perf_counter() - self.started > STRETCH_SECONDS

    async def turn(self) -> None:
        await wait_turn()
        self.started = time.perf_counter()
