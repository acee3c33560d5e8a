"""Load benchmark of the GraphQL API (a script, not a test): python scripts/load_api.py

For each backend (SQLite, PostgreSQL) a fresh database gets the migrations and the demo data
through the `rotagraph` CLI, the app runs under uvicorn in a subprocess (RUN_JOBS=false), and
Q1 — the 30-day shifts of every tier of the demo schedule with the most tiers — is measured as:

  (a) cold: Q1 through the whole stack (HTTP, auth, Strawberry, DataLoaders, SQL, engine). There
      is no response cache: every response is computed. The app's own timeline cache (keyed by
      the tier's data version) stays on, as it is part of the app.
  (b) HTTP floor: a bare Starlette route under uvicorn returning the exact bytes of a Q1
      response captured from (a).
  (d) cached: Q1 repeated with unchanged data through the response cache (a second app
      process on the same database with RESPONSE_CACHE_ENTRIES on): after the first request
      every answer is the stored bytes, proven current by the organization's data version.
  (c) executor floor: graphql-core's graphql() executing the Q1 document in this process over
      a graphql-core schema built from a minimal SDL, default resolvers, plain dicts holding
      the same data as the Q1 response.

(a) runs with RESPONSE_CACHE_ENTRIES=0 (the cache is on by default since the response cache
landed). (a), (b) and (d) are driven by one aiohttp ClientSession (connector limit = concurrency) at each
concurrency for a fixed time after a warm-up; every response must be 200 and carry the same
data as the first. The client runs on the same machine as the server, so on a small machine
it competes for CPU with it (the same for (a) and (b)).

Options: --seconds, --warmup, --backends, --concurrency, --executor-seconds, --pg-admin-url,
--json PATH (the measurements as JSON, for comparisons).

Extending: an HTTP column is a ``Target`` (a label and an async context manager that serves
the Q1 request and yields its URL, given the prepared ``Workload``); add one to ``TARGETS``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _loadlib as lib

Q1 = (
    "query Q1($id: ID!, $from: DateTime!, $to: DateTime!) { schedule(id: $id) { tiers "
    "{ shifts(from: $from, to: $to) { start end assignees { name } } } } }"
)
SCHEDULES = "query { schedules(first: 100) { edges { node { id name tiers { id } } } } }"
WINDOW_DAYS = 30

# The executor floor's schema: just the fields Q1 touches, resolved by graphql-core's default
# resolver (dict lookups); DateTime values are the response's strings (identity serializer).
FLOOR_SDL = """
scalar DateTime
type Query { schedule(id: ID!): Schedule }
type Schedule { tiers: [Tier!]! }
type Tier { shifts(from: DateTime!, to: DateTime!): [Shift!]! }
type Shift { start: DateTime! end: DateTime! assignees: [Contact!]! }
type Contact { name: String! }
"""


# --------------------------------------------------------------------------- workload


@dataclass
class Workload:
    """One backend's prepared database, running app and Q1 request."""

    backend: str
    database_url: str
    app: lib.Server
    token: str
    schedule_id: str
    schedule_name: str
    variables: dict[str, Any]
    body: bytes
    headers: dict[str, str]
    reference: bytes  # the first Q1 response, byte for byte
    reference_data: dict[str, Any]

    @property
    def graphql_url(self) -> str:
        return self.app.base_url + "/graphql"

    @property
    def shift_count(self) -> int:
        return sum(len(t["shifts"]) for t in self.reference_data["schedule"]["tiers"])

    def check(self) -> lib.Check:
        expected = self.reference_data

        def same_data(body: bytes) -> bool:
            try:
                doc = json.loads(body)
            except ValueError:
                return False
            return "errors" not in doc and doc.get("data") == expected

        return lib.same_body_as(self.reference, same_data=same_data)


def app_server(database_url: str, **env: str) -> lib.Server:
    """The Rotagraph app under uvicorn (factory), background jobs off, no response cache
    unless ``env`` turns it on."""
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


