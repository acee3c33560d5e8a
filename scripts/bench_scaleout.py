"""Scale-out benchmark (a script, not a test): python scripts/bench_scaleout.py

On a fresh PostgreSQL database (`rotagraph_scaleout_bench`, created and dropped through an admin
connection; `rotagraph migrate` + `rotagraph demo` through the CLI):

  Q1 throughput with 1 and with 2 app processes (uvicorn, RUN_JOBS=false, response cache off:
  RESPONSE_CACHE_ENTRIES=0, so every request is computed). Q1 is the one of scripts/load_api.py
  (the demo schedule with the most tiers, 30 days). One aiohttp client; with 2 processes the
  client's connections alternate between them, as a round-robin load balancer would. The ratio
  2-process / 1-process is printed. `cpu ms` is the servers' CPU time per request.

  Cross-process event latency: a subscriber (graphql-transport-ws, onCallChanged) on process A
  and one on B; a mutation on B changes who is on call now (an on-demand shift covering now,
  its contact alternated). Measured per event: from sending the mutation to the event's
  arrival ("sent -> event") and from the mutation's answer to the arrival ("answered ->
  event"; negative when the event arrives before the answer), for the subscriber on A (other
  process: through PostgreSQL NOTIFY, or Redis with --pubsub-url) and on B (same process).

The client shares the machine with the servers and PostgreSQL: on a 2-core machine two server
processes compete with the client and the database for CPU, so the ratio says how much a second
process buys here, not on a machine with a core per process.

Options: --seconds, --warmup, --concurrency, --events, --pubsub-url, --pg-admin-url.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _loadlib as lib
import load_api

BENCH_DATABASE = "rotagraph_scaleout_bench"
ON_CALL = "subscription($s: ID!) { onCallChanged(scheduleId: $s) { id } }"


def app_server(database_url: str, env: dict[str, str]) -> lib.Server:
    return lib.Server(
        "app.main:create_app",
        factory=True,
        env={
            "DATABASE_URL": database_url,
            "RUN_JOBS": "false",
            "RESPONSE_CACHE_ENTRIES": "0",
            **env,
        },
        ready_path="/healthz",
    )


@contextlib.asynccontextmanager
async def servers(
    database_url: str, count: int, env: dict[str, str]
) -> AsyncIterator[list[lib.Server]]:
    async with contextlib.AsyncExitStack() as stack:
        started = [app_server(database_url, env) for _ in range(count)]
        for server in started:
            server.start()
        for server in started:
            stack.push_async_callback(server.__aexit__, None, None, None)
        for server in started:
            await server.wait_ready()
        yield started


async def q1_request(url: str, token: str) -> tuple[bytes, dict[str, Any]]:
    """The Q1 request body of load_api (the schedule with the most tiers) and its data."""
    _, listed = await load_api.graphql_call(url, token, load_api.SCHEDULES)
    start, end = load_api.q1_window(datetime.now(UTC))
    window = {"from": start.isoformat(), "to": end.isoformat()}
    best: tuple[int, int, str, dict[str, Any]] | None = None
    for edge in listed["schedules"]["edges"]:
        node = edge["node"]
        variables = {"id": node["id"], **window}
        _, data = await load_api.graphql_call(url, token, load_api.Q1, variables)
        key = (len(node["tiers"]), sum(len(t["shifts"]) for t in data["schedule"]["tiers"]))
        if best is None or key > best[:2]:
            best = (*key, node["id"], data)
    if best is None:
        raise RuntimeError("the demo data has no schedules")
    body = json.dumps({"query": load_api.Q1, "variables": {"id": best[2], **window}}).encode()
    return body, best[3]


async def throughput(
    database_url: str, token: str, count: int, args: argparse.Namespace
) -> dict[int, lib.LoadResult]:
    out = {}
    async with servers(database_url, count, {}) as started:
        urls = [s.base_url + "/graphql" for s in started]
        body, reference = await q1_request(urls[0], token)
        headers = load_api._headers(token)

        def same_data(raw: bytes) -> bool:
            with contextlib.suppress(ValueError):
                doc = json.loads(raw)
                return "errors" not in doc and doc.get("data") == reference
            return False

        check = lib.same_body_as(b"", same_data=same_data)
        for c in args.concurrency:
            r = await lib.drive(
                urls,
                server_pid=[s.pid for s in started],
                body=body,
                headers=headers,
                concurrency=c,
                seconds=args.seconds,
                warmup=args.warmup,
                check=check,
            )
            if r.failures:
                raise RuntimeError(
                    f"{count} process(es), c={c}: {r.failures} bad: {r.first_failure}"
                )
            print(
                f"{count} process(es) c={c:<3} {r.rps:8.1f} req/s  p50 {lib.fmt(r.p50, 2)} ms  "
                f"p99 {lib.fmt(r.p99, 2)} ms  servers' CPU {lib.fmt(r.cpu_ms_per_request, 2)} ms/req",
                flush=True,
            )
            out[c] = r
    return out


# --------------------------------------------------------------------------- events


async def gql(
    base: str, token: str, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    _, data = await load_api.graphql_call(base + "/graphql", token, query, variables)
    return data


class Listener:
    """A graphql-transport-ws subscription recording the arrival time of every event."""

    def __init__(self, base: str, token: str, schedule_id: str) -> None:
        self.url = base.replace("http://", "ws://") + "/graphql"
        self.token = token
        self.schedule_id = schedule_id
        self.arrivals: asyncio.Queue[float] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()

    async def run(self) -> None:
        import websockets

        async with websockets.connect(self.url, subprotocols=["graphql-transport-ws"]) as ws:
            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {self.token}"}}
            await ws.send(json.dumps(init))
            if json.loads(await ws.recv())["type"] != "connection_ack":
                raise RuntimeError("subscription refused")
            payload = {"query": ON_CALL, "variables": {"s": self.schedule_id}}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            self.ready.set()
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                elif message["type"] == "next":
                    self.arrivals.put_nowait(time.perf_counter())
                else:
                    raise RuntimeError(f"subscription ended: {message}")

    async def __aenter__(self) -> Listener:
        self._task = asyncio.create_task(self.run())
        await asyncio.wait_for(self.ready.wait(), 10)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def event_latency(
    database_url: str, token: str, args: argparse.Namespace
) -> dict[str, list[float]]:
    env = {"RESPONSE_CACHE_ENTRIES": "2000"}
    if args.pubsub_url:
        env["PUBSUB_URL"] = args.pubsub_url
    async with servers(database_url, 2, env) as (a, b):
        A, B = a.base_url, b.base_url
        people = []
        for name in ("Lat Ann", "Lat Bob"):
            created = await gql(
                B,
                token,
                'mutation($n: String!) { createContact(input: {name: $n, timezone: "UTC"}) { id } }',
                {"n": name},
            )
            people.append(created["createContact"]["id"])
        schedule = (
            await gql(
                B,
                token,
                "mutation($i: CreateScheduleInput!) { createSchedule(input: $i) { id tiers { id } } }",
                {"i": {"name": "Latency", "tierCount": 1, "assignmentHorizonDays": 2}},
            )
        )["createSchedule"]
        await gql(
            B,
            token,
            "mutation($s: ID!) { confirmAssignments(scheduleId: $s) { newAssignment } }",
            {"s": schedule["id"]},
        )
        now = datetime.now(UTC)
        shift = (
            await gql(
                B,
                token,
                "mutation($i: CreateOnDemandShiftInput!) { createOnDemandShift(input: $i) { id } }",
                {
                    "i": {
                        "tierId": schedule["tiers"][0]["id"],
                        "start": (now - timedelta(hours=1)).isoformat(),
                        "end": (now + timedelta(hours=6)).isoformat(),
                        "contactIds": [people[0]],
                    }
                },
            )
        )["createOnDemandShift"]["id"]
        update = "mutation($id: ID!, $i: UpdateOnDemandShiftInput!) { updateOnDemandShift(id: $id, input: $i) { id } }"
        out: dict[str, list[float]] = {
            "A sent": [],
            "A answered": [],
            "B sent": [],
            "B answered": [],
        }
        async with (
            Listener(A, token, schedule["id"]) as on_a,
            Listener(B, token, schedule["id"]) as on_b,
        ):
            await asyncio.sleep(0.3)
            for n in range(args.events + 3):
                sent = time.perf_counter()
                await gql(
                    B, token, update, {"id": shift, "i": {"contactIds": [people[(n + 1) % 2]]}}
                )
                answered = time.perf_counter()
                got_a = await asyncio.wait_for(on_a.arrivals.get(), 10)
                got_b = await asyncio.wait_for(on_b.arrivals.get(), 10)
                if n < 3:
                    continue  # warm-up
                out["A sent"].append((got_a - sent) * 1000)
                out["A answered"].append((got_a - answered) * 1000)
                out["B sent"].append((got_b - sent) * 1000)
                out["B answered"].append((got_b - answered) * 1000)
                await asyncio.sleep(0.02)
            # No event may be left over (one per change, on each side).
            await asyncio.sleep(0.3)
            if not (on_a.arrivals.empty() and on_b.arrivals.empty()):
                raise RuntimeError("more events than changes")
    return out


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# --------------------------------------------------------------------------- main


async def main_async(args: argparse.Namespace) -> str:
    async with lib.fresh_database(
        "postgres", pg_admin_url=args.pg_admin_url, pg_database=BENCH_DATABASE
    ) as db:
        lib.run_cli(["migrate"], database_url=db.url)
        token = lib.token_from_output(lib.run_cli(["demo"], database_url=db.url))
        one = await throughput(db.url, token, 1, args)
        two = await throughput(db.url, token, 2, args)
        latency = await event_latency(db.url, token, args)
    rows = []
    for c in args.concurrency:
        rows.append(
            [
                str(c),
                lib.fmt(one[c].rps),
                lib.fmt(one[c].p50, 2),
                lib.fmt(one[c].p99, 2),
                lib.fmt(one[c].cpu_ms_per_request, 2),
                lib.fmt(two[c].rps),
                lib.fmt(two[c].p50, 2),
                lib.fmt(two[c].p99, 2),
                lib.fmt(two[c].cpu_ms_per_request, 2),
                f"{two[c].rps / one[c].rps:.2f}",
            ]
        )
    header = [
        "conc",
        "1p req/s",
        "1p p50 ms",
        "1p p99 ms",
        "1p cpu ms",
        "2p req/s",
        "2p p50 ms",
        "2p p99 ms",
        "2p cpu ms",
        "2p/1p",
    ]
    transport = "Redis" if args.pubsub_url else "PostgreSQL NOTIFY"
    lat_rows = []
    for key, label in (
        ("A sent", "A (other process) sent -> event"),
        ("A answered", "A (other process) answered -> event"),
        ("B sent", "B (same process) sent -> event"),
        ("B answered", "B (same process) answered -> event"),
    ):
        values = latency[key]
        lat_rows.append(
            [
                label,
                str(len(values)),
                f"{statistics.median(values):.2f}",
                f"{percentile(values, 0.99):.2f}",
            ]
        )
    lines = [
        f"Q1 on PostgreSQL, response cache off; {args.warmup:g} s warm-up + {args.seconds:g} s per load",
        lib.render_table(header, rows),
        "cpu ms = CPU time per request of the server process(es), all threads (PostgreSQL not included).",
        "2p/1p = ratio of throughput, 2 processes / 1 process: "
        + ", ".join(f"c={c} {two[c].rps / one[c].rps:.2f}" for c in args.concurrency),
        "",
        f"Event delivery (onCallChanged after updateOnDemandShift on B), through {transport}:",
        lib.render_table(["subscriber", "events", "p50 ms", "p99 ms"], lat_rows),
    ]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=5.0, help="measured seconds per load (5)")
    p.add_argument("--warmup", type=float, default=1.0, help="uncounted seconds first (1)")
    p.add_argument(
        "--concurrency",
        type=lambda raw: [int(x) for x in raw.split(",") if x],
        default=[10, 50],
        help="requests in flight (10,50)",
    )
    p.add_argument("--events", type=int, default=200, help="events measured (200)")
    p.add_argument(
        "--pubsub-url",
        default=os.environ.get("PUBSUB_URL") or None,
        help="redis:// URL: measure Redis instead of NOTIFY",
    )
    p.add_argument(
        "--pg-admin-url",
        default=os.environ.get("LOAD_PG_ADMIN_URL", lib.DEFAULT_PG_ADMIN_URL),
        help=f"admin connection (default {lib.DEFAULT_PG_ADMIN_URL})",
    )
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.monotonic()
    before = lib.machine_line()
    print(f"before: {before}", flush=True)
    try:
        table = asyncio.run(main_async(args))
    except KeyboardInterrupt:
        return 130
    except RuntimeError as exc:
        print(f"bench_scaleout: {exc}", file=sys.stderr)
        return 1
    print()
    print(f"machine before: {before}")
    print(f"machine after:  {lib.machine_line()}")
    print(table)
    print(f"(total {time.monotonic() - began:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
