"""Benchmark of imports (a script, not a test): python scripts/bench_import.py [--schedules N]

Writes a PagerDuty account as saved JSON files (N schedules x 4 layers x 10 users, an
escalation policy per schedule, rendered final schedules for the 28-day report worked out by a
small independent calculation in UTC), then times on SQLite and on PostgreSQL (when
reachable):

- read: the files parsed into the neutral shape (the baseline of the ratios);
- dry run: read + map + plan + equivalence report, nothing written;
- apply: the same, writing every contact, schedule, tier, layer and on-demand shift;
- re-run: a second apply, where everything is unchanged.

Goal: dry run and apply each under 30 s. Wall and CPU seconds are printed (CPU is steadier on
a shared machine).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
SINCE = datetime(2026, 3, 2, tzinfo=UTC)
DAYS = 28
DAY = timedelta(days=1)
# (name, turn seconds, restriction: daily (start hour, hours) or weekly (weekday, start, hours))
LAYERS = [
    ("Base", 604_800, None),
    ("Evenings", 86_400, ("daily", 18, 4)),
    ("Saturday", 604_800, ("weekly", 5, 9, 8)),
    ("Lunch", 86_400, ("daily", 12, 1)),
]


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _who(users: list[str], turn_seconds: int, at: datetime) -> str:
    return users[int((at - START).total_seconds() // turn_seconds) % len(users)]


def _render(layer_users: list[list[str]]) -> list[dict[str, Any]]:
    """Who is on call, day by day: the highest layer whose window holds the instant, else
    the base layer (an independent reading of PagerDuty's layer rules, all in UTC)."""
    entries = []
    for d in range(DAYS):
        day = SINCE + d * DAY
        cuts = {day, day + DAY}
        for _, _, r in LAYERS[1:]:
            if r and r[0] == "daily":
                cuts |= {day + timedelta(hours=r[1]), day + timedelta(hours=r[1] + r[2])}
            elif r and day.weekday() == r[1]:
                cuts |= {day + timedelta(hours=r[2]), day + timedelta(hours=r[2] + r[3])}
        points = sorted(cuts)
        for a, b in itertools.pairwise(points):
            who = None
            for index in range(len(LAYERS) - 1, 0, -1):
                _, turn, r = LAYERS[index]
                hour = (a - day).total_seconds() / 3600
                inside = (r[0] == "daily" and r[1] <= hour < r[1] + r[2]) or (
                    r[0] == "weekly" and day.weekday() == r[1] and r[2] <= hour < r[2] + r[3]
                )
                if inside:
                    who = _who(layer_users[index], turn, a)
                    break
            who = who or _who(layer_users[0], LAYERS[0][1], a)
            entries.append(
                {"user": {"id": who, "type": "user_reference"}, "start": iso(a), "end": iso(b)}
            )
    return entries


def write_account(root: Path, schedules: int) -> None:
    (root / "schedules").mkdir(parents=True)
    users = [
        {
            "id": f"PU{i}",
            "type": "user",
            "name": f"Person {i}",
            "email": f"person{i}@example.com",
            "time_zone": "UTC",
        }
        for i in range(200)
    ]
    listed, policies = [], []
    for n in range(schedules):
        sid = f"PS{n}"
        layer_users = [[f"PU{(n * 7 + k * 13 + i) % 200}" for i in range(10)] for k in range(4)]
        layers = []
        for k, (name, turn, r) in enumerate(LAYERS):
            restrictions = []
            if r and r[0] == "daily":
                restrictions = [
                    {
                        "type": "daily_restriction",
                        "start_time_of_day": f"{r[1]:02d}:00:00",
                        "duration_seconds": r[2] * 3600,
                    }
                ]
            elif r:
                restrictions = [
                    {
                        "type": "weekly_restriction",
                        "start_day_of_week": r[1] + 1,
                        "start_time_of_day": f"{r[2]:02d}:00:00",
                        "duration_seconds": r[3] * 3600,
                    }
                ]
            layers.append(
                {
                    "id": f"PL{n}_{k}",
                    "name": name,
                    "start": iso(START),
                    "end": None,
                    "rotation_virtual_start": iso(START),
                    "rotation_turn_length_seconds": turn,
                    "users": [
                        {"user": {"id": u, "type": "user_reference"}} for u in layer_users[k]
                    ],
                    "restrictions": restrictions,
                }
            )
        detail = {
            "id": sid,
            "type": "schedule",
            "name": f"Schedule {n}",
            "time_zone": "UTC",
            "schedule_layers": list(reversed(layers)),
            "final_schedule": {
                "name": "Final Schedule",
                "rendered_schedule_entries": _render(layer_users),
            },
        }
        (root / "schedules" / f"{sid}.json").write_text(json.dumps({"schedule": detail}))
        (root / "schedules" / sid).mkdir()
        (root / "schedules" / sid / "overrides.json").write_text(json.dumps({"overrides": []}))
        listed.append({"id": sid, "type": "schedule", "name": detail["name"], "time_zone": "UTC"})
        policies.append(
            {
                "id": f"PE{n}",
                "type": "escalation_policy",
                "name": f"Policy {n}",
                "escalation_rules": [
                    {
                        "id": f"PR{n}",
                        "escalation_delay_in_minutes": 0,
                        "targets": [{"id": sid, "type": "schedule_reference"}],
                    }
                ],
            }
        )
    page = {"limit": 100, "offset": 0, "more": False}
    (root / "users.json").write_text(json.dumps({"users": users, **page}))
    (root / "schedules.json").write_text(json.dumps({"schedules": listed, **page}))
    (root / "escalation_policies.json").write_text(
        json.dumps({"escalation_policies": policies, **page})
    )


async def timed(work: Any) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = await work
    return time.perf_counter() - wall, time.process_time() - cpu, result


async def bench(backend: str, root: Path, tmp: Path) -> list[tuple[str, float, float, str]]:
    from tortoise import Tortoise

    from app.auth import service as auth_service
    from app.db import tortoise_config
    from app.imports import service
    from app.settings import Settings
    from tests.support import prepare_database

    url = await prepare_database(backend, tmp)
    await Tortoise.init(config=tortoise_config(url))
    rows = []
    try:
        org = await auth_service.create_organization(name="Bench")
        spec = service.SourceSpec("pagerduty", directory=root)
        settings = Settings()
        until = SINCE + timedelta(days=DAYS)
        wall, cpu, bundle = await timed(
            service.read_source(spec, since=SINCE, until=until, settings=settings)
        )
        rows.append(("read (baseline)", wall, cpu, f"{len(bundle.schedules)} schedules"))
        for label, dry in (("dry run", True), ("apply", False), ("re-run (unchanged)", False)):
            wall, cpu, report = await timed(
                service.run_import(
                    org_id=org.id, spec=spec, since=SINCE, dry_run=dry, settings=settings
                )
            )
            share = min(e.agreement for e in report.equivalence)
            counts = ", ".join(f"{a} {n}" for a, n in sorted(report.counts().items()))
            rows.append((label, wall, cpu, f"{counts}; lowest agreement {share * 100:.1f} %"))
    finally:
        await Tortoise.close_connections()
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--schedules", type=int, default=100)
    args = parser.parse_args()
    from tests.support import postgres_reachable

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "account"
        write_account(root, args.schedules)
        size = sum(p.stat().st_size for p in root.rglob("*.json"))
        print(
            f"{args.schedules} schedules x 4 layers x 10 users, {size / 1e6:.1f} MB of JSON, "
            f"report window {DAYS} days"
        )
        backends = ["sqlite"] + ([] if await postgres_reachable() else ["postgres"])
        for backend in backends:
            rows = await bench(backend, root, Path(tmp))
            base = rows[0][1]
            print(f"\n{backend}")
            print(f"  {'step':<20} {'wall s':>8} {'cpu s':>8} {'x read':>7}  result")
            for label, wall, cpu, note in rows:
                print(f"  {label:<20} {wall:8.2f} {cpu:8.2f} {wall / base:7.1f}  {note}")
            goal = all(wall < 30 for label, wall, _, _ in rows if label in ("dry run", "apply"))
            print(f"  goal (dry run and apply under 30 s): {'met' if goal else 'NOT met'}")
        if "postgres" not in backends:
            print("\npostgres: skipped (unreachable)")


if __name__ == "__main__":
    asyncio.run(main())
