"""Background jobs: each job a coroutine run once per time slot of `interval` seconds.

Every process runs the loop, but a slot is claimed through the job table with a lease, so
with several processes each slot runs in exactly one of them (see ``app.jobs.queue``). A
job that fails is logged and runs again in its next slot; one slow job never delays
another. The runner starts in the app's lifespan (RUN_JOBS) and stops with it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from app import clock as clock_module
from app.clock import Clock

log = logging.getLogger("rotagraph.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    interval: float
    run: Callable[[], Awaitable[object]]


class JobRunner:
    def __init__(self, jobs: list[Job], *, clock: Clock) -> None:
        self.jobs = jobs
        self.clock = clock
        self._tasks: list[asyncio.Task[None]] = []

    async def _loop(self, job: Job) -> None:
        from app.jobs import queue

        clock_module.use(self.clock)
        lease = max(10.0, 3 * job.interval)
        while True:
            try:
                row = await queue.claim_slot(job.name, job.interval, lease=lease)
                if row is not None:
                    await queue.run_leased(row, job.run, lease=lease)
            except asyncio.CancelledError:
                raise
            except Exception:  # a failing job must not stop the others or itself
                log.exception("job %s failed", job.name)
            await asyncio.sleep(job.interval)

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._loop(j), name=f"job:{j.name}") for j in self.jobs]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []


async def run_with_clock(clock: Clock, work: Awaitable[None]) -> None:
    """Run ``work`` with ``clock`` installed (a task started from the lifespan)."""
    clock_module.use(clock)
    await work
