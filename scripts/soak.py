"""Soak test of steady memory (a script, not a test): python scripts/soak.py [--minutes 10]

One server process per backend (SQLite and PostgreSQL side by side by default, each on a fresh
database with the migrations and the demo data, background jobs on) gets mixed traffic at a
bounded rate (--rate operations per second per backend, at most --in-flight at once):

- reads: the 30-day shifts of a demo schedule (Q1) over shifting windows, schedule and contact
  lists with cursors, the caller under a new alias each time (new document texts, as a fuzzer
  sends);
- mutations on a schedule of its own: layers created, updated and deleted, substitutions and
  on-demand shifts created and deleted, webhook destinations created, exported and deleted;
- exports to a local aiohttp webhook receiver (ALLOW_PRIVATE_ADDRESSES for loopback);
- feed fetches (/feeds/<secret>.ics);
- malformed requests: bad JSON, bad variables, an over-cost query, a bad cursor, an unknown
  field, a wrong token;
- subscriptions (WebSocket, graphql-transport-ws) connecting, receiving, and leaving (politely
  or by dropping the connection) all along.

Every --sample seconds it reads the server's resident memory (VmRSS in /proc/<pid>/status) and
its cache gauges (/metrics with METRICS_TOKEN). At the end it prints RSS over time, RSS at the
end against RSS after the first minute (goal <= 1.25x) and, per cache, the largest size seen
against its configured bound. The cache bounds are set small (CACHE_ENV) so every cache fills
during the first minute: a cache growing to its bound is not a leak, and a small bound shows
that it is respected. Loopback only; servers, receiver and databases are removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _loadlib as lib
import load_api

GOAL_RATIO = 1.25
METRICS_TOKEN = "soak-metrics-token-0000"
SIGNING_SECRET = "soak-signing-secret-0000"
CACHE_ENV = {
    "RESPONSE_CACHE_ENTRIES": "200",
    "RESPONSE_CACHE_BYTES": "4000000",
    "TIMELINE_CACHE_ENTRIES": "100",
    "TIMELINE_CACHE_BYTES": "8000000",
}
SUBSCRIPTIONS = (
    "subscription($s: ID!) { onCallChanged(scheduleId: $s) { id name } }",
    "subscription($s: ID!) { destinationStatusChanged(scheduleId: $s) { id status } }",
    "subscription($s: ID!) { scheduleStatusChanged(scheduleId: $s) { id } }",
)


# --------------------------------------------------------------------------- receiver


@contextlib.asynccontextmanager
async def webhook_receiver() -> Any:
    """An aiohttp server on a loopback port answering 200 to every webhook; yields (url, count)."""
    from aiohttp import web

    count = [0]

    async def hook(request: web.Request) -> web.Response:
        await request.read()
        count[0] += 1
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = lib.free_port()
    await web.TCPSite(runner, lib.LOOPBACK, port).start()
    try:
        yield f"http://{lib.LOOPBACK}:{port}/hook", count
    finally:
        await runner.cleanup()


# --------------------------------------------------------------------------- one backend


@dataclass
class Target:
    backend: str
    app: lib.Server
    token: str
    hook_url: str
    schedules: list[str] = field(default_factory=list)  # demo schedules, read only
    schedule: str = ""  # the soak's own schedule, written
    tier: str = ""
    people: list[str] = field(default_factory=list)
    destinations: list[str] = field(default_factory=list)
    feed_path: str = ""
    outcomes: collections.Counter[tuple[str, str]] = field(default_factory=collections.Counter)
    surprises: collections.Counter[str] = field(default_factory=collections.Counter)
    writing: asyncio.Lock = field(default_factory=asyncio.Lock)  # one write at a time
    rss: list[tuple[float, int]] = field(default_factory=list)  # (seconds, kB)
    largest: dict[str, int] = field(default_factory=dict)
    bounds: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.app.base_url + "/graphql"

    async def call(self, session: Any, query: str, variables: dict[str, Any] | None = None) -> Any:
        """A GraphQL POST that must succeed; returns its data."""
        body = json.dumps({"query": query, "variables": variables or {}})
        async with session.post(self.url, data=body, headers=self.headers()) as resp:
            raw = await resp.read()
        doc = json.loads(raw)
        if resp.status != 200 or doc.get("errors"):
            raise Failure(f"HTTP {resp.status}: {raw[:300]!r}")
        return doc["data"]

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token or self.token}",
            "Content-Type": "application/json",
        }


class Failure(Exception):
    pass


def layer(name: str, people: list[str], days: int) -> dict[str, Any]:
    return {
        "name": name,
        "start": "2026-01-05T09:00",
        "timezone": "Europe/London",
        "rotation": {"unit": "DAY", "length": days},
        "participants": [{"contactId": p} for p in people],
    }


async def set_up(t: Target, session: Any) -> None:
    """The demo schedules to read; a schedule of our own with one tier, people, layers,
    webhook destinations and a feed to write and fetch."""
    listed = await t.call(session, load_api.SCHEDULES)
    t.schedules = [e["node"]["id"] for e in listed["schedules"]["edges"]]
    for i in range(5):
        made = await t.call(
            session,
            "mutation($n: String!) { createContact(input: {name: $n}) { id } }",
            {"n": f"Soak person {i}"},
        )
        t.people.append(made["createContact"]["id"])
    made = await t.call(
        session,
        'mutation { createSchedule(input: {name: "Soak", tierCount: 1}) { id tiers { id } } }',
    )
    t.schedule = made["createSchedule"]["id"]
    t.tier = made["createSchedule"]["tiers"][0]["id"]
    await t.call(
        session,
        "mutation($t: ID!, $l: [LayerInput!]!) { setTierLayers(tierId: $t, layers: $l) { id } }",
        {"t": t.tier, "l": [layer("Base", t.people, 1)]},
    )
    for _ in range(3):
        t.destinations.append(await create_destination(t, session))
    feed = await t.call(
        session,
        "mutation($s: ID!) { createCalendarFeed(input: {scheduleId: $s}) { url } }",
        {"s": t.schedule},
    )
    t.feed_path = "/feeds/" + feed["createCalendarFeed"]["url"].split("/feeds/", 1)[1]


async def create_destination(t: Target, session: Any) -> str:
    made = await t.call(
        session,
        "mutation($i: CreateDestinationInput!) { createDestination(input: $i) { id } }",
        {
            "i": {
                "scheduleId": t.schedule,
                "name": f"hook {random.randrange(10**6)}",
                "kind": "WEBHOOK",
                "config": {"url": t.hook_url},
                "secrets": {"signingSecret": SIGNING_SECRET},
            }
        },
    )
    return str(made["createDestination"]["id"])


# --------------------------------------------------------------------------- operations


def window(rng: random.Random, most_days: int = 30) -> dict[str, str]:
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start += timedelta(days=rng.randrange(-30, 60), hours=rng.choice((0, 6, 12)))
    return {
        "from": start.isoformat(),
        "to": (start + timedelta(days=rng.randint(1, most_days))).isoformat(),
    }


async def read(t: Target, session: Any, rng: random.Random) -> None:
    choice = rng.random()
    if choice < 0.6:
        await t.call(session, load_api.Q1, {"id": rng.choice(t.schedules), **window(rng)})
    elif choice < 0.8:
        page = await t.call(
            session, "query($a: String) { contacts(first: 5, after: $a) { pageInfo { endCursor } "
            "nodes { name } } }", {"a": None}
        )  # fmt: skip
        cursor = page["contacts"]["pageInfo"]["endCursor"]
        await t.call(
            session,
            "query($a: String) { contacts(first: 5, after: $a) { nodes { name } } }",
            {"a": cursor},
        )
    elif choice < 0.9:
        await t.call(session, load_api.SCHEDULES)
    else:  # a text never sent before, as a fuzzer sends: parser and validation caches churn
        await t.call(session, f"{{ v{rng.randrange(10**9)}: viewer {{ role }} }}")


async def mutate(t: Target, session: Any, rng: random.Random) -> None:
    choice = rng.random()
    people = rng.sample(t.people, 3)
    if choice < 0.3:  # a layer created, updated, deleted
        made = await t.call(
            session,
            "mutation($t: ID!, $i: LayerInput!) { createLayer(tierId: $t, input: $i) { id } }",
            {"t": t.tier, "i": layer("Extra", people, rng.randint(1, 7))},
        )
        layer_id = made["createLayer"]["id"]
        await t.call(
            session,
            "mutation($id: ID!, $i: LayerInput!) { updateLayer(id: $id, input: $i) { id } }",
            {"id": layer_id, "i": layer("Extra", people[::-1], rng.randint(1, 7))},
        )
        await t.call(
            session, "mutation($id: ID!) { deleteLayer(id: $id) { deletedId } }", {"id": layer_id}
        )
    elif choice < 0.55:  # a substitution made and removed
        span = window(rng, 5)
        made = await t.call(
            session,
            "mutation($i: [CreateSubstitutionInput!]!) { createSubstitutions(inputs: $i) { id } }",
            {
                "i": [
                    {
                        "contactId": people[0],
                        "replacementId": people[1],
                        "between": span,
                        "scheduleId": t.schedule,
                    }
                ]
            },
        )
        ids = [s["id"] for s in made["createSubstitutions"]]
        await t.call(
            session,
            "mutation($ids: [ID!]!) { deleteSubstitutions(ids: $ids) { id } }",
            {"ids": ids},
        )
    elif choice < 0.8:  # an on-demand shift made and removed
        span = window(rng, 2)
        made = await t.call(
            session,
            "mutation($i: CreateOnDemandShiftInput!) { createOnDemandShift(input: $i) { id } }",
            {"i": {"tierId": t.tier, "start": span["from"], "end": span["to"],
                   "contactIds": people[:1], "sure": True}},
        )  # fmt: skip
        await t.call(
            session,
            "mutation($id: ID!) { deleteOnDemandShift(id: $id) { deletedId } }",
            {"id": made["createOnDemandShift"]["id"]},
        )
    else:  # the layers replaced at once
        await t.call(
            session,
            "mutation($t: ID!, $l: [LayerInput!]!) { setTierLayers(tierId: $t, layers: $l) { id } }",
            {"t": t.tier, "l": [layer("Base", people, rng.randint(1, 3))]},
        )


async def export(t: Target, session: Any, rng: random.Random) -> None:
    if rng.random() < 0.2:  # a destination replaced: the oldest goes, a new one comes
        gone = t.destinations.pop(0)
        t.destinations.append(await create_destination(t, session))
        await t.call(
            session, "mutation($id: ID!) { deleteDestination(id: $id) { deletedId } }", {"id": gone}
        )
        return
    await t.call(
        session,
        "mutation($id: ID!) { exportDestination(id: $id) { id status } }",
        {"id": rng.choice(t.destinations)},
    )


async def feed(t: Target, session: Any, rng: random.Random) -> None:
    async with session.get(t.app.base_url + t.feed_path) as resp:
        body = await resp.read()
    if resp.status != 200 or not body.startswith(b"BEGIN:VCALENDAR"):
        raise Failure(f"feed: HTTP {resp.status}: {body[:200]!r}")


def over_cost() -> str:
    far = "2026-01-01T00:00:00Z", "2026-12-31T00:00:00Z"
    return (
        "{ schedules(first: 100) { edges { node { tiers { shifts(from: "
        f'"{far[0]}", to: "{far[1]}") {{ start }} }} }} }} }} }}'
    )


MALFORMED: list[tuple[str, Any, str | None]] = [  # (what, body, token) -> a 4xx or an error
    ("bad JSON", b'{"query": "{ viewer { role } ', None),
    ("bad variables", {"query": load_api.Q1, "variables": {"id": 1, "from": "soon"}}, None),
    ("over cost", {"query": over_cost()}, None),
    ("bad cursor", {"query": '{ contacts(first: 2, after: "not-a-cursor") { nodes { name } } }'},
     None),
    ("unknown field", {"query": "{ viewer { nope } }"}, None),
    ("unknown field, new text", None, None),
    ("syntax", {"query": "{ viewer { role "}, None),
    ("bad token", {"query": "{ viewer { role } }"}, "rg_not_a_token"),
]  # fmt: skip


async def malformed(t: Target, session: Any, rng: random.Random) -> str:
    what, body, token = rng.choice(MALFORMED)
    if body is None:
        body = {"query": f"{{ viewer {{ nope{rng.randrange(10**9)} }} }}"}
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with session.post(t.url, data=data, headers=t.headers(token)) as resp:
        raw = await resp.read()
    if resp.status >= 500:
        raise Failure(f"{what}: HTTP {resp.status}: {raw[:200]!r}")
    with contextlib.suppress(ValueError):
        errors = json.loads(raw).get("errors") or []
        codes = {e.get("extensions", {}).get("code") for e in errors}
        if not errors or None in codes or "INTERNAL_SERVER_ERROR" in codes:
            raise Failure(f"{what}: not refused with a code: {raw[:200]!r}")
    return what


async def write(t: Target, session: Any, rng: random.Random) -> None:
    """Mutations one at a time: concurrent ones on one tier would undo each other's layers."""
    async with t.writing:
        await mutate(t, session, rng)


