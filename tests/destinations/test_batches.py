"""Exports run in batches (issue 21): the statements of a batch do not grow with its size,
a batch honours the leases of other workers, and one failing destination never costs the
others of its batch their export. Real webhook receivers on loopback; the worker's own
passes (``run_due``), as the app's loop runs them."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import pytest

from app import clock
from app.api.relay import decode_id
from app.destinations import export, service, worker
from app.destinations import models as destination_models
from app.jobs import queue
from app.jobs.models import JobRow
from tests.destinations.test_faults import CREATE, Hook, daily_schedule, hook_receiver, webhook
from tests.support import Api, count_sql

STATE = (
    "query($id: ID!) { node(id: $id) { ... on Destination { status exportedUntil lastError } } }"
)


async def add_destinations(api: Api, hook: Hook, schedules: int, per_schedule: int) -> list[int]:
    """``per_schedule`` webhook destinations on each of ``schedules`` new confirmed
    schedules, all due for export; their database ids."""
    ids = []
    for _ in range(schedules):
        s = await daily_schedule(api)
        for _ in range(per_schedule):
            created = (await api.ok(CREATE, {"i": webhook(s["id"], hook.url)}))["createDestination"]
            ids.append(await destination_id(created["id"]))
    await service.request_export(org_id=api.org_id, destination_ids=ids, now=api.clock.now())
    return ids


async def destination_id(global_id: str) -> int:
    return decode_id(global_id, "Destination")


def orm_statements(statements: list[str]) -> list[str]:
    """The statements of the export itself: a published event (NOTIFY on PostgreSQL) is one
    per status change by contract, whatever the batching."""
    return [s for s in statements if "pg_notify" not in s]


async def run_pass(api: Api) -> int:
    """One pass of the export worker as the app runs it: in a task of its own, outside any
    request's context (whose organization a write would otherwise bump)."""

    async def run() -> int:
        clock.use(api.clock)
        return await worker.run_due()

    return await asyncio.create_task(run(), context=contextvars.Context())


async def exported_keys(hook: Hook) -> list[int]:
    return sorted(d.body["destinationId"] for d in hook.deliveries)


async def test_statements_of_a_batch_do_not_grow_with_its_destinations(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.use(api.clock)
    # Every outcome of a batch recorded in one flush: the count below is then exact.
    monkeypatch.setattr(export, "LINGER_SECONDS", 30.0)
    async with hook_receiver() as hook:
        few = await add_destinations(api, hook, schedules=1, per_schedule=3)
        with count_sql() as small:
            assert await run_pass(api) == 3
        many = await add_destinations(api, hook, schedules=3, per_schedule=10)
        with count_sql() as large:
            assert await run_pass(api) == 30
        assert await exported_keys(hook) == sorted(few + many)
    rows = await destination_models.Destination.filter(id__in=few + many)
    assert {(d.status, d.export_due_at) for d in rows} == {("OK", None)}
    # The same statements for 30 destinations on three schedules as for 3 on one...
    assert len(orm_statements(large)) == len(orm_statements(small)), (
        orm_statements(small),
        orm_statements(large),
    )
    # ...and few of them: queue, claim, plan, record, statuses, job rows.
    assert len(orm_statements(large)) <= 30, orm_statements(large)
    # A webhook keeps no items at the destination: its plan never reads them.
    assert not [s for s in large if "destination_item" in s]


async def test_a_batch_honours_the_leases_of_another_worker(api: Api) -> None:
    clock.use(api.clock)
    async with hook_receiver() as hook:
        ids = await add_destinations(api, hook, schedules=2, per_schedule=5)
        await queue.enqueue_many(worker.KIND, [str(pk) for pk in ids])
        # Another process holds three of them, with a lease that runs out in a moment.
        held = await queue.claim_keyed(
            worker.KIND, limit=3, lease=1.0, owner="other-process", keys=[str(pk) for pk in ids]
        )
        taken = sorted(int(row.key) for row in held)
        assert len(taken) == 3
        assert await run_pass(api) == 7
        assert await exported_keys(hook) == sorted(set(ids) - set(taken))
        # Its lease expired (it crashed): the next pass takes its exports over, once.
        await asyncio.sleep(1.1)
        assert await run_pass(api) == 3
        assert await exported_keys(hook) == sorted(ids)
        # The crashed process's late finish changes nothing of the rows it lost.
        await queue.finish_many(held, owner="other-process", error="late")
        rows = await JobRow.filter(kind=worker.KIND, key__in=[str(pk) for pk in ids])
        assert {(r.status, r.last_error) for r in rows} == {("DONE", None)}


async def test_two_workers_never_export_one_destination_twice_at_once(api: Api) -> None:
    clock.use(api.clock)
    in_flight: set[int] = set()
    overlaps: list[int] = []

    async def slow(n: int) -> int:
        body = hook.deliveries[n].body
        pk = body["destinationId"]
        if pk in in_flight:
            overlaps.append(pk)
        in_flight.add(pk)
        await hook.pause(0.05)
        in_flight.discard(pk)
        return 200

    async with hook_receiver(slow) as hook:
        ids = await add_destinations(api, hook, schedules=4, per_schedule=10)
        # Two passes at once, as two workers polling together: each claims its own batches.
        done = await asyncio.gather(run_pass(api), run_pass(api))
        assert sum(done) == len(ids)
        assert await exported_keys(hook) == sorted(ids)  # each exactly once
        assert not overlaps
    rows = await destination_models.Destination.filter(id__in=ids)
    assert {(d.status, d.attempts_finished) for d in rows} == {("OK", 1)}


async def test_a_failing_destination_does_not_lose_the_others_in_its_batch(api: Api) -> None:
    clock.use(api.clock)

    async def refuse(n: int) -> int:
        return 400

    async with hook_receiver() as good, hook_receiver(refuse) as bad:
        s = await daily_schedule(api)
        made: dict[str, Any] = {}
        for name, config in (
            ("ok-1", webhook(s["id"], good.url)),
            ("refused", webhook(s["id"], bad.url)),
            # An adapter that raises on its settings: a failed export, not a lost batch.
            ("broken", webhook(s["id"], good.url, maxAttempts="many")),
            ("ok-2", webhook(s["id"], good.url)),
        ):
            made[name] = (await api.ok(CREATE, {"i": {**config, "name": name}}))[
                "createDestination"
            ]["id"]
        ids = [await destination_id(gid) for gid in made.values()]
        await service.request_export(org_id=api.org_id, destination_ids=ids, now=api.clock.now())
        assert await run_pass(api) == 4
        state = {name: (await api.ok(STATE, {"id": gid}))["node"] for name, gid in made.items()}
    for name in ("ok-1", "ok-2"):
        assert state[name]["status"] == "OK" and state[name]["exportedUntil"] is not None
        assert state[name]["lastError"] is None
    assert state["refused"]["status"] == "ERROR" and "HTTP 400" in state["refused"]["lastError"]
    assert state["broken"]["status"] == "ERROR"
    assert "unexpected error" in state["broken"]["lastError"]
    assert state["broken"]["exportedUntil"] is None and state["refused"]["exportedUntil"] is None
    # Every claimed job row ended, each delivery has its outcome.
    rows = await JobRow.filter(kind=worker.KIND)
    assert {r.status for r in rows} == {"DONE"}
    deliveries = await destination_models.Delivery.all()
    assert sorted(d.state for d in deliveries) == ["FAILED", "FAILED", "OK", "OK"]