async def graphql_call(
    url: str, token: str, query: str, variables: dict[str, Any] | None = None
) -> tuple[bytes, dict[str, Any]]:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    status, raw = await lib.post_once(url, body, _headers(token))
    doc = json.loads(raw) if raw else {}
    if status != 200 or doc.get("errors"):
        raise RuntimeError(f"GraphQL call failed: HTTP {status}: {raw[:500]!r}")
    return raw, doc["data"]


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def q1_window(now: datetime) -> tuple[datetime, datetime]:
    """A fixed 30-day window starting at today's UTC midnight."""
    start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=WINDOW_DAYS)


WARNINGS: list[str] = []


async def load_demo(db: lib.Database, args: argparse.Namespace) -> str:
    """`rotagraph migrate` then `rotagraph demo`; returns the demo ADMIN token.

    If the migrations fail or lag behind the models (so the demo cannot load), the database is
    emptied, the tables are generated from the models instead and the demo loaded again; a
    warning is printed with the table (--schema migrate makes that an error instead).
    """
    if args.schema == "generate":
        lib.generate_schemas(db.url)
        return lib.token_from_output(lib.run_cli(["demo"], database_url=db.url))
    try:
        lib.run_cli(["migrate"], database_url=db.url)
        return lib.token_from_output(lib.run_cli(["demo"], database_url=db.url))
    except RuntimeError as exc:
        if args.schema == "migrate":
            raise
        warning = (
            f"WARNING [{db.backend}]: migrations unusable ({exc}); tables generated from the "
            "models instead"
        )
        WARNINGS.append(warning)
        print(warning, flush=True)
    await db.reset()
    lib.generate_schemas(db.url)
    return lib.token_from_output(lib.run_cli(["demo"], database_url=db.url))


@contextlib.asynccontextmanager
async def prepared(backend: str, args: argparse.Namespace) -> AsyncIterator[Workload]:
    """Fresh database, migrations and demo data via the CLI, the app running, Q1 chosen."""
    async with lib.fresh_database(backend, pg_admin_url=args.pg_admin_url) as db:
        token = await load_demo(db, args)
        async with app_server(db.url) as app:
            url = app.base_url + "/graphql"
            _, listed = await graphql_call(url, token, SCHEDULES)
            start, end = q1_window(datetime.now(UTC))
            window = {"from": start.isoformat(), "to": end.isoformat()}
            # The schedule with the most tiers; on a tie, the one with the most shifts in Q1.
            best: tuple[int, int, str, str, bytes, dict[str, Any]] | None = None
            for edge in listed["schedules"]["edges"]:
                node = edge["node"]
                variables = {"id": node["id"], **window}
                raw, data = await graphql_call(url, token, Q1, variables)
                shifts = sum(len(t["shifts"]) for t in data["schedule"]["tiers"])
                key = (len(node["tiers"]), shifts)
                if best is None or key > best[:2]:
                    best = (*key, node["id"], node["name"], raw, data)
            if best is None:
                raise RuntimeError("the demo data has no schedules")
            _, _, schedule_id, name, _, _ = best
            variables = {"id": schedule_id, **window}
            body = json.dumps({"query": Q1, "variables": variables}).encode()
            # The reference is captured with the exact request body the load sends.
            status, reference = await lib.post_once(url, body, _headers(token))
            doc = json.loads(reference)
            if status != 200 or doc.get("errors"):
                raise RuntimeError(f"Q1 failed: HTTP {status}: {reference[:500]!r}")
            yield Workload(
                backend=backend,
                database_url=db.url,
                app=app,
                token=token,
                schedule_id=schedule_id,
                schedule_name=name,
                variables=variables,
                body=body,
                headers=_headers(token),
                reference=reference,
                reference_data=doc["data"],
            )


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Served:
    url: str  # where to POST Q1
    pid: int  # the serving process, for its CPU time


@dataclass(frozen=True)
class Target:
    """An HTTP column of the table: ``serve(workload)`` yields where Q1 is served."""

    key: str
    label: str
    serve: Callable[[Workload], contextlib.AbstractAsyncContextManager[Served]]