async def export_alone(t: Target, session: Any, rng: random.Random) -> None:
    async with t.writing:
        await export(t, session, rng)


OPERATIONS = {"read": (read, 50), "mutate": (write, 20), "export": (export_alone, 8),
              "feed": (feed, 10), "malformed": (malformed, 12)}  # fmt: skip


async def subscriber(t: Target, rng: random.Random) -> None:
    """Connects, subscribes, listens a few seconds, then leaves politely or drops the line."""
    import websockets

    ws_url = "ws" + t.url.removeprefix("http")
    async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {t.token}"}}
        await ws.send(json.dumps(init))
        if json.loads(await ws.recv())["type"] != "connection_ack":
            raise Failure("no connection_ack")
        query = rng.choice(SUBSCRIPTIONS)
        payload = {"query": query, "variables": {"s": t.schedule}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(rng.uniform(1, 15)):
                while True:
                    message = json.loads(await ws.recv())
                    if message["type"] == "ping":
                        await ws.send(json.dumps({"type": "pong"}))
                    elif message["type"] == "error":
                        raise Failure(f"subscription error: {message}")
        if rng.random() < 0.5:
            await ws.send(json.dumps({"id": "1", "type": "complete"}))
        else:
            ws.transport.abort()  # gone without a goodbye


# --------------------------------------------------------------------------- driving


async def record(t: Target, kind: str, op: Any) -> None:
    try:
        detail = await op
        t.outcomes[(kind, detail if isinstance(detail, str) else "ok")] += 1
    except Exception as exc:  # counted and shown; the soak goes on
        t.outcomes[(kind, "FAILED")] += 1
        t.surprises[f"{kind}: {exc!r}"[:300]] += 1


async def traffic(t: Target, args: argparse.Namespace, stop_at: float, seed: int) -> None:
    import aiohttp

    rng = random.Random(seed)
    kinds = list(OPERATIONS)
    weights = [OPERATIONS[k][1] for k in kinds]
    slots = asyncio.Semaphore(args.in_flight)
    running: set[asyncio.Task[None]] = set()

    async def one(kind: str, session: aiohttp.ClientSession) -> None:
        async with slots:
            await record(t, kind, OPERATIONS[kind][0](t, session, rng))

    async def subscriptions() -> None:
        while time.monotonic() < stop_at:
            if sum(1 for task in running if task.get_name() == "sub") < args.subscribers:
                task = asyncio.create_task(record(t, "subscribe", subscriber(t, rng)), name="sub")
                running.add(task)
                task.add_done_callback(running.discard)
            await asyncio.sleep(0.5)

    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        churn = asyncio.create_task(subscriptions())
        tick = 1 / args.rate
        next_at = time.monotonic()
        while next_at < stop_at:
            if len(running) < args.in_flight * 4 + args.subscribers:  # a slow server sheds load
                task = asyncio.create_task(one(rng.choices(kinds, weights)[0], session))
                running.add(task)
                task.add_done_callback(running.discard)
            next_at += tick
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        await churn
        await asyncio.gather(*running, return_exceptions=True)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


async def cache_gauges(t: Target) -> dict[str, int]:
    import aiohttp

    headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    async with aiohttp.ClientSession() as session:
        async with session.get(t.app.base_url + "/metrics", headers=headers) as resp:
            text = await resp.text()
    gauges = {}
    for line in text.splitlines():
        name, _, value = line.rpartition(" ")
        gauges[name.removeprefix("rotagraph_")] = int(float(value))
    return gauges


async def sample(targets: list[Target], began: float, stop_at: float, every: float) -> None:
    while True:
        elapsed = time.monotonic() - began
        for t in targets:
            t.rss.append((elapsed, rss_kb(t.app.pid)))
            gauges = await cache_gauges(t)
            for bound in (name for name in gauges if "_max_" in name):
                size = bound.replace("_max_", "_", 1)  # every cache's size next to its bound
                if size in gauges:
                    t.largest[size] = max(t.largest.get(size, 0), gauges[size])
                    t.bounds[size] = gauges[bound]
        line = "  ".join(f"{t.backend} {t.rss[-1][1] / 1024:7.1f} MB" for t in targets)
        print(f"[{elapsed:6.0f} s] RSS  {line}", flush=True)
        if time.monotonic() >= stop_at:
            return
        await asyncio.sleep(min(every, max(0.0, stop_at - time.monotonic())))


@contextlib.asynccontextmanager
async def serving(backend: str, args: argparse.Namespace, hook_url: str) -> Any:
    """A fresh database with the demo data and the app under uvicorn, jobs on; a Target."""
    async with lib.fresh_database(
        backend,
        pg_admin_url=args.pg_admin_url,
        pg_database=f"rotagraph_soak_{os.getpid()}",  # two soaks side by side never collide
    ) as db:
        token = await load_api.load_demo(db, argparse.Namespace(schema="auto"))
        env = {
            "RUN_JOBS": "true",
            "EXPORT_POLL_SECONDS": "1",
            "METRICS_TOKEN": METRICS_TOKEN,
            "ALLOW_PRIVATE_ADDRESSES": "true",
            **CACHE_ENV,
        }
        async with load_api.app_server(db.url, **env) as app:
            yield Target(backend, app, token, hook_url)


def at_or_after(samples: list[tuple[float, int]], seconds: float) -> tuple[float, int]:
    return next((s for s in samples if s[0] >= seconds), samples[-1])


def report(targets: list[Target], receiver_count: int, args: argparse.Namespace) -> bool:
    header = ["seconds", *(f"{t.backend} RSS MB" for t in targets)]
    rows = [
        [f"{t0:.0f}", *(f"{t.rss[i][1] / 1024:.1f}" for t in targets)]
        for i, (t0, _) in enumerate(targets[0].rss)
        if all(len(t.rss) > i for t in targets)
    ]
    print(lib.render_table(header, rows))
    print()
    good = True
    for t in targets:
        mark, first = at_or_after(t.rss, 60.0)
        end = t.rss[-1][1]
        ratio = end / first
        good &= ratio <= GOAL_RATIO
        print(
            f"{t.backend}: RSS {first / 1024:.1f} MB at {mark:.0f} s (after the first minute), "
            f"{end / 1024:.1f} MB at the end: {ratio:.3f}x (goal <= {GOAL_RATIO}x: "
            f"{'met' if ratio <= GOAL_RATIO else 'NOT met'})"
        )
    print()
    rows = []
    for t in targets:
        for size, largest in sorted(t.largest.items()):
            bound = t.bounds[size]
            within = bound < 0 or largest <= bound
            good &= within
            rows.append([t.backend, size, str(largest), str(bound), "yes" if within else "NO"])
    print(lib.render_table(["backend", "cache gauge", "largest seen", "bound", "within"], rows))
    print()
    kinds = sorted({key for t in targets for key in t.outcomes})
    rows = [[k, o, *(str(t.outcomes[(k, o)]) for t in targets)] for k, o in kinds]
    print(lib.render_table(["operation", "outcome", *(t.backend for t in targets)], rows))
    print(f"webhook deliveries received: {receiver_count}")
    for t in targets:
        for surprise, times in t.surprises.most_common(10):
            print(f"[{t.backend}] {times} x {surprise}")
        if t.surprises:
            print(f"[{t.backend}] the server's log ends with:\n{t.app.output()}")
    return good


async def main_async(args: argparse.Namespace) -> bool:
    async with contextlib.AsyncExitStack() as stack:
        hook_url, received = await stack.enter_async_context(webhook_receiver())
        targets = []
        for backend in args.backends:
            targets.append(await stack.enter_async_context(serving(backend, args, hook_url)))
        import aiohttp

        async with aiohttp.ClientSession() as session:
            for t in targets:
                await set_up(t, session)
        print(f"servers ready: {', '.join(f'{t.backend} pid {t.app.pid}' for t in targets)}")
        began = time.monotonic()
        stop_at = began + args.minutes * 60
        await asyncio.gather(
            sample(targets, began, stop_at, args.sample),
            *(traffic(t, args, stop_at, seed=i) for i, t in enumerate(targets)),
        )
        for t in targets:  # the last word after the traffic has drained
            t.rss.append((time.monotonic() - began, rss_kb(t.app.pid)))
        print()
        print(
            f"{args.minutes:g} minutes at {args.rate:g} operations/s per backend (at most "
            f"{args.in_flight} in flight), {args.subscribers} subscribers churning; "
            f"cache bounds {' '.join(f'{k}={v}' for k, v in CACHE_ENV.items())}"
        )
        print(f"machine: {lib.machine_line()}")
        return report(targets, received[0], args)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=10.0, help="traffic duration (10)")
    p.add_argument(
        "--backends",
        type=lambda raw: [b.strip() for b in raw.split(",") if b.strip()],
        default=["sqlite", "postgres"],
        help="(sqlite,postgres), run side by side",
    )
    p.add_argument("--rate", type=float, default=10.0, help="operations/s per backend (10)")
    p.add_argument("--in-flight", type=int, default=8, help="requests at once per backend (8)")
    p.add_argument("--subscribers", type=int, default=10, help="WebSockets open at once (10)")
    p.add_argument("--sample", type=float, default=10.0, help="seconds between samples (10)")
    p.add_argument(
        "--pg-admin-url",
        default=os.environ.get("LOAD_PG_ADMIN_URL", lib.DEFAULT_PG_ADMIN_URL),
        help="PostgreSQL URL used only to create and drop the database 'rotagraph_soak_<pid>'",
    )
    args = p.parse_args(argv)
    for b in args.backends:
        if b not in ("sqlite", "postgres"):
            p.error(f"unknown backend {b!r}")
    return args


def main() -> int:
    args = parse_args()
    try:
        good = asyncio.run(main_async(args))
    except KeyboardInterrupt:
        return 130
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
