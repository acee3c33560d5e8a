"""The export worker: runs due exports in batches with bounded concurrency (outbound.shared
session).

Exports are claimed through the job table (kind "export", one row per destination), so two
processes never export the same destination at once; a process that dies mid-export leaves
its rows RUNNING with a lease that expires, and another process takes the exports over. The
destination's ``export_due_at`` says that an export is owed; the job row says who runs it.

A pass claims the queued rows a batch at a time (``concurrency`` x 5 rows), plans each batch
in one transaction, sends at most ``concurrency`` requests at once across batches, and keeps
two batches in flight, so one batch is planned or recorded while the other sends. One
heartbeat per batch extends its leases; each row is finished in the transaction that
records its destination's outcome.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence

from app import clock, outbound
from app.destinations import export, wake
from app.jobs import queue
from app.jobs.models import JobRow

log = logging.getLogger("rotagraph.exports")

KIND = "export"
BATCHES_IN_FLIGHT = 2

_semaphore: asyncio.Semaphore | None = None
_lease_seconds = 60.0
_concurrency = 20


def configure(concurrency: int, lease_seconds: float = 60.0) -> None:
    global _semaphore, _lease_seconds, _concurrency
    _concurrency = max(1, concurrency)
    _semaphore = asyncio.Semaphore(_concurrency)
    _lease_seconds = max(1.0, lease_seconds)


def _limit() -> asyncio.Semaphore:
    global _semaphore
    if _semaphore is None:
        configure(20)
    assert _semaphore is not None
    return _semaphore


def batch_size() -> int:
    return _concurrency * 5


async def _run_batch(rows: Sequence[JobRow]) -> int:
    by_id = {int(row.key): row for row in rows}
    unfinished = dict(by_id)

    async def done(ids: Sequence[int], error: str | None) -> None:
        await queue.finish_many([unfinished[pk] for pk in ids if pk in unfinished], error=error)
        for pk in ids:
            unfinished.pop(pk, None)

    async def beat() -> None:
        while True:
            await asyncio.sleep(_lease_seconds / 3)
            await queue.heartbeat_many(rows, lease=_lease_seconds)

    beating = asyncio.create_task(beat())
    try:
        return await export.export_batch(
            sorted(by_id), session=outbound.shared(), limit=_limit(), done=done
        )
    except Exception as exc:  # one batch's failure must not stop the others
        log.exception("a batch of %d exports crashed", len(rows))
        await queue.finish_many(
            list(unfinished.values()), error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        return 0
    finally:
        beating.cancel()
        await asyncio.gather(beating, return_exceptions=True)


async def _claim(keys: list[str] | None, limit: int) -> list[JobRow]:
    return await queue.claim_keyed(KIND, limit=limit, lease=_lease_seconds, keys=keys)


async def export_now(destination_ids: Iterable[int], *, within: float = 60.0) -> None:
    """Export these destinations now and wait for every outcome (one that another process
    is exporting right now is waited for)."""
    keys = [str(pk) for pk in destination_ids]
    for key in keys:
        await queue.enqueue(KIND, key)
    pending = set(keys)
    deadline = asyncio.get_running_loop().time() + within
    while pending:
        rows = await _claim(sorted(pending), len(pending))
        if rows:
            await _run_batch(rows)
        pending -= {row.key for row in rows}
        if not pending:
            break
        busy = set(
            await JobRow.filter(
                kind=KIND, key__in=sorted(pending), status__in=("QUEUED", "RUNNING")
            ).values_list("key", flat=True)
        )
        pending &= {str(k) for k in busy}
        if not pending or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.05)


async def run_due() -> int:
    """One pass: queue every destination whose export is owed (the ones queued or running
    already are left as they are), then run what this process can claim, batch by batch.
    Returns how many destinations this process exported."""
    due = await wake.due_destination_ids(now=clock.now())
    await queue.enqueue_many(KIND, [str(pk) for pk in due])
    exported = 0
    running: set[asyncio.Task[int]] = set()
    try:
        while True:
            rows = await _claim(None, batch_size()) if len(running) < BATCHES_IN_FLIGHT else []
            if rows:
                running.add(asyncio.create_task(_run_batch(rows)))
                continue
            if not running:
                return exported
            finished, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            exported += sum(task.result() for task in finished)
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)


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
            await wake.wait_for_work(poll_seconds)
        except asyncio.CancelledError:
            raise
        except Exception:  # never let a broken wake-up end the worker silently
            log.exception("export worker wait failed")
            await asyncio.sleep(poll_seconds)
