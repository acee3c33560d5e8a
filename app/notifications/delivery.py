"""Delivering due notices: at least once, leased like exports, retried with backoff.

Each due notice is keyed work of kind "notice" in the job table (``app.jobs.queue``), so
two processes never send one notice at once; a process that dies mid-send leaves the row
RUNNING until its lease expires and another process sends again, with the same stable id
(Message-ID, Idempotency-Key) so the receiver drops the repeat. A failure that may pass
(SMTP down, 5xx, timeout) waits 5 s, 10 s, 20 s … (at most 15 minutes) and tries again, up
to NOTICE_MAX_ATTEMPTS; then, or at once for a permanent refusal, the notice is FAILED
with the error. A notice whose moment passed, or whose change was undone, is CANCELLED
with the reason and nothing is sent.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime

from app import clock, db, outbound
from app.contacts import models as contact_models
from app.jobs import queue
from app.jobs.models import JobRow
from app.notifications import changes, models, notices, plan, transports
from app.notifications.render import render
from app.notifications.runs import Run, backoff
from app.schedules import models as schedule_models
from app.settings import Settings

log = logging.getLogger("rotagraph.notices")

KIND = "notice"
_wake: dict[asyncio.AbstractEventLoop, asyncio.Event] = {}


def _event() -> asyncio.Event:
    loop = asyncio.get_running_loop()
    if loop not in _wake:
        _wake.clear()
        _wake[loop] = asyncio.Event()
    return _wake[loop]


def kick_after_commit() -> None:
    """Wake the delivery loop once the current transaction committed (a channel's code)."""

    async def kick() -> None:
        _event().set()

    db.after_commit("notices.kick", kick)


async def _finish(notice: models.Notice, status: str, **values: object) -> None:
    await models.Notice.filter(id=notice.id, status="PENDING").update(status=status, **values)
    notice.status = status
    notices.published(notice)


@dataclass
class Batch:
    """What a batch of claimed notices needs, read once: the notices, their channels, the
    recipients' zones and the current shifts of the reminders' tiers."""

    notices: dict[int, models.Notice] = field(default_factory=dict)
    channels: dict[int, models.NotificationChannel] = field(default_factory=dict)
    contact_zones: dict[int, str] = field(default_factory=dict)
    schedule_zones: dict[int, str] = field(default_factory=dict)
    runs: dict[int, dict[int, list[Run]]] = field(default_factory=dict)

    @classmethod
    async def load(cls, ids: list[int], now: datetime) -> Batch:
        batch = cls(notices={n.id: n for n in await models.Notice.filter(id__in=ids)})
        rows = list(batch.notices.values())
        channel_ids = {n.channel_id for n in rows if n.channel_id is not None}
        if channel_ids:
            batch.channels = {
                c.id: c for c in await models.NotificationChannel.filter(id__in=channel_ids)
            }
        contact_ids = {n.contact_id for n in rows if n.contact_id is not None}
        if contact_ids:
            found = await contact_models.Contact.filter(id__in=contact_ids).only("id", "timezone")
            batch.contact_zones = {c.id: c.timezone for c in found}
        schedule_ids = {n.schedule_id for n in rows if n.schedule_id is not None}
        if schedule_ids:
            found_s = await schedule_models.Schedule.filter(id__in=schedule_ids).only(
                "id", "timezone"
            )
            batch.schedule_zones = {s.id: s.timezone for s in found_s}
        tiers = {int(n.data["tierId"]) for n in rows if n.kind == "REMINDER"}
        if tiers:
            batch.runs = await changes.current_runs(sorted(tiers), now=now)
        return batch

    def zone(self, notice: models.Notice) -> str:
        if notice.contact_id in self.contact_zones:
            return self.contact_zones[notice.contact_id]
        return self.schedule_zones.get(notice.schedule_id or 0, "UTC")


async def _why_not(notice: models.Notice, now: datetime, batch: Batch) -> str | None:
    """Why this due notice must not be sent any more, or None."""
    if notice.channel_id is not None:
        channel = batch.channels.get(notice.channel_id)
        if channel is None:
            return "the channel was deleted"
        if channel.paused:
            return "the channel is paused"
        if channel.verified_at is None and notice.kind != "VERIFY":
            return "the channel is not verified"
    if notice.kind == "REMINDER":
        return await plan.reminder_still_valid(notice, now=now, runs=batch.runs)
    if notice.kind == "CHANGE":
        found = await changes.change_of(notice, now=now)
        if not found:
            return "the changes were undone before the notice was due"
        notice.data = {**notice.data, "changes": found}
    return None


async def deliver(
    notice_id: int, settings: Settings, mailer: transports.Mailer, batch: Batch | None = None
) -> None:
    """Send one notice if it is still PENDING and due; record the outcome. ``batch``: what
    the caller read for the notices it claimed together (read here when absent)."""
    now = clock.now()
    batch = batch if batch is not None else await Batch.load([notice_id], now)
    notice = batch.notices.get(notice_id)
    if notice is None or notice.status != "PENDING" or notice.due_at > now:
        return
    reason = await _why_not(notice, now, batch)
    if reason is not None:
        await _finish(notice, "CANCELLED", last_error=reason)
        return
    message = render(notice.kind, notice.data, uid=notice.uid, zone=batch.zone(notice))
    try:
        if notice.transport == "EMAIL":
            mail = transports.email_of(
                message,
                uid=notice.uid,
                to=notice.address,
                sender=settings.smtp_from,
                kind=notice.kind,
                date=now,
            )
            await mailer.send(mail)
        else:
            channel = batch.channels[notice.channel_id or 0]
            body = transports.webhook_body(
                uid=notice.uid, kind=notice.kind, message=message, data=notice.data
            )
            await transports.send_webhook(
                url=notice.address,
                secret=channel.signing_secret or "",
                uid=notice.uid,
                body=body,
                session=outbound.shared(),
            )
    except transports.SendError as exc:
        attempts = notice.attempts + 1
        if not exc.retry or attempts >= settings.notice_max_attempts:
            await _finish(notice, "FAILED", attempts=attempts, last_error=str(exc)[:2000])
        else:
            await models.Notice.filter(id=notice.id, status="PENDING").update(
                attempts=attempts, last_error=str(exc)[:2000], due_at=now + backoff(attempts)
            )
        return
    data = {k: v for k, v in notice.data.items() if k != "code"}  # a code is mailed once
    await _finish(
        notice,
        "SENT",
        attempts=notice.attempts + 1,
        sent_at=now,
        last_error=None,
        subject=message.subject[:300],
        data=data,
    )


async def _run_claimed(
    row: JobRow,
    settings: Settings,
    limit: asyncio.Semaphore,
    mailer: transports.Mailer,
    batch: Batch,
) -> None:
    async with limit:
        try:
            await queue.run_leased(
                row,
                lambda: deliver(int(row.key), settings, mailer, batch),
                lease=settings.notice_lease_seconds,
            )
        except Exception:  # one notice's crash must not stop the others
            log.exception("delivery of notice %s crashed", row.key)


async def run_due(settings: Settings) -> int:
    """One pass: queue the due PENDING notices, then send what this process can claim, a
    batch at a time (so the first go out while later ones are still being queued).
    Returns how many notices this process handled."""
    due = (
        await models.Notice.filter(status="PENDING", due_at__lte=clock.now())
        .order_by("due_at", "id")
        .limit(5000)
        .values_list("id", flat=True)
    )
    width = max(1, settings.notice_concurrency)
    limit = asyncio.Semaphore(width)
    mailer = transports.Mailer(settings)
    done = 0
    try:
        keys = [str(pk) for pk in due]
        for i in range(0, max(len(keys), 1), width * 5):
            await queue.enqueue_many(KIND, keys[i : i + width * 5])
            while True:
                rows = await queue.claim_keyed(
                    KIND, limit=width * 5, lease=settings.notice_lease_seconds
                )
                if not rows:
                    break
                batch = await Batch.load([int(row.key) for row in rows], clock.now())
                await asyncio.gather(
                    *(_run_claimed(row, settings, limit, mailer, batch) for row in rows)
                )
                # A sent (or given-up) notice needs its job row no more; a retried one is
                # queued again when it is next due.
                await JobRow.filter(id__in=[row.id for row in rows], status="DONE").delete()
                done += len(rows)
    finally:
        await mailer.close()
    return done


async def loop(settings: Settings) -> None:
    """Deliver due notices whenever woken or every NOTICE_POLL_SECONDS."""
    while True:
        try:
            await run_due(settings)
        except asyncio.CancelledError:
            raise
        except Exception:  # keep the loop alive; the next pass retries
            log.exception("notice delivery pass failed")
        try:
            await asyncio.wait_for(_event().wait(), settings.notice_poll_seconds)
        except TimeoutError:
            pass
        _event().clear()
