"""Benchmark of exports (a script, not a test): python scripts/bench_exports.py [--postgres]

1,000 WEBHOOK destinations (100 schedules x 10 by default), each fed 28 days of confirmed
daily shifts, exported at once by the export worker (bounded by settings.export_concurrency)
over its one aiohttp session to a local aiohttp receiver running in a separate process.
Prints the total time (goal <= 10 s) and per-export p50 / p99 (each export: plan, send,
record, status refresh; time spent waiting for a concurrency slot is not included).
Loopback only; the receiver process and the database are removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GOAL_SECONDS = 10.0
SECRET = "bench-signing-secret-0000"


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


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def bench(args: argparse.Namespace, url: str, hook_url: str, count: Any) -> dict[str, Any]:
    from app import clock
    from app.destinations import export, service, worker
    from app.destinations import models as destination_models
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

        durations: list[float] = []
        original = export.export_destination

        async def timed(destination_id: int, *, session: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original(destination_id, session=session)
            finally:
                durations.append(time.perf_counter() - started)

        export.export_destination = timed  # type: ignore[assignment]
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        try:
            started = time.perf_counter()
            exported = await worker.run_due()
            total = time.perf_counter() - started
        finally:
            export.export_destination = original  # type: ignore[assignment]
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
        "p50": pct(durations, 50),
        "p99": pct(durations, 99),
        "max": max(durations),
        "concurrency": args.concurrency,
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

    rows = [
        ("backend", r["backend"]),
        (
            "destinations x days",
            f"{r['destinations']} x 28 (avg {r['shifts_per_export']:.1f} shifts/export)",
        ),
        ("export concurrency", str(r["concurrency"])),
        ("exported / OK / deliveries", f"{r['exported']} / {r['ok']} / {r['deliveries']}"),
        ("total", f"{r['total']:.2f} s"),
        ("per export p50", f"{r['p50'] * 1000:.1f} ms"),
        ("per export p99", f"{r['p99'] * 1000:.1f} ms"),
        ("per export max", f"{r['max'] * 1000:.1f} ms"),
        ("goal total", f"<= {GOAL_SECONDS:.0f} s"),
        ("ratio total / goal", f"{r['total'] / GOAL_SECONDS:.2f}"),
        ("(setup, not timed)", f"{r['setup']:.1f} s"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"{'metric'.ljust(width)} | value")
    print(f"{'-' * width}-|-{'-' * 30}")
    for key, value in rows:
        print(f"{key.ljust(width)} | {value}")


if __name__ == "__main__":
    main()
