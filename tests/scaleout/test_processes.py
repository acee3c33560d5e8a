"""Several real processes on one PostgreSQL database (issue 7): events cross processes through
NOTIFY or Redis, exports and periodic jobs are claimed through the job table's leases, a lost
listening connection and a killed process are survived, `rotagraph serve --workers` works."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.scaleout.cluster import (
    Cluster,
    eventually,
    gql,
    require_redis,
    socket_owner,
    sql,
    subscribe,
    webhook_receiver,
)
from tests.scaleout.factories import (
    DESTINATION_STATUS,
    EXPORT,
    EXPORT_SCHEDULE,
    daily_schedule,
    destinations,
    pk,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

DEST_CHANGED = "subscription($s: ID!) { destinationStatusChanged(scheduleId: $s) { id status } }"
SCHEDULE_CHANGED = "subscription($s: ID!) { scheduleStatusChanged(scheduleId: $s) { id status } }"


def _owner_pid(owner: str) -> int:
    """The process id inside a job owner (``host:pid:random``)."""
    return int(owner.split(":")[-2])


# ------------------------------------------------------------------ events across processes


@pytest.mark.parametrize("broker", ["notify", "redis"])
async def test_a_subscriber_on_one_process_sees_an_export_run_in_another(
    broker: str, database: str, admin: str, tmp_path: Path
) -> None:
    env = {"RUN_JOBS": "false"}  # the export runs where it is asked for, with wait: true
    if broker == "redis":
        env["PUBSUB_URL"] = require_redis()
    async with Cluster(database, 2, env=env, log_dir=tmp_path) as cluster:
        a, b = cluster[0], cluster[1]
        s = await daily_schedule(a, admin, f"Events via {broker}")
        async with webhook_receiver(cluster) as hook:
            (dest,) = await destinations(a, admin, s["id"], hook.url, 1)
            async with (
                subscribe(a, admin, DEST_CHANGED, {"s": s["id"]}) as dest_events,
                subscribe(a, admin, SCHEDULE_CHANGED, {"s": s["id"]}) as schedule_events,
            ):
                await asyncio.sleep(0.3)  # the subscriptions are registered
                assert (await gql(b, admin, EXPORT, {"id": dest, "w": True}))["exportDestination"][
                    "status"
                ] == "OK"
                got = await dest_events.next(10)
                assert got["destinationStatusChanged"] == {"id": dest, "status": "OK"}
                rolled = await schedule_events.next(10)
                assert rolled["scheduleStatusChanged"] == {"id": s["id"], "status": "OK"}
            assert [d.node for d in hook.deliveries] == [1]  # sent by process B


async def _listener_backends(database: str) -> list[tuple[int, int]]:
    """(backend pid, client port) of every LISTEN connection on the database."""
    rows = await sql(
        database,
        "SELECT pid, client_port FROM pg_stat_activity "
        "WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    )
    return [(r["pid"], r["client_port"]) for r in rows]


async def test_a_terminated_listening_connection_is_survived(
    database: str, admin: str, tmp_path: Path
) -> None:
    async with Cluster(database, 2, env={"RUN_JOBS": "false"}, log_dir=tmp_path) as cluster:
        a, b = cluster[0], cluster[1]
        s = await daily_schedule(a, admin, "Listener loss")
        async with webhook_receiver(cluster) as hook:
            (dest,) = await destinations(a, admin, s["id"], hook.url, 1)
            # A's cached answer before anything happens (the cache is on by default).
            for _ in range(2):
                assert (await gql(a, admin, DESTINATION_STATUS, {"id": dest}))["destination"][
                    "status"
                ] == "PENDING"
            async with subscribe(a, admin, DEST_CHANGED, {"s": s["id"]}) as events:
                await asyncio.sleep(0.3)
                listeners = await _listener_backends(database)
                assert len(listeners) == 2, listeners
                mine = [
                    backend
                    for backend, port in listeners
                    if socket_owner(port, 5432, a.pids()) is not None
                ]
                assert len(mine) == 1, (listeners, a.pids())
                killed = await sql(database, "SELECT pg_terminate_backend($1) AS ok", mine[0])
                assert killed[0]["ok"] is True
                # Told to refetch: every destination of the schedule is sent again.
                resync = await events.next(10)
                assert resync["destinationStatusChanged"] == {"id": dest, "status": "PENDING"}
                listening_again = await eventually(
                    lambda: _a_listens_again(database, a.pids(), mine[0]), timeout=10
                )
                assert listening_again
                # The next event caused on B arrives on A.
                await gql(b, admin, EXPORT, {"id": dest, "w": True})
                got = await events.next(10)
                assert got["destinationStatusChanged"] == {"id": dest, "status": "OK"}
            # And A's response cache learned B's write through the new connection.
            assert (await gql(a, admin, DESTINATION_STATUS, {"id": dest}))["destination"][
                "status"
            ] == "OK"


async def _a_listens_again(database: str, pids: list[int], old_backend: int) -> bool:
    return any(
        backend != old_backend and socket_owner(port, 5432, pids) is not None
        for backend, port in await _listener_backends(database)
    )


# ------------------------------------------------------------------ exports claimed with leases


async def test_two_processes_export_300_destinations_exactly_once(
    database: str, admin: str, tmp_path: Path
) -> None:
    env = {"EXPORT_CONCURRENCY": "10", "EXPORT_POLL_SECONDS": "0.3"}
    async with Cluster(database, 2, env=env, log_dir=tmp_path) as cluster:
        async with webhook_receiver(cluster) as hook:
            schedules, ids = [], []
            for n in range(10):
                s = await daily_schedule(cluster[n % 2], admin, f"Bulk {n}")
                schedules.append(s["id"])
                ids += await destinations(cluster[n % 2], admin, s["id"], hook.url, 30)
            assert len(ids) == 300
            # Export Now on every schedule, half asked of each process, all at once.
            await asyncio.gather(
                *(
                    gql(cluster[n % 2], admin, EXPORT_SCHEDULE, {"id": sid, "w": False})
                    for n, sid in enumerate(schedules)
                )
            )
            dest_pks = [pk(d) for d in ids]

            async def all_exported() -> bool:
                rows = await sql(
                    database,
                    "SELECT count(*) AS n FROM destination WHERE id = ANY($1::int[]) "
                    "AND export_due_at IS NULL AND status = 'OK'",
                    dest_pks,
                )
                return bool(rows[0]["n"] == 300)

            await eventually(all_exported, timeout=90, interval=0.3)
            await asyncio.sleep(1.5)  # a duplicate still on its way would arrive now
            per_destination = Counter(d.destination_id for d in hook.deliveries)
            assert set(per_destination) == set(dest_pks)
            repeated = {k: n for k, n in per_destination.items() if n > 1}
            assert repeated == {}, f"{len(repeated)} destinations exported more than once"
            assert len(set(hook.keys())) == len(hook.deliveries) == 300
            # The work spread over both processes: by the sender of each request ...
            by_node = Counter(d.node for d in hook.deliveries)
            assert set(by_node) == {0, 1}, by_node
            assert min(by_node.values()) >= 30, by_node
            # ... and by the owner recorded on each export's job row.
            jobs = await sql(
                database,
                "SELECT key, owner, status FROM job WHERE kind = 'export' AND key = ANY($1::text[])",
                [str(p) for p in dest_pks],
            )
            assert len(jobs) == 300 and {j["status"] for j in jobs} == {"DONE"}
            owners = Counter(cluster.node_of_pid(_owner_pid(j["owner"])) for j in jobs)
            assert set(owners) == {0, 1}, owners


async def test_a_killed_exporter_is_taken_over_after_its_lease(
    database: str, admin: str, tmp_path: Path
) -> None:
    # EXPORT_LEASE_SECONDS: a short lease for the test, if the export claim reads one.
    env = {"EXPORT_POLL_SECONDS": "0.3", "EXPORT_LEASE_SECONDS": "4"}
    async with Cluster(database, 2, env=env, log_dir=tmp_path) as cluster:
        async with webhook_receiver(cluster) as hook:
            hook.hold = lambda n: n == 0  # the first request hangs until the test lets go
            s = await daily_schedule(cluster[0], admin, "Takeover")
            (dest,) = await destinations(cluster[0], admin, s["id"], hook.url, 1)
            await gql(cluster[0], admin, EXPORT, {"id": dest, "w": False})
            await asyncio.wait_for(hook.held.wait(), 20)
            sender = hook.deliveries[0].node
            assert sender is not None
            survivor = 1 - sender
            cluster.kill(sender)
            killed_at = time.monotonic()
            hook.release.set()

            async def exported() -> bool:
                rows = await sql(
                    database,
                    "SELECT status, export_due_at FROM destination WHERE id = $1",
                    pk(dest),
                )
                return rows[0]["status"] == "OK" and rows[0]["export_due_at"] is None

            await eventually(exported, timeout=60, interval=0.2)
            await asyncio.sleep(1)
            assert len(hook.deliveries) == 2, [(d.node, d.at - killed_at) for d in hook.deliveries]
            first, repeat = hook.deliveries
            assert repeat.key == first.key  # the same logical export, the same idempotency key
            assert repeat.node == survivor and repeat.at > killed_at
            jobs = await sql(
                database,
                "SELECT owner, status, attempts FROM job WHERE kind = 'export' AND key = $1",
                str(pk(dest)),
            )
            assert len(jobs) == 1, "the export was not claimed through the job table"
            job = jobs[0]
            assert job["status"] == "DONE" and job["attempts"] >= 2
            assert cluster.node_of_pid(_owner_pid(job["owner"])) == survivor


# ------------------------------------------------------------------ periodic jobs


async def test_each_periodic_slot_runs_once_across_processes(
    database: str, admin: str, tmp_path: Path
) -> None:
    env = {"CONFIRM_INTERVAL_SECONDS": "0.5", "STATUS_INTERVAL_SECONDS": "0.5"}
    await sql(database, "DELETE FROM job WHERE kind IN ('confirm', 'status')")
    async with Cluster(database, 2, env=env, log_dir=tmp_path) as cluster:
        await asyncio.sleep(5)
        pids = {0: cluster[0].pids(), 1: cluster[1].pids()}
    rows = await sql(
        database,
        "SELECT kind, run_at, status, owner, attempts FROM job "
        "WHERE kind IN ('confirm', 'status') ORDER BY kind, run_at",
    )
    for kind in ("confirm", "status"):
        slots = [r for r in rows if r["kind"] == kind]
        assert len(slots) >= 6, f"{kind}: only {len(slots)} slots ran"
        # One row per slot (unique), claimed once; the last may have been cut by the stop.
        assert all(r["attempts"] == 1 for r in slots), slots
        assert sum(r["status"] != "DONE" for r in slots) <= 1, slots
        owners = {
            next((i for i, p in pids.items() if _owner_pid(r["owner"]) in p), None) for r in slots
        }
        # Which process wins a slot is a race (often the same one every time); what matters
        # is that each slot ran exactly once, in one of the two processes.
        assert owners and owners <= {0, 1}, f"{kind}: slots ran in {owners}"


# ------------------------------------------------------------------ rotagraph serve --workers


async def test_serve_with_two_workers_works_end_to_end(
    database: str, admin: str, tmp_path: Path
) -> None:
    async with Cluster(database, 1, workers=2, log_dir=tmp_path) as cluster:
        node = cluster[0]
        workers = await eventually(
            lambda: _two_workers(node.pids()), timeout=20
        )  # supervisor + 2 workers
        s = await daily_schedule(node, admin, "Workers")
        contacts = "{ contacts(first: 100) { totalCount } }"
        create = (
            'mutation($n: String!) { createContact(input: {name: $n, timezone: "UTC"}) { id } }'
        )
        crossed = 0
        total = (await gql(node, admin, contacts))["contacts"]["totalCount"]
        for round_ in range(40):
            async with httpx.AsyncClient(timeout=30) as one:
                _, wrote = await _post(one, node.port, admin, create, {"n": f"W{round_}"}, workers)
            total += 1
            async with httpx.AsyncClient(timeout=30) as other:
                for _ in range(2):  # the second answer may come from the response cache
                    data, read = await _post(other, node.port, admin, contacts, {}, workers)
                    assert data["contacts"]["totalCount"] == total, f"round {round_}"
            crossed += wrote is not None and read is not None and wrote != read
            if crossed >= 3:
                break
        assert crossed >= 3, "the kernel never sent a write and a read to different workers"

        async with webhook_receiver(cluster) as hook:
            (dest,) = await destinations(node, admin, s["id"], hook.url, 1)
            async with contextlib.AsyncExitStack() as stack:
                subscribers, seen = [], set()
                for _ in range(16):  # new connections until both workers serve one
                    sub = await stack.enter_async_context(
                        subscribe(node, admin, DEST_CHANGED, {"s": s["id"]})
                    )
                    subscribers.append(sub)
                    seen.add(socket_owner(node.port, sub.local_port, workers))
                    if set(workers) <= seen:
                        break
                assert set(workers) <= seen, "the subscriptions never reached both workers"
                await asyncio.sleep(0.3)
                await gql(node, admin, EXPORT, {"id": dest, "w": True})
                for sub in subscribers:
                    got = await sub.next(10)
                    assert got["destinationStatusChanged"] == {"id": dest, "status": "OK"}


async def _post(
    client: httpx.AsyncClient,
    port: int,
    token: str,
    query: str,
    variables: dict[str, Any],
    workers: list[int],
) -> tuple[dict[str, Any], int | None]:
    """The data, and the worker process that answered (the server side of the connection)."""
    response = await client.post(
        f"http://127.0.0.1:{port}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    doc = response.json()
    assert response.status_code == 200 and not doc.get("errors"), doc
    client_port = response.extensions["network_stream"].get_extra_info("client_addr")[1]
    return doc["data"], socket_owner(port, client_port, workers)


def _two_workers_sync(pids: list[int]) -> list[int]:
    """The uvicorn worker processes among a supervisor's descendants."""
    out = []
    for pid in pids[1:]:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"multiprocessing.spawn" in cmdline or b"spawn_main" in cmdline:
            out.append(pid)
    return out


async def _two_workers(pids: list[int]) -> list[int] | None:
    found = _two_workers_sync(pids)
    return found if len(found) == 2 else None