@contextlib.asynccontextmanager
async def serve_cold(w: Workload) -> AsyncIterator[Served]:
    # The app started by prepared(): no response cache exists, each response is computed.
    yield Served(w.graphql_url, w.app.pid)


@contextlib.asynccontextmanager
async def serve_http_floor(w: Workload) -> AsyncIterator[Served]:
    async with lib.static_server(w.reference) as server:
        yield Served(server.base_url + "/graphql", server.pid)


@contextlib.asynccontextmanager
async def serve_cached(w: Workload) -> AsyncIterator[Served]:
    # Another app process on the same database, response cache on: Q1 with unchanged data.
    async with app_server(w.database_url, RESPONSE_CACHE_ENTRIES="2000") as app:
        url = app.base_url + "/graphql"
        status, first = await lib.post_once(url, w.body, w.headers)
        if status != 200 or json.loads(first).get("data") != w.reference_data:
            raise RuntimeError(f"cached Q1 disagrees with the reference: HTTP {status}")
        yield Served(url, app.pid)


TARGETS: list[Target] = [
    Target("a", "(a) cold Q1", serve_cold),
    Target("b", "(b) HTTP floor", serve_http_floor),
    Target("d", "(d) cached Q1", serve_cached),
]


# --------------------------------------------------------------------------- executor floor


async def executor_floor(
    w: Workload, *, seconds: float, warmup: float, execute_only: bool = False
) -> lib.LoopResult:
    """(c): graphql-core's graphql() (parse + validate + execute) over plain dicts holding the
    Q1 response's data. ``execute_only``: graphql-core's execute() on a pre-parsed document,
    for reference (the app caches parsed and validated documents, bounded in entries)."""
    from graphql import build_schema, execute, graphql, parse

    schema = build_schema(FLOOR_SDL)
    root = {"schedule": w.reference_data["schedule"]}
    document = parse(Q1)

    async def op() -> Any:
        if execute_only:
            return execute(schema, document, root_value=root, variable_values=w.variables)
        return await graphql(schema, Q1, root_value=root, variable_values=w.variables)

    first = await op()
    if first.errors or first.data != w.reference_data:
        raise RuntimeError(f"executor floor disagrees with Q1: {first.errors or first.data}")
    return await lib.time_loop(op, seconds=seconds, warmup=warmup)


# --------------------------------------------------------------------------- run


@dataclass
class BackendResult:
    backend: str
    schedule: str
    shifts: int
    response_bytes: int
    http: dict[str, dict[int, lib.LoadResult]] = field(default_factory=dict)
    floor: lib.LoopResult | None = None
    floor_execute_only: lib.LoopResult | None = None


async def bench_backend(backend: str, args: argparse.Namespace) -> BackendResult:
    async with prepared(backend, args) as w:
        result = BackendResult(backend, w.schedule_name, w.shift_count, len(w.reference))
        print(
            f"[{backend}] schedule {w.schedule_name!r}: {len(w.reference_data['schedule']['tiers'])}"
            f" tiers, {w.shift_count} shifts, {len(w.reference)} response bytes; "
            f"window {w.variables['from']} .. {w.variables['to']}",
            flush=True,
        )
        for target in TARGETS:
            async with target.serve(w) as served:
                for c in args.concurrency:
                    r = await lib.drive(
                        served.url,
                        server_pid=served.pid,
                        body=w.body,
                        headers=w.headers,
                        concurrency=c,
                        seconds=args.seconds,
                        warmup=args.warmup,
                        check=w.check(),
                    )
                    result.http.setdefault(target.key, {})[c] = r
                    print(
                        f"[{backend}] {target.label:<16} c={c:<3} {r.rps:8.1f} req/s  "
                        f"p50 {lib.fmt(r.p50, 2)} ms  p99 {lib.fmt(r.p99, 2)} ms  "
                        f"server CPU {lib.fmt(r.cpu_ms_per_request, 2)} ms/req"
                        + (f"  FAILURES {r.failures}: {r.first_failure}" if r.failures else ""),
                        flush=True,
                    )
                    if r.failures:
                        raise RuntimeError(
                            f"{target.label} at c={c}: {r.failures} bad responses, first: "
                            f"{r.first_failure}"
                        )
        result.floor = await executor_floor(w, seconds=args.executor_seconds, warmup=args.warmup)
        exe = await executor_floor(
            w, seconds=args.executor_seconds, warmup=args.warmup, execute_only=True
        )
        result.floor_execute_only = exe
        print(
            f"[{backend}] (c) executor floor: {result.floor.ops_per_s:.1f} ops/s "
            f"({result.floor.ms_per_op:.2f} ms/op, {result.floor.cpu_ms_per_op:.2f} ms CPU); "
            f"execute() alone on a parsed document: {exe.ops_per_s:.1f} ops/s "
            f"({exe.ms_per_op:.2f} ms/op, {exe.cpu_ms_per_op:.2f} ms CPU)",
            flush=True,
        )
    return result


