"""Benchmark of the fairness ledger (a script, not a test): python scripts/bench_ledger.py

One year of confirmed rows on 50 schedules x 3 tiers (a daily rotation of 8 people per tier,
each a row a day, the schedule's people in three zones), written straight into the shift
table. For SQLite and PostgreSQL it prints the wall and CPU time of:

- the baseline: reading the same rows with one plain query;
- the ledger over the year, by month, across schedules and per schedule;
- the pay report over the year (an hourly rule with multipliers on every schedule);
- the ledger over the same year on 10 schedules, to show the statement count is constant;

then every SQL statement the 50-schedule ledger sent. Goal: under 1 s.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
import time
from collections.abc import Awaitable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SCHEDULES, TIERS, PEOPLE, DAYS = 50, 3, 8, 365
START = datetime(2025, 1, 1, tzinfo=UTC)
END = START + timedelta(days=DAYS)
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo")
T = TypeVar("T")


class Statements(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.lstrip().split(" ", 1)[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE"}:
            self.seen.append(message)


async def timed(work: Awaitable[T], log: Statements) -> tuple[float, float, int, T]:
    log.seen.clear()
    wall, cpu = time.perf_counter(), time.process_time()
    result = await work
    return time.perf_counter() - wall, time.process_time() - cpu, len(log.seen), result


async def seed() -> tuple[int, list[int]]:
    from app.auth import service as auth_service
    from app.contacts.models import Contact
    from app.ledger.models import PayRule
    from app.schedules.models import Schedule
    from app.shifts.models import Shift
    from app.tiers.models import Tier

    org = await auth_service.create_organization(name="Bench")
    schedule_ids = []
    for s in range(SCHEDULES):
        schedule = await Schedule.create(organization_id=org.id, name=f"S{s:02}")
        schedule_ids.append(schedule.id)
        await PayRule.create(
            organization_id=org.id,
            schedule_id=schedule.id,
            effective_from=date(2024, 12, 1),
            currency="EUR",
            basis="HOURLY",
            rate=Decimal("3.5"),
            night_multiplier=Decimal("1.5"),
            weekend_multiplier=Decimal("2"),
            holiday_multiplier=Decimal("3"),
        )
        people = [
            (
                await Contact.create(
                    organization_id=org.id, name=f"P{s:02}-{i}", timezone=ZONES[i % 3]
                )
            ).id
            for i in range(PEOPLE)
        ]
        rows = []
        for number in range(1, TIERS + 1):
            tier = await Tier.create(organization_id=org.id, schedule_id=schedule.id, number=number)
            for day in range(DAYS):
                who = people[(day + 3 * number) % PEOPLE]
                lo = START + timedelta(days=day, hours=9)
                rows.append(
                    Shift(
                        organization_id=org.id,
                        tier_id=tier.id,
                        start=lo,
                        end=lo + timedelta(days=1),
                        assignees=[who],
                        positions=[who],
                        origin="LAYER",
                    )
                )
        await Shift.bulk_create(rows, batch_size=1000)
    return org.id, schedule_ids


async def bench(backend: str, tmp: Path) -> None:
    from tortoise import Tortoise

    from app.db import tortoise_config
    from app.ledger import service
    from app.ledger.arithmetic import Period
    from app.shifts.models import Shift
    from tests.support import prepare_database

    url = await prepare_database(backend, tmp)
    await Tortoise.init(config=tortoise_config(url))
    log = Statements()
    logger = logging.getLogger("tortoise.db_client")
    logger.addHandler(log)
    logger.setLevel(logging.DEBUG)
    try:
        org_id, schedule_ids = await seed()
        runs: list[tuple[str, Any]] = [
            (
                "baseline: read the rows",
                Shift.filter(organization_id=org_id, start__lt=END, end__gte=START).values_list(
                    "tier_id", "start", "end", "assignees", "origin"
                ),
            ),
        ]
        for label, per in (("ledger by month", False), ("ledger by month per schedule", True)):
            runs.append(
                (
                    label,
                    service.ledger(
                        org_id=org_id,
                        start=START,
                        end=END,
                        period=Period.MONTH,
                        zone="UTC",
                        schedule_ids=None,
                        per_schedule=per,
                    ),
                )
            )
        runs.append(
            (
                "pay report",
                service.pay_report(org_id=org_id, start=START, end=END, schedule_ids=None),
            )
        )
        runs.append(
            (
                "ledger by month, 10 schedules",
                service.ledger(
                    org_id=org_id,
                    start=START,
                    end=END,
                    period=Period.MONTH,
                    zone="UTC",
                    schedule_ids=schedule_ids[:10],
                    per_schedule=False,
                ),
            )
        )
        print(f"\n{backend}: {SCHEDULES} schedules x {TIERS} tiers, {DAYS} days")
        print(f"  {'run':<32} {'wall s':>7} {'cpu s':>7} {'x base':>7} {'SQL':>4}  result")
        base = None
        ledger_sql: list[str] = []
        for label, work in runs:
            wall, cpu, count, result = await timed(work, log)
            base = base or wall
            if label == "ledger by month":
                ledger_sql = list(log.seen)
            print(
                f"  {label:<32} {wall:7.3f} {cpu:7.3f} {wall / base:7.1f} {count:4}  "
                f"{len(result)} rows"
            )
        print("  statements of the 50-schedule ledger:")
        for sql in ledger_sql:
            print(f"    {sql[:150]}{'...' if len(sql) > 150 else ''}")
    finally:
        logger.removeHandler(log)
        await Tortoise.close_connections()


async def main() -> None:
    from tests.support import postgres_reachable

    with tempfile.TemporaryDirectory() as tmp:
        await bench("sqlite", Path(tmp))
        reason = await postgres_reachable()
        if reason is None:
            await bench("postgres", Path(tmp))
        else:
            print(f"\npostgres: skipped ({reason})")
    print("\ngoal: the ledger over a year of 50 schedules x 3 tiers under 1 s, constant SQL")


if __name__ == "__main__":
    asyncio.run(main())
