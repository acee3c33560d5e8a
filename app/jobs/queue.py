"""Claiming background work with row leases, the same way on SQLite and PostgreSQL.

A claim selects candidate rows with ``select_for_update(skip_locked=True)`` (a no-op on
SQLite, where one connection serialises transactions) and then takes each with a
compare-and-set UPDATE whose row count says whether this process won. Slow work runs
after the claim transaction; a heartbeat extends the lease while it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q

from app import db
from app.clock import SystemClock
from app.jobs import models

OWNER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
KEYED_RUN_AT = datetime(1970, 1, 1, tzinfo=UTC)
"""Keyed work has one row per key: its run_at is this fixed instant."""

_real = SystemClock()


def real_now() -> datetime:
    """Leases and slots follow real time, whatever clock the domain runs on (tests move
    the domain clock; leases must still expire for real)."""
    return _real.now()


def slot_of(now: datetime, interval: float) -> datetime:
    step = max(interval, 0.001)
    seconds = now.timestamp()
    return datetime.fromtimestamp(seconds - seconds % step, tz=UTC)


async def _insert_ignoring_duplicate(**values: Any) -> None:
    with contextlib.suppress(IntegrityError):
        async with db.transaction():
            await models.JobRow.create(**values)


def _claimable(now: datetime) -> Q:
    return Q(status="QUEUED") | Q(status="RUNNING", lease_until__lt=now)


async def _take(row: models.JobRow, *, lease: float, owner: str) -> bool:
    """Compare-and-set: this process wins only if the row is still claimable as read."""
    now = real_now()
    won = await models.JobRow.filter(
        Q(id=row.id) & Q(status=row.status) & _claimable(now) & Q(attempts=row.attempts)
    ).update(
        status="RUNNING",
        owner=owner,
        lease_until=now + timedelta(seconds=lease),
        attempts=F("attempts") + 1,
    )
    return bool(won)


async def claim_slot(
    kind: str, interval: float, *, lease: float, owner: str = OWNER
) -> models.JobRow | None:
    """The row of this kind's current time slot, if this process claimed it."""
    run_at = slot_of(real_now(), interval)
    await _insert_ignoring_duplicate(kind=kind, key="", run_at=run_at)
    async with db.transaction():
        row = (
            await models.JobRow.filter(kind=kind, key="", run_at=run_at)
            .filter(_claimable(real_now()))
            .select_for_update(skip_locked=True)
            .first()
        )
        if row is None or not await _take(row, lease=lease, owner=owner):
            return None
    return row


async def enqueue(kind: str, key: str, *, rerun_if_running: bool = True) -> None:
    """Ask for keyed work. A key has one row: a DONE row is queued again; a RUNNING one is
    marked to run once more when it finishes (it may have read stale data), unless the
    caller knows the running work will see the request itself."""
    await _insert_ignoring_duplicate(kind=kind, key=key, run_at=KEYED_RUN_AT)
    await models.JobRow.filter(
        kind=kind, key=key, run_at=KEYED_RUN_AT, status__in=("DONE", "FAILED")
    ).update(status="QUEUED")
    if rerun_if_running:
        await models.JobRow.filter(
            kind=kind, key=key, run_at=KEYED_RUN_AT, status="RUNNING"
        ).update(rerun=True)


async def enqueue_many(kind: str, keys: list[str]) -> None:
    """``enqueue`` for many keys at once, leaving RUNNING ones alone (two statements per
    call, not per key: a thousand notices due together are queued in milliseconds)."""
    if not keys:
        return
    async with db.transaction():
        await models.JobRow.bulk_create(
            [models.JobRow(kind=kind, key=key, run_at=KEYED_RUN_AT) for key in keys],
            ignore_conflicts=True,
        )
        await models.JobRow.filter(
            kind=kind, key__in=keys, run_at=KEYED_RUN_AT, status__in=("DONE", "FAILED")
        ).update(status="QUEUED")