def report(results: Sequence[BackendResult]) -> str:
    keys = [t.key for t in TARGETS]
    header = ["backend", "conc"]
    for t in TARGETS:
        header += [
            f"({t.key}) req/s",
            f"({t.key}) p50 ms",
            f"({t.key}) p99 ms",
            f"({t.key}) cpu ms",
        ]
    header += ["(c) ops/s", "(c) ms/op", "(c) cpu ms"]
    rows = []
    for r in results:
        assert r.floor is not None
        for c in sorted(next(iter(r.http.values()))):
            row = [r.backend, str(c)]
            for k in keys:
                m = r.http[k][c]
                row += [
                    lib.fmt(m.rps),
                    lib.fmt(m.p50, 2),
                    lib.fmt(m.p99, 2),
                    lib.fmt(m.cpu_ms_per_request, 2),
                ]
            row += [
                lib.fmt(r.floor.ops_per_s),
                lib.fmt(r.floor.ms_per_op, 2),
                lib.fmt(r.floor.cpu_ms_per_op, 2),
            ]
            rows.append(row)
    lines = [
        lib.render_table(header, rows),
        "cpu ms = CPU time per request of the serving process (all threads; PostgreSQL's own "
        "processes not included), or per op of (c) in this process. On a busy machine wall "
        "times swing with other load; CPU times much less.",
        "",
    ]
    for r in results:
        assert r.floor is not None
        a, b = r.http["a"], r.http["b"]
        lines.append(
            f"(a)/(c) {r.backend}: "
            + ", ".join(f"c={c} {100 * a[c].rps / r.floor.ops_per_s:.0f}%" for c in sorted(a))
            + "  (goal >= 50%)"
        )
    for r in results:
        assert r.floor is not None
        a = r.http["a"]
        ratios = {c: r.floor.cpu_ms_per_op / a[c].cpu_ms_per_request for c in sorted(a)}
        lines.append(
            f"(a)/(c) by CPU per request {r.backend}: "
            + ", ".join(f"c={c} {100 * v:.0f}%" for c, v in ratios.items())
            + f"  (goal >= 80%: {'met' if min(ratios.values()) >= 0.8 else 'NOT met'})"
        )
    for r in results:
        a, b = r.http["a"], r.http["b"]
        lines.append(
            f"(a)/(b) {r.backend}: "
            + ", ".join(f"c={c} {100 * a[c].rps / b[c].rps:.0f}%" for c in sorted(a))
        )
    for r in results:
        if "d" not in r.http:
            continue
        d, b = r.http["d"], r.http["b"]
        lines.append(
            f"(d)/(b) {r.backend}: "
            + ", ".join(f"c={c} {100 * d[c].rps / b[c].rps:.0f}%" for c in sorted(d))
            + "  (goal >= 50% at c=10 and c=50: "
            + ", ".join(
                f"c={c} {'met' if d[c].rps >= 0.5 * b[c].rps else 'NOT met'}"
                for c in (10, 50)
                if c in d
            )
            + ")"
        )
    for r in results:
        a = r.http["a"]
        if 10 in a:
            verdict = "met" if a[10].p50 <= 15 else "NOT met"
            lines.append(f"p50 (a) c=10 {r.backend}: {a[10].p50:.2f} ms (goal <= 15 ms: {verdict})")
    return "\n".join(lines)


