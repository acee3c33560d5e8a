"""Exports of a batch of destinations: plan them together, send each, record the outcomes.

Slow I/O never runs inside a transaction: the batch is planned in one short transaction,
each adapter sends on its own (bounded by the caller's semaphore), and the outcomes are
recorded in short transactions of their own, several at once: whatever finished while the
previous flush ran, or within ``linger`` seconds of the first outcome waiting. So the
statements per export fall as batches grow, and a slow destination delays the record of
the others by ``linger`` at most.

A crash between sending and recording leaves exportedUntil where it was and the export
still due (``export_due_at`` is cleared only with the outcome), so after a restart the
worker sends the same logical export again with the same idempotency key; its Delivery row
is then marked LOST. A failure of one destination never loses the others: an export that
raises is a failed export, and a batch whose plan or record fails is planned or recorded
again one destination at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from app import clock, db, outbound
from app.destinations.planning import Plan, plan_batch
from app.destinations.recording import Outcome, record_outcomes
from app.destinations.wake import primitives

log = logging.getLogger("rotagraph.exports")

Done = Callable[[Sequence[int], str | None], Awaitable[None]]
"""Told which destinations' exports ended (error None) or failed (the error), once each,
after the transaction that recorded them committed: the worker finishes their job rows."""

LINGER_SECONDS = 0.25
"""How long a finished export may wait for others to be recorded with it."""


@contextlib.asynccontextmanager
async def _locked(ids: Sequence[int]) -> AsyncIterator[dict[int, asyncio.Lock]]:
    """This process's locks of ``ids`` (taken in id order, so batches never deadlock): one
    destination's exports never overlap. The caller may release some early."""
    locks = primitives.current().locks
    held: dict[int, asyncio.Lock] = {}
    try:
        for pk in sorted(set(ids)):
            await locks[pk].acquire()
            held[pk] = locks[pk]
        yield held
    finally:
        for lock in held.values():
            if lock.locked():
                lock.release()


async def _plan(ids: Sequence[int], done: Done | None) -> list[Plan]:
    """Plan the batch; when that fails, each destination alone (a bad one is reported as
    failed to ``done`` and stays due)."""
    try:
        async with db.transaction():
            plans, idle = await plan_batch(ids, now=clock.now())
    except Exception:
        if len(ids) == 1:
            raise
        log.exception("planning a batch of %d exports failed: planning each alone", len(ids))
    else:
        if done is not None and idle:
            await done(idle, None)
        return plans
    plans = []
    for pk in ids:
        try:
            plans += await _plan([pk], done)
        except Exception as exc:
            log.exception("planning the export of destination %s failed", pk)
            if done is not None:
                await done([pk], f"{type(exc).__name__}: {exc}"[:2000])
    return plans


async def _send(plan: Plan, session: Any, limit: asyncio.Semaphore | None) -> Outcome:
    from app.destinations.adapters import adapter_for

    dest = plan.destination
    outcome = Outcome(plan=plan)
    try:
        async with limit or contextlib.nullcontext():
            outcome.result = await adapter_for(dest.kind).export(plan.request, session)
    except outbound.OutboundError as exc:
        outcome.error = str(exc) or type(exc).__name__
    except Exception as exc:  # an adapter bug is a failed export, never a crash of the worker
        log.exception("export of destination %s failed", dest.id)
        outcome.error = f"unexpected error: {type(exc).__name__}"
    return outcome


async def _record(outcomes: Sequence[Outcome], done: Done | None) -> None:
    """Record a flush; when that fails, each outcome alone (one that still fails is
    reported to ``done`` and its export stays due)."""
    try:
        async with db.transaction():
            await record_outcomes(outcomes)
    except Exception:
        if len(outcomes) == 1:
            raise
        log.exception("recording %d exports failed: recording each alone", len(outcomes))
    else:
        if done is not None:
            await done([o.plan.destination.id for o in outcomes], None)
        return
    for outcome in outcomes:
        pk = outcome.plan.destination.id
        try:
            await _record([outcome], done)
        except Exception as exc:
            log.exception("recording the export of destination %s failed", pk)
            if done is not None:
                await done([pk], f"{type(exc).__name__}: {exc}"[:2000])


async def export_batch(
    ids: Sequence[int],
    *,
    session: Any,
    limit: asyncio.Semaphore | None = None,
    done: Done | None = None,
    linger: float | None = None,
) -> int:
    """Export the destinations of ``ids`` that owe an export and record every outcome;
    returns how many were exported. ``done`` hears of every id once: inside the transaction
    that recorded its outcome (or found it owed nothing), or after a failure."""
    wait = LINGER_SECONDS if linger is None else linger
    async with _locked(ids) as held:
        plans = await _plan(ids, done)
        pending = {asyncio.ensure_future(_send(p, session, limit)) for p in plans}
        try:
            while pending:
                finished, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                if pending and wait > 0:
                    more, pending = await asyncio.wait(pending, timeout=wait)
                    finished |= more
                outcomes = sorted(
                    (t.result() for t in finished), key=lambda o: o.plan.destination.id
                )
                await _record(outcomes, done)
                for outcome in outcomes:
                    held.pop(outcome.plan.destination.id).release()
        finally:
            for task in pending:
                task.cancel()
    return len(plans)