async def claim_keyed(
    kind: str,
    *,
    limit: int,
    lease: float,
    owner: str = OWNER,
    keys: list[str] | None = None,
) -> list[models.JobRow]:
    """Up to ``limit`` queued (or abandoned) keys of a kind (or of ``keys`` only), each
    claimed by this process: one compare-and-set UPDATE for all of them, and a read of the
    winners only when another process took some first."""
    query = models.JobRow.filter(kind=kind, run_at=KEYED_RUN_AT)
    if keys is not None:
        query = query.filter(key__in=keys)
    async with db.transaction():
        now = real_now()
        rows = (
            await query.filter(_claimable(now))
            .order_by("updated_at", "id")
            .limit(limit)
            .select_for_update(skip_locked=True)
        )
        if not rows:
            return []
        ids = [row.id for row in rows]
        # This claim's own lease end tells its rows apart from any other claim's.
        until = now + timedelta(seconds=lease)
        won = await models.JobRow.filter(Q(id__in=ids) & _claimable(now)).update(
            status="RUNNING", owner=owner, lease_until=until, attempts=F("attempts") + 1
        )
        if won < len(rows):
            mine = set(
                await models.JobRow.filter(
                    id__in=ids, owner=owner, status="RUNNING", lease_until=until
                ).values_list("id", flat=True)
            )
            rows = [row for row in rows if row.id in mine]
    return list(rows)


async def finish(row: models.JobRow, *, owner: str = OWNER, error: str | None = None) -> None:
    """Mark work done (or failed); keyed work asked for again meanwhile is queued again."""
    await finish_many([row], owner=owner, error=error)


async def finish_many(
    rows: Sequence[models.JobRow], *, owner: str = OWNER, error: str | None = None
) -> None:
    """``finish`` for many rows at once (two statements, whatever their number)."""
    if not rows:
        return
    ids = [row.id for row in rows]
    async with db.transaction():
        await models.JobRow.filter(id__in=ids, owner=owner, rerun=False).update(
            status="FAILED" if error else "DONE", lease_until=None, last_error=error
        )
        await models.JobRow.filter(id__in=ids, owner=owner, rerun=True).update(
            status="QUEUED", rerun=False, lease_until=None, last_error=error
        )


async def heartbeat(row: models.JobRow, *, lease: float, owner: str = OWNER) -> bool:
    """Extend the lease; False when another process took the work over."""
    return bool(await heartbeat_many([row], lease=lease, owner=owner))


async def heartbeat_many(rows: Sequence[models.JobRow], *, lease: float, owner: str = OWNER) -> int:
    """Extend the leases of the rows still running here (one statement); returns how many."""
    return await models.JobRow.filter(
        id__in=[row.id for row in rows], owner=owner, status="RUNNING"
    ).update(lease_until=real_now() + timedelta(seconds=lease))


async def run_leased(
    row: models.JobRow, work: Callable[[], Awaitable[object]], *, lease: float, owner: str = OWNER
) -> None:
    """Run claimed work with a heartbeat every third of the lease, then record the end."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(lease / 3)
            await heartbeat(row, lease=lease, owner=owner)

    beating = asyncio.create_task(beat())
    error: str | None = None
    try:
        await work()
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # recorded on the row; the job itself logs details
        error = f"{type(exc).__name__}: {exc}"[:2000]
        raise
    finally:
        beating.cancel()
        await asyncio.gather(beating, return_exceptions=True)
        if not asyncio.current_task() or not asyncio.current_task().cancelling():  # type: ignore[union-attr]
            await finish(row, owner=owner, error=error)


async def prune(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Forget finished periodic slots (keyed rows stay: one per key)."""
    return (
        await models.JobRow.filter(
            status__in=("DONE", "FAILED"), run_at__lt=real_now() - older_than
        )
        .exclude(run_at=KEYED_RUN_AT)
        .delete()
    )


async def release_all_running() -> int:
    """Put every RUNNING row back in the queue. Only for a deployment that runs a single
    process (SQLite): at start-up nothing else can be running, so what is RUNNING belonged
    to a process that died, and waiting for its lease to expire would only delay the work."""
    return await models.JobRow.filter(status="RUNNING").update(
        status="QUEUED", owner=None, lease_until=None
    )