def to_json(results: Sequence[BackendResult]) -> dict[str, Any]:
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg": os.getloadavg(),
        },
        "backends": [
            {
                "backend": r.backend,
                "schedule": r.schedule,
                "shifts": r.shifts,
                "response_bytes": r.response_bytes,
                "http": {
                    k: {
                        str(c): {
                            "rps": m.rps,
                            "p50_ms": m.p50,
                            "p99_ms": m.p99,
                            "n": m.requests,
                            "server_cpu_ms_per_request": m.cpu_ms_per_request,
                        }
                        for c, m in by_c.items()
                    }
                    for k, by_c in r.http.items()
                },
                "executor_floor": {
                    "ops_per_s": r.floor.ops_per_s,
                    "ms_per_op": r.floor.ms_per_op,
                    "cpu_ms_per_op": r.floor.cpu_ms_per_op,
                }
                if r.floor
                else None,
                "execute_only": {
                    "ops_per_s": r.floor_execute_only.ops_per_s,
                    "ms_per_op": r.floor_execute_only.ms_per_op,
                }
                if r.floor_execute_only
                else None,
            }
            for r in results
        ],
    }


def _csv(kind: Callable[[str], Any]) -> Callable[[str], list[Any]]:
    return lambda raw: [kind(p.strip()) for p in raw.split(",") if p.strip()]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=5.0, help="measured seconds per load (5)")
    p.add_argument("--warmup", type=float, default=1.0, help="uncounted seconds first (1)")
    p.add_argument(
        "--backends", type=_csv(str), default=["sqlite", "postgres"], help="(sqlite,postgres)"
    )
    p.add_argument(
        "--concurrency", type=_csv(int), default=[1, 10, 50], help="requests in flight (1,10,50)"
    )
    p.add_argument(
        "--executor-seconds", type=float, default=3.0, help="measured seconds of (c) (3)"
    )
    p.add_argument(
        "--pg-admin-url",
        default=os.environ.get("LOAD_PG_ADMIN_URL", lib.DEFAULT_PG_ADMIN_URL),
        help="PostgreSQL URL used only to create and drop the database "
        f"{lib.BENCH_PG_DATABASE!r} (default: LOAD_PG_ADMIN_URL or {lib.DEFAULT_PG_ADMIN_URL})",
    )
    p.add_argument(
        "--schema",
        choices=["auto", "migrate", "generate"],
        default="auto",
        help="how tables are made: the CLI's migrations, Tortoise.generate_schemas, or "
        "migrations falling back to generate_schemas with a warning (auto, the default)",
    )
    p.add_argument("--json", metavar="PATH", help="also write the measurements as JSON")
    args = p.parse_args(argv)
    for b in args.backends:
        if b not in ("sqlite", "postgres"):
            p.error(f"unknown backend {b!r}")
    if not args.concurrency or min(args.concurrency) < 1:
        p.error("--concurrency needs positive integers")
    return args


async def main_async(args: argparse.Namespace) -> list[BackendResult]:
    return [await bench_backend(backend, args) for backend in args.backends]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.monotonic()
    before = lib.machine_line()
    print(f"before: {before}", flush=True)
    try:
        results = asyncio.run(main_async(args))
    except KeyboardInterrupt:
        return 130
    except RuntimeError as exc:  # a failed step: say which, the servers are already stopped
        print(f"load_api: {exc}", file=sys.stderr)
        return 1
    print()
    print(
        f"Q1 over {WINDOW_DAYS} days; {args.warmup:g} s warm-up + {args.seconds:g} s per load; "
        f"Python {platform.python_version()}"
    )
    print(f"machine before: {before}")
    print(f"machine after:  {lib.machine_line()}")
    print(report(results))
    for warning in WARNINGS:
        print(warning)
    print(f"(total {time.monotonic() - began:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(to_json(results), indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
