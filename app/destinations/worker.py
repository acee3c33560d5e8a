"""The export worker: runs due exports with bounded concurrency over one aiohttp session."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

import aiohttp

from app import clock
from app.destinations import service

log = logging.getLogger("rotagraph.exports")

_session: aiohttp.ClientSession | None = None
_semaphore: asyncio.Semaphore | None = None


def session() -> aiohttp.ClientSession:
    """The one outbound HTTP session (created on first use, closed with the app)."""
    global _session
    if _session is None or _session.closed:
        _session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=30, connect=10),
            connector=aiohttp.TCPConnector(limit=100),
        )
    return _session


async def close() -> None:
    global _session
    if _session is not None and not _session.closed:
        await _session.close()
    _session = None


def configure(concurrency: int) -> None:
    global _semaphore
    _semaphore = asyncio.Semaphore(max(1, concurrency))


async def _one(destination_id: int) -> None:
    global _semaphore
    if _semaphore is None:
        configure(20)
    assert _semaphore is not None
    async with _semaphore:
        try:
            await service.export_destination(destination_id, session=session())
        except Exception:  # one destination's failure must not stop the others
            log.exception("export of destination %s crashed", destination_id)


async def export_now(destination_ids: Iterable[int]) -> None:
    """Export these destinations now and wait for every outcome."""
    await asyncio.gather(*(_one(pk) for pk in destination_ids))


async def run_due() -> int:
    """One pass: export every destination whose export is due."""
    # An export stays due until its outcome is recorded (so a crash mid-send is retried after
    # a restart): skip the ones this process is exporting right now.
    due = [
        pk for pk in await service.due_destination_ids(now=clock.now()) if not service.in_flight(pk)
    ]
    await export_now(due)
    return len(due)


async def loop(poll_seconds: float) -> None:
    """Run due exports whenever woken (a commit that queued exports) or every poll."""
    while True:
        try:
            await run_due()
        except asyncio.CancelledError:
            raise
        except Exception:  # keep the worker alive; the next pass retries
            log.exception("export pass failed")
        try:
            await service.wait_for_work(poll_seconds)
        except asyncio.CancelledError:
            raise
        except Exception:  # never let a broken wake-up end the worker silently
            log.exception("export worker wait failed")
            await asyncio.sleep(poll_seconds)
