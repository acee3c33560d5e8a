"""Benchmark of exports (a script, not a test): python scripts/bench_exports.py [--postgres]

1,000 WEBHOOK destinations (100 schedules x 10 by default), each fed 28 days of confirmed
daily shifts, exported at once by one pass of the export worker (batches of
settings.export_concurrency x 5, at most export_concurrency requests at once) over its one
aiohttp session to a local aiohttp receiver running in a separate process.

Prints the total time (goal <= 10 s) and figures that do not depend on the machine's load:
the SQL statements of the whole pass per export (queueing, claiming, planning, recording,
statuses, job rows; --statements lists them by kind and table) and the CPU time of this
process per export (the receiver runs in its own process). Loopback only; the receiver
process and the database are removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import logging
import multiprocessing
import re
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GOAL_SECONDS = 10.0
SECRET = "bench-signing-secret-0000"
NOTIFY = "NOTIFY (a published event, PostgreSQL)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_receiver(port: int, ready: Any, count: Any) -> None:
    """A webhook receiver in its own process: answers 200 and counts deliveries."""
    from aiohttp import web

    async def hook(request: web.Request) -> web.Response:
        await request.read()
        with count.get_lock():
            count.value += 1
        return web.json_response({"ok": True})

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/hook", hook)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, backlog=2048).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


class StatementCounter(logging.Handler):
    """Counts the SQL statements Tortoise sends, by verb and table."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.kinds: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        sql = str(args[0] if isinstance(args, tuple) and args else record.msg).lstrip()
        verb = sql.split(" ", 1)[0].upper()
        if "pg_notify" in sql:
            self.kinds[NOTIFY] += 1
        elif verb in {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"}:
            table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql, re.IGNORECASE)
            self.kinds[f"{verb} {table.group(1) if table else '?'}"] += 1


async def bench(args: argparse.Namespace, url: str, hook_url: str, count: Any) -> dict[str, Any]:
    from app import clock, versions
    from app.destinations import models as destination_models
    from app.destinations import service, worker
    from tests.support import prepare_database, running_app
    from tests.timelines.factories import contacts, schedule, set_layers, weekly

    backend = "postgres" if args.postgres else "sqlite"
    url = await prepare_database(backend, Path(url))
    create = """mutation($i: CreateDestinationInput!) { createDestination(input: $i) { id } }"""
    async with running_app(url, backend, export_concurrency=args.concurrency) as api:
        clock.use(api.clock)
        setup_started = time.perf_counter()
        people = await contacts(api, *[f"Person {i}" for i in range(7)])
        for n in range(args.schedules):
            s = await schedule(api, f"Schedule {n}", horizon=28)
            await set_layers(
                api, s["tiers"][0]["id"], [weekly("Daily", "2026-02-01T00:00", people, unit="DAY")]
            )
            await api.ok(
                "mutation($s: ID!) { confirmAssignments(scheduleId: $s) { newAssignment } }",
                {"s": s["id"]},
            )
            for d in range(args.per_schedule):
                await api.ok(
                    create,
                    {
                        "i": {
                            "scheduleId": s["id"],
                            "name": f"hook {d}",
                            "kind": "WEBHOOK",
                            "autoExport": False,
                            "config": {"url": hook_url},
                            "secrets": {"signingSecret": SECRET},
                        }
                    },
                )
        setup_seconds = time.perf_counter() - setup_started
        ids = list(await destination_models.Destination.all().values_list("id", flat=True))
        await service.request_export(org_id=api.org_id, destination_ids=ids, now=api.clock.now())

        counter = StatementCounter()
        logger = logging.getLogger("tortoise.db_client")
        logger.addHandler(counter)
        logger.setLevel(logging.DEBUG)
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        try:
            # The worker runs in a task of its own in the app: no request's context.
            context = contextvars.copy_context()
            context.run(versions.writing, None)  # type: ignore[arg-type]
            cpu_started = time.process_time()
            started = time.perf_counter()
            exported = await asyncio.create_task(worker.run_due(), context=context)
            total = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
        finally:
            logger.removeHandler(counter)
            if profiler is not None:
                import pstats

                profiler.disable()
                pstats.Stats(profiler).sort_stats(args.profile).print_stats(25)
        rows = await destination_models.Destination.all().values_list("status", "exported_until")
        shifts = await destination_models.Delivery.all().values_list("shift_count", flat=True)
    return {
        "backend": backend,
        "destinations": len(ids),
        "exported": exported,
        "ok": sum(1 for status, _ in rows if status == "OK"),
        "deliveries": count.value,
        "shifts_per_export": statistics.mean(shifts) if shifts else 0,
        "setup": setup_seconds,
        "total": total,
        "cpu": cpu,
        "statements": counter.kinds,
        "concurrency": args.concurrency,
        "batch": worker.batch_size(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--schedules", type=int, default=100)
    parser.add_argument("--per-schedule", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=20, help="settings.export_concurrency")
    parser.add_argument(
        "--postgres", action="store_true", help="TEST_DATABASE_URL or the local test database"
    )
    parser.add_argument(
        "--profile", choices=["tottime", "cumulative"], help="cProfile the timed part"
    )
    parser.add_argument(
        "--statements", action="store_true", help="list the statements per export by kind"
    )
    args = parser.parse_args()

    ctx = multiprocessing.get_context("spawn")
    ready, count = ctx.Event(), ctx.Value("i", 0)
    port = free_port()
    receiver = ctx.Process(target=run_receiver, args=(port, ready, count), daemon=True)
    receiver.start()
    try:
        if not ready.wait(15):
            raise SystemExit("the receiver did not start")
        with tempfile.TemporaryDirectory() as tmp:
            r = asyncio.run(bench(args, tmp, f"http://127.0.0.1:{port}/hook", count))
    finally:
        receiver.terminate()
        receiver.join(10)

    exported = max(r["exported"], 1)
    statements = sum(r["statements"].values())
    rows = [
        ("backend", r["backend"]),
        (
            "destinations x days",
            f"{r['destinations']} x 28 (avg {r['shifts_per_export']:.1f} shifts/export)",
        ),
        ("export concurrency / batch", f"{r['concurrency']} / {r['batch']}"),
        ("exported / OK / deliveries", f"{r['exported']} / {r['ok']} / {r['deliveries']}"),
        ("total", f"{r['total']:.2f} s"),
        ("exports per second", f"{r['exported'] / r['total']:.0f}"),
        ("SQL statements per export", f"{statements / exported:.2f} ({statements} in all)"),
        ("  of which published events", f"{r['statements'][NOTIFY] / exported:.2f}"),
        ("CPU of this process per export", f"{r['cpu'] / exported * 1000:.2f} ms"),
        ("goal total", f"<= {GOAL_SECONDS:.0f} s"),
        ("ratio total / goal", f"{r['total'] / GOAL_SECONDS:.2f}"),
        ("(setup, not timed)", f"{r['setup']:.1f} s"),
    ]
    if args.statements:
        rows += [
            (f"  {kind}", f"{n / exported:.3f} per export ({n})")
            for kind, n in r["statements"].most_common()
        ]
    width = max(len(k) for k, _ in rows)
    print(f"{'metric'.ljust(width)} | value")
    print(f"{'-' * width}-|-{'-' * 30}")
    for key, value in rows:
        print(f"{key.ljust(width)} | {value}")


if __name__ == "__main__":
    main()
