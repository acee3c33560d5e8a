"""Benchmark of subscription fan-out (a script, not a test): python scripts/bench_subscriptions.py

One uvicorn server process (SQLite, jobs off, no export grace) and 1,000 WebSocket
subscribers (graphql-transport-ws, `destinationStatusChanged`, one document and token) spread
over two client processes with several tasks each. One write (`setTierLayers` through HTTP,
which rewinds an exported destination so its status turns OK -> ERROR) is fanned out to every
subscriber; latency is measured from just before the write is sent to each subscriber's
receipt of its event and from the commit of the status change (the server notes the wall
clock when it reaches the fan-out; wall clock, one machine). Prints p50 / p99 / max, the ratio
of p99 after the commit to the goal (<= 250 ms), and what the event cost the server: its CPU time from the write to
the last receipt, its own time from the event leaving the broker to its last WebSocket send,
and, counted inside it (independent of load), GraphQL executions of subscription events,
payloads serialized for WebSocket messages and broker queues the event was put in, each per
event. ``--baseline DIR`` runs the same against another checkout first (the starting commit)
and prints both columns. Loopback only; the server and the clients are stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GOAL_P99_MS = 250.0
SUBSCRIPTION = (
    """subscription($s: ID!) { destinationStatusChanged(scheduleId: $s) { id status } }"""
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------------- clients


async def subscriber(
    ws_url: str,
    token: str,
    schedule_id: str,
    ready: asyncio.Event,
    count: list[int],
    target: int,
    received: list[float],
    connected: asyncio.Event,
    everyone: asyncio.Event,
) -> None:
    import websockets

    async with websockets.connect(
        ws_url, subprotocols=["graphql-transport-ws"], max_queue=None
    ) as ws:  # type: ignore[list-item]
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIPTION, "variables": {"s": schedule_id}},
                }
            )
        )
        count[0] += 1
        if count[0] == target:
            connected.set()
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == "ping":
                await ws.send(json.dumps({"type": "pong"}))
                continue
            if message["type"] == "next":
                received.append(time.time())
                assert (
                    message["payload"]["data"]["destinationStatusChanged"]["status"] == "ERROR"
                ), message
                # Stay connected until every subscriber of this process has its event: the
                # closing handshakes would otherwise compete with the deliveries still due.
                if len(received) == target:
                    everyone.set()
                await everyone.wait()
                return
            raise RuntimeError(f"unexpected message {message}")


def run_clients(
    ws_url: str, token: str, schedule_id: str, n: int, tasks_per_batch: int, conn: Any
) -> None:
    """A client process: ``n`` subscribers; tells the parent when all are subscribed, then
    sends back the receipt times."""

    async def main() -> list[float]:
        ready = asyncio.Event()
        connected = asyncio.Event()
        everyone = asyncio.Event()
        count = [0]
        received: list[float] = []
        running = []
        for i in range(0, n, tasks_per_batch):  # connect in batches, not in one burst
            batch = [
                asyncio.create_task(
                    subscriber(
                        ws_url, token, schedule_id, ready, count, n, received, connected, everyone
                    )
                )
                for _ in range(min(tasks_per_batch, n - i))
            ]
            running.extend(batch)
            await asyncio.wait(batch, timeout=0.05)  # a short head start for this batch
        await connected.wait()
        conn.send(("subscribed", n))
        done, pending = await asyncio.wait(running, timeout=60)
        for task in pending:
            task.cancel()
        failures = [t.exception() for t in done if t.exception() is not None]
        if failures:
            raise failures[0]  # type: ignore[misc]
        return received

    try:
        conn.send(("received", asyncio.run(main())))
    except Exception as exc:  # report to the parent rather than die silently
        conn.send(("error", repr(exc)))


# --------------------------------------------------------------------------- server


def serve(port: int, work: Path, checkout: Path) -> None:
    """The server process: the app of ``checkout`` under uvicorn on a fresh SQLite database
    (its token written to ``work/token``), counting what events cost. The counts wrap
    library entry points (graphql-core's executor, Strawberry's JSON encoding, the broker's
    fan-out), so they mean the same whatever the app does with them; they are written to
    ``work/counters.json`` when the server stops."""
    sys.path.insert(0, str(checkout))
    (work / "token").write_text(asyncio.run(prepare(os.environ["DATABASE_URL"])))
    import uvicorn
    from graphql import OperationType
    from graphql.execution.executor import Executor
    from starlette.websockets import WebSocket
    from strawberry.http.async_base_view import AsyncBaseHTTPView

    from app import pubsub

    counts: Counter[str] = Counter()
    times: dict[str, float] = {}
    execute = Executor.execute_operation
    encode = AsyncBaseHTTPView.encode_json
    deliver = pubsub.LocalFanout.deliver

    def counted_execute(self: Any, *a: Any, **k: Any) -> Any:
        if self.operation.operation == OperationType.SUBSCRIPTION:
            counts["executions"] += 1
        return execute(self, *a, **k)

    def counted_encode(self: Any, data: Any) -> Any:
        if isinstance(data, dict) and data.get("type") in {"next", "data"}:
            counts["serialized"] += 1
        return encode(self, data)

    def counted_deliver(self: Any, channel: str, event: Any) -> None:
        queues = len(self._queues.get(channel, ()))
        if channel.endswith(":destinations") and queues:
            counts["events"] += 1
            counts["queues"] += queues
            times.setdefault("event", time.perf_counter())
            counts.setdefault("event_wall", time.time())  # the status change has committed
        deliver(self, channel, event)

    send = WebSocket.send

    async def timed_send(self: Any, message: Any) -> None:
        await send(self, message)
        if "event" in times and message.get("type") == "websocket.send":
            times["sent"] = time.perf_counter()

    Executor.execute_operation = counted_execute  # type: ignore[method-assign]
    AsyncBaseHTTPView.encode_json = counted_encode  # type: ignore[method-assign]
    pubsub.LocalFanout.deliver = counted_deliver  # type: ignore[method-assign]
    WebSocket.send = timed_send  # type: ignore[method-assign]
    try:
        from app.api import subscriptions
    except ImportError:  # a checkout from before shared executions
        pass
    else:
        serialize = subscriptions.serialize

        def counted_serialize(result: Any) -> str:
            counts["serialized"] += 1
            return serialize(result)

        subscriptions.serialize = counted_serialize

    def stopped(*_: Any) -> None:
        # uvicorn shuts down gracefully, then raises the signal again with this handler back.
        if "sent" in times:
            counts["fanout_us"] = round((times["sent"] - times["event"]) * 1e6)
        (work / "counters.json").write_text(json.dumps(counts))
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stopped)
    try:  # the WebSocket options `rotagraph serve` uses, as of that checkout
        from app.cli import WEBSOCKET_OPTIONS as websocket_options
    except ImportError:
        websocket_options = {}
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        backlog=4096,
        **websocket_options,
    )


# -------------------------------------------------------------------------- driver


async def prepare(url: str) -> str:
    from tortoise import Tortoise

    from app.auth import service as auth_service
    from app.auth.roles import Role
    from app.db import tortoise_config

    await Tortoise.init(config=tortoise_config(url))
    await Tortoise.generate_schemas()
    org = await auth_service.create_organization(name="Bench")
    _, token = await auth_service.create_token(org_id=org.id, name="a", role=Role.ADMIN)
    await Tortoise.close_connections()
    return token


def receiver_process(port: int, ready: Any) -> None:
    from aiohttp import web

    async def hook(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"ok": True})

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/hook", hook)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


async def gql(base: str, token: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        body = (
            await client.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )
        ).json()
    if body.get("errors"):
        raise RuntimeError(body["errors"])
    data: dict[str, Any] = body["data"]
    return data


async def wait_healthy(base: str, proc: subprocess.Popen[bytes]) -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        for _ in range(300):
            try:
                if (await client.get(f"{base}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if proc.poll() is not None:
                raise RuntimeError("the server exited")
            await asyncio.sleep(0.05)
    raise RuntimeError("the server did not start")


def answer_of(conn: Any, seconds: float = 180.0) -> Any:
    """A client process's next message; an error, not a hang, when it never comes."""
    if not conn.poll(seconds):
        raise RuntimeError(f"a client process sent nothing for {seconds:.0f} s")
    return conn.recv()


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def layer(participants: list[str]) -> dict[str, Any]:
    return {
        "name": "Daily",
        "start": "2026-01-01T00:00",
        "timezone": "UTC",
        "rotation": {"unit": "DAY", "length": 1},
        "participants": [{"contactId": pk} for pk in participants],
    }


