"""Benchmark of notices (a script, not a test): python scripts/bench_notices.py [--postgres]

1,000 contacts, each with a verified EMAIL channel and a shift starting in the same minute,
so 1,000 reminders (lead 60 minutes) fall due at the same instant. The planner creates them
ahead of time; the delivery loop (leased through the job table, NOTICE_CONCURRENCY
connections at once) sends them to a local SMTP server (aiosmtpd) in a separate process,
which records when each mail arrived. Goal: every reminder sent within 30 s of its due
time. Baseline in the same run: the same number of mails sent straight with aiosmtplib at
the same concurrency (the SMTP round trips alone, no database). Loopback only; the SMTP
process and the database are removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GOAL_SECONDS = 30.0
PER_TIER = 20


def run_smtp(port: int, ready: Any, conn: Connection) -> None:
    """An SMTP server in its own process: records each mail's arrival time; sends the list
    back (and starts a new one) when asked."""
    from aiosmtpd.controller import Controller

    arrivals: list[float] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            arrivals.append(time.time())
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:
        command = conn.recv()
        if command == "stop":
            break
        conn.send(list(arrivals))
        arrivals.clear()
    controller.stop()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def seed(n: int, start: datetime) -> None:
    from app.auth import service as auth_service
    from app.contacts.models import Contact
    from app.notifications.models import NotificationChannel
    from app.schedules.models import Schedule
    from app.shifts.models import Shift
    from app.tiers.models import Tier

    org = await auth_service.create_organization(name="Bench")
    await Contact.bulk_create(
        [Contact(organization_id=org.id, name=f"p{i}", email=f"p{i}@example.org") for i in range(n)]
    )
    people = await Contact.filter(organization_id=org.id).order_by("id")
    await NotificationChannel.bulk_create(
        [
            NotificationChannel(
                organization_id=org.id,
                contact_id=c.id,
                kind="EMAIL",
                address=c.email,
                verified_at=start - timedelta(days=1),
            )
            for c in people
        ]
    )
    schedule = await Schedule.create(organization_id=org.id, name="Bench", timezone="UTC")
    for k in range(0, n, PER_TIER):
        tier = await Tier.create(organization_id=org.id, schedule_id=schedule.id, number=k + 1)
        group = [c.id for c in people[k : k + PER_TIER]]
        await Shift.create(
            organization_id=org.id,
            tier_id=tier.id,
            start=start,
            end=start + timedelta(hours=8),
            assignees=group,
            positions=list(range(1, len(group) + 1)),
            origin="LAYER",
        )


async def baseline(n: int, settings: Any) -> float:
    """Seconds to send ``n`` mails through the same SMTP connections (``Mailer``) and
    concurrency, with no database: the SMTP round trips alone."""
    from email.message import EmailMessage

    from app.notifications.transports import Mailer

    limit = asyncio.Semaphore(settings.notice_concurrency)
    mailer = Mailer(settings)

    async def one(i: int) -> None:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "b@localhost", f"p{i}@example.org", "x"
        mail.set_content("On call soon.")
        mail.add_alternative("<p>On call soon.</p>", subtype="html")
        async with limit:
            await mailer.send(mail)

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    await mailer.close()
    return time.perf_counter() - started


async def bench(args: argparse.Namespace, tmp: Path, port: int, conn: Connection) -> dict[str, Any]:
    from tortoise import Tortoise

    from app.db import tortoise_config
    from app.notifications import delivery, plan
    from app.notifications.models import Notice
    from app.settings import Settings
    from tests.support import prepare_database

    backend = "postgres" if args.postgres else "sqlite"
    url = await prepare_database(backend, tmp)
    await Tortoise.init(config=tortoise_config(url))
    settings = Settings(
        database_url=url,
        smtp_url=f"smtp://127.0.0.1:{port}",
        notice_concurrency=args.concurrency,
        notice_poll_seconds=0.5,
    )
    try:
        due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=args.lead_in)
        await seed(args.contacts, due + timedelta(minutes=60))
        started = time.perf_counter()
        planned = await plan.plan_reminders(now=datetime.now(UTC))
        plan_seconds = time.perf_counter() - started
        assert planned == args.contacts, planned
        loop = asyncio.create_task(delivery.loop(settings))
        deadline = time.monotonic() + args.lead_in + GOAL_SECONDS * 4
        while time.monotonic() < deadline:
            if not await Notice.filter(status="PENDING").exists():
                break
            await asyncio.sleep(0.2)
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        sent = await Notice.filter(status="SENT").count()
        conn.send("arrivals")
        lags = [t - due.timestamp() for t in conn.recv()]
        raw = await baseline(args.contacts, settings)
        conn.send("arrivals")
        conn.recv()
        return {
            "backend": backend,
            "sent": sent,
            "mails": len(lags),
            "plan_s": plan_seconds,
            "first_s": min(lags) if lags else float("nan"),
            "p50_s": statistics.median(lags) if lags else float("nan"),
            "p95_s": pct(lags, 95) if lags else float("nan"),
            "last_s": max(lags) if lags else float("nan"),
            "raw_s": raw,
        }
    finally:
        await Tortoise.close_connections()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", action="store_true", help="TEST_DATABASE_URL or local")
    parser.add_argument("--contacts", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20, help="NOTICE_CONCURRENCY")
    parser.add_argument("--lead-in", type=float, default=5.0, help="seconds until due")
    args = parser.parse_args()

    from tests.destinations.receiver import free_port

    port = free_port()
    ready = multiprocessing.Event()
    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.Process(target=run_smtp, args=(port, ready, theirs), daemon=True)
    server.start()
    ready.wait(10)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            r = asyncio.run(bench(args, Path(tmp), port, ours))
    finally:
        ours.send("stop")
        server.join(5)
    pipeline = r["last_s"] - max(0.0, r["first_s"])
    print(
        f"{r['contacts'] if 'contacts' in r else args.contacts} reminders due at the same instant, "
        f"NOTICE_CONCURRENCY={args.concurrency}, backend {r['backend']}"
    )
    print()
    print("| measure                                     | value       |")
    print("|---------------------------------------------|-------------|")
    rows = [
        ("planned (1 pass of the planner)", f"{r['plan_s']:.2f} s"),
        ("notices SENT / mails received", f"{r['sent']} / {r['mails']}"),
        ("first mail after due", f"{r['first_s']:.2f} s"),
        ("median mail after due", f"{r['p50_s']:.2f} s"),
        ("p95 mail after due", f"{r['p95_s']:.2f} s"),
        (f"last mail after due (goal <= {GOAL_SECONDS:.0f} s)", f"{r['last_s']:.2f} s"),
        ("baseline: same mails, no database", f"{r['raw_s']:.2f} s"),
        ("delivery span / baseline", f"{pipeline / r['raw_s']:.2f}x"),
    ]
    for name, value in rows:
        print(f"| {name:<43} | {value:>11} |")
    verdict = "met" if r["sent"] == args.contacts and r["last_s"] <= GOAL_SECONDS else "MISSED"
    print(f"\ngoal {verdict}")


if __name__ == "__main__":
    main()
