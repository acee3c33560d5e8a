"""Waking the export worker, and the per-destination locks that keep one destination's
exports from overlapping within a process."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime
from typing import cast

from app import db
from app.destinations import models


class _PerLoop:
    """asyncio primitives bind to the event loop that first waits on them: keep one set per
    loop, so an app started again in a new loop (tests, a reloaded server) never reuses them."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.wake = asyncio.Event()

    def current(self) -> _PerLoop:
        loop = asyncio.get_running_loop()
        if self.loop is not loop:
            self.loop, self.locks, self.wake = loop, defaultdict(asyncio.Lock), asyncio.Event()
        return self


primitives = _PerLoop()


def _kick_now() -> None:
    primitives.current().wake.set()


_KICK = "exports.kick"


async def _kick() -> None:
    _kick_now()


def kick_after_commit() -> None:
    """Wake the export worker once the current transaction committed."""
    db.after_commit(_KICK, _kick)


async def due_destination_ids(*, now: datetime, limit: int = 1000) -> list[int]:
    return cast(
        list[int],
        await models.Destination.filter(export_due_at__lte=now)
        .order_by("export_due_at")
        .limit(limit)
        .values_list("id", flat=True),
    )


async def wait_for_work(seconds: float) -> None:
    try:
        await asyncio.wait_for(primitives.current().wake.wait(), seconds)
    except TimeoutError:
        pass
    primitives.current().wake.clear()
