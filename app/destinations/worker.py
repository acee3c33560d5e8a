"""The export worker: runs due exports with bounded concurrency (outbound.shared session).

Exports are claimed through the job table (kind "export", one row per destination), so two
processes never export the same destination at once; a process that dies mid-export leaves
its row RUNNING with a lease that expires, and another process takes the export over. The
destination's ``export_due_at`` says that an export is owed; the job row says who runs it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from app import clock, outbound
from app.destinations import export, wake
from app.destinations.models import Destination
from app.jobs import queue
from app.jobs.models import JobRow

log = logging.getLogger("rotagraph.exports")

KIND = "export"

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


async def _run_claimed(row: JobRow) -> None:
    async with _limit():
        # Queued by a sweep that read the destination as due just before another process
        # recorded its export: nothing is owed any more.
        owed = await Destination.filter(id=int(row.key), export_due_at__isnull=False).exists()
        if not owed:
            await queue.finish(row)
            return
        try:
            await queue.run_leased(
                row,
                lambda: export.export_destination(int(row.key), session=outbound.shared()),
                lease=_lease_seconds,
            )
        except Exception:  # one destination's failure must not stop the others
            log.exception("export of destination %s crashed", row.key)


async def _claim_and_run(keys: list[str] | None, limit: int) -> list[str]:
    rows = await queue.claim_keyed(KIND, limit=limit, lease=_lease_seconds, keys=keys)
    await asyncio.gather(*(_run_claimed(row) for row in rows))
    return [row.key for row in rows]


async def export_now(destination_ids: Iterable[int], *, within: float = 60.0) -> None:
    """Export these destinations now and wait for every outcome (one that another process
    is exporting right now is waited for)."""
    keys = [str(pk) for pk in destination_ids]
    for key in keys:
        await queue.enqueue(KIND, key)
    pending = set(keys)
    deadline = asyncio.get_running_loop().time() + within
    while pending:
        pending -= set(await _claim_and_run(sorted(pending), len(pending)))
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
    already are left as they are), then run what this process can claim."""
    for pk in await wake.due_destination_ids(now=clock.now()):
        await queue.enqueue(KIND, str(pk), rerun_if_running=False)
    done = 0
    while True:
        ran = await _claim_and_run(None, _concurrency * 2)
        done += len(ran)
        if not ran:
            return done


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