async def drive(args: argparse.Namespace, tmp: Path, checkout: Path) -> dict[str, Any]:
    url = f"sqlite://{tmp / 'bench.sqlite3'}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp / "server.log").open("wb")
    counters = tmp / "counters.json"
    result: dict[str, Any] = {}
    server = subprocess.Popen(  # noqa: ASYNC220 - started once, before anything is timed
        [
            sys.executable,
            __file__,
            "--serve",
            str(port),
            "--work",
            str(tmp),
            "--checkout",
            checkout,
        ],
        cwd=checkout,
        env={
            **os.environ,
            "DATABASE_URL": url,
            "RUN_JOBS": "false",
            "ALLOW_PRIVATE_ADDRESSES": "true",  # the webhook receiver is on loopback
            "EXPORT_GRACE_SECONDS": "0",  # the status turns ERROR with the write itself
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    ctx = multiprocessing.get_context("spawn")
    hook_ready = ctx.Event()
    hook_port = free_port()
    hook = ctx.Process(target=receiver_process, args=(hook_port, hook_ready), daemon=True)
    hook.start()
    clients: list[tuple[Any, Any]] = []
    try:
        await wait_healthy(base, server)
        token = (tmp / "token").read_text()
        hook_ready.wait(15)
        people = []
        for name in ("Ann", "Bob"):
            data = await gql(
                base,
                token,
                'mutation($n: String!) { createContact(input: {name: $n, timezone: "UTC"}) { id } }',
                {"n": name},
            )
            people.append(data["createContact"]["id"])
        s = (
            await gql(
                base,
                token,
                'mutation { createSchedule(input: {name: "Bench", assignmentHorizonDays: 3}) { id tiers { id } } }',
                {},
            )
        )["createSchedule"]
        tier = s["tiers"][0]["id"]
        await gql(
            base,
            token,
            "mutation($t: ID!, $l: [LayerInput!]!) { setTierLayers(tierId: $t, layers: $l) { id } }",
            {"t": tier, "l": [layer(people)]},
        )
        await gql(
            base,
            token,
            "mutation($s: ID!) { confirmAssignments(scheduleId: $s) { newAssignment } }",
            {"s": s["id"]},
        )
        dest = (
            await gql(
                base,
                token,
                "mutation($i: CreateDestinationInput!) { createDestination(input: $i) { id } }",
                {
                    "i": {
                        "scheduleId": s["id"],
                        "name": "hook",
                        "kind": "WEBHOOK",
                        "autoExport": False,
                        "config": {"url": f"http://127.0.0.1:{hook_port}/hook"},
                        "secrets": {"signingSecret": "bench-signing-secret-00"},
                    }
                },
            )
        )["createDestination"]
        done = await gql(
            base,
            token,
            "mutation($id: ID!) { exportDestination(id: $id, wait: true) { status } }",
            {"id": dest["id"]},
        )
        assert done["exportDestination"]["status"] == "OK", done

        per_process = [
            args.subscribers // args.processes + (1 if i < args.subscribers % args.processes else 0)
            for i in range(args.processes)
        ]
        connect_started = time.perf_counter()
        for n in per_process:
            parent, child = ctx.Pipe()
            proc = ctx.Process(
                target=run_clients,
                args=(f"ws://127.0.0.1:{port}/graphql", token, s["id"], n, args.batch, child),
                daemon=True,
            )
            proc.start()
            clients.append((proc, parent))
        for _proc, parent in clients:
            kind, value = await asyncio.to_thread(answer_of, parent)
            if kind != "subscribed":
                raise RuntimeError(value)
        connect_seconds = time.perf_counter() - connect_started
        await asyncio.sleep(1.0)  # let the server settle

        # The write: swap the participants, so the exported shifts change now -> ERROR.
        cpu0 = cpu_seconds(server.pid)
        t0 = time.time()
        await gql(
            base,
            token,
            "mutation($t: ID!, $l: [LayerInput!]!) { setTierLayers(tierId: $t, layers: $l) { id } }",
            {"t": tier, "l": [layer(people[::-1])]},
        )
        t_response = time.time()
        latencies: list[float] = []
        for _proc, parent in clients:
            kind, value = await asyncio.to_thread(answer_of, parent)
            if kind != "received":
                raise RuntimeError(value)
            latencies.extend((t - t0) * 1000 for t in value)
        result["cpu_ms"] = (cpu_seconds(server.pid) - cpu0) * 1000
        result.update(
            latencies=latencies,
            connect=connect_seconds,
            response_ms=(t_response - t0) * 1000,
            t0=t0,
        )
        return result
    finally:
        for proc, _ in clients:
            proc.terminate()
            proc.join(10)
        hook.terminate()
        hook.join(10)
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)
        log.close()
        if counters.exists():
            result["counts"] = json.loads(counters.read_text())


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--batch", type=int, default=50, help="subscriber tasks started together")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout (e.g. the commit before a change): measured first, in the same "
        "run, and printed beside this one",
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # the server process
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--checkout", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.work, args.checkout)
        return
    checkouts = [("this checkout", ROOT)]
    if args.baseline is not None:
        checkouts.insert(0, ("baseline", args.baseline.resolve()))
    runs = []
    for _name, checkout in checkouts:
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(asyncio.run(drive(args, Path(tmp), checkout)))
    table = [rows(args, r) for r in runs]
    width = max(len(k) for k, _ in table[0])
    print(" | ".join([f"{'metric'.ljust(width)}", *(f"{n:<24}" for n, _ in checkouts)]))
    print("-|-".join(["-" * width, *("-" * 24 for _ in checkouts)]))
    for i, (key, _) in enumerate(table[0]):
        print(" | ".join([key.ljust(width), *(f"{t[i][1]:<24}" for t in table)]))
    if any(len(r["latencies"]) != args.subscribers for r in runs):
        raise SystemExit("not every subscriber received the event")


def rows(args: argparse.Namespace, r: dict[str, Any]) -> list[tuple[str, str]]:
    lat = r["latencies"] or [float("nan")]
    counts = r.get("counts", {})
    events = counts.get("events", 0) or float("nan")
    # The goal counts from the commit: the server notes the wall clock when the committed
    # status change reaches its fan-out (same machine, same clock as the clients).
    committed = (counts.get("event_wall", float("nan")) - r["t0"]) * 1000
    after = [ms - committed for ms in lat]
    return [
        ("subscribers received", f"{len(r['latencies'])} of {args.subscribers}"),
        ("subscribe all (setup)", f"{r['connect']:.1f} s"),
        ("write response", f"{r['response_ms']:.0f} ms"),
        ("delivery p50 from the write sent", f"{pct(lat, 50):.0f} ms"),
        ("delivery p99 from the write sent", f"{pct(lat, 99):.0f} ms"),
        ("write sent -> event committed", f"{committed:.0f} ms"),
        ("delivery p50 after the commit", f"{pct(after, 50):.0f} ms"),
        ("delivery p99 after the commit", f"{pct(after, 99):.0f} ms"),
        ("delivery max after the commit", f"{max(after):.0f} ms"),
        ("server CPU, write + fan-out", f"{r['cpu_ms']:.0f} ms"),
        ("server event -> last send", f"{counts.get('fanout_us', 0) / 1000:.0f} ms"),
        ("events to subscribers", f"{counts.get('events', 0)}"),
        ("executions per event", f"{counts.get('executions', 0) / events:.1f}"),
        ("messages serialized per event", f"{counts.get('serialized', 0) / events:.1f}"),
        ("broker queues per event", f"{counts.get('queues', 0) / events:.1f}"),
        ("goal p99", f"<= {GOAL_P99_MS:.0f} ms"),
        ("ratio p99 after the commit / goal", f"{pct(after, 99) / GOAL_P99_MS:.2f}"),
    ]


if __name__ == "__main__":
    main()
