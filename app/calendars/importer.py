"""The import pipeline: claim a calendar, fetch it, parse it, store its busy blocks.

One import of one calendar:
1. claim: a compare-and-set UPDATE marks it IMPORTING with a lease (so two processes, or
   the job and a mutation, never import one calendar at once; an expired lease is taken
   over);
2. fetch through its provider, outside any transaction (ETag / ctag: an unchanged source
   whose blocks were computed with the current zone and filter is not parsed again);
3. parse in a worker thread (``app.calendars.parsing``) over [now - 1 day, now + 366 days);
4. store in one short transaction: the calendar's blocks are replaced when they differ (the
   contact's tiers are bumped, so their confirmed future is recomputed before commit), and
   the status becomes OK with lastImportedAt and blockCount.
Any failure (unreachable, 5xx, auth refused, malformed ICS) sets ERROR and lastError and
keeps the previous blocks; the next good import replaces them.

Imports start in the background after the mutation that asked for them commits, and every
``calendar_import_interval_seconds`` through the job runner for calendars not tried since.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import cast

import aiohttp
from tortoise.expressions import Q

from app import clock, db, outbound, versions
from app.calendars import models, parsing, service
from app.calendars import providers as provider_registry
from app.calendars.providers import SourceError, SourceSettings
from app.contacts import models as contact_models
from app.settings import Settings

log = logging.getLogger("rotagraph.calendars")

LEASE = timedelta(minutes=5)
CONCURRENCY = 5
_TASKS: set[asyncio.Task[None]] = set()


def _parsed_with(zone: str, filter: str) -> str:
    return f"{zone}|{filter}"


async def _claim(calendar_id: int, now: datetime) -> bool:
    claimed = await (
        models.ConnectedCalendar.filter(id=calendar_id, import_enabled=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(status="IMPORTING", lease_until=now + LEASE, last_attempt_at=now)
    )
    if claimed:
        await _touch(calendar_id)
    return bool(claimed)


async def _touch(calendar_id: int) -> None:
    """The calendar's status is visible in the API: cached answers about it go stale."""
    org_ids = await models.ConnectedCalendar.filter(id=calendar_id).values_list(
        "organization_id", flat=True
    )
    for org_id in org_ids:
        await versions.bump(cast(int, org_id))


async def _fail(calendar_id: int, message: str) -> None:
    await models.ConnectedCalendar.filter(id=calendar_id).update(
        status="ERROR", last_error=message[:2000], lease_until=None
    )
    await _touch(calendar_id)


async def import_calendar(
    calendar_id: int, *, config: Settings, session: aiohttp.ClientSession
) -> bool:
    """Import one calendar if it can be claimed; False when it was not (disabled, gone, or
    being imported elsewhere). Failures are recorded on the calendar, never raised. When its
    filter changed while it was imported, it is imported once more."""
    ran = False
    for _attempt in range(2):
        now = clock.now()
        if not await _claim(calendar_id, now):
            return ran
        ran = True
        again = False
        try:
            again = await _import(calendar_id, config=config, session=session, now=now)
        except SourceError as exc:
            await _fail(calendar_id, exc.describe())
        except parsing.ParseError as exc:
            await _fail(calendar_id, f"the calendar could not be read: {exc}")
        except Exception:  # never leave a calendar IMPORTING; the details go to the log only
            log.exception("calendar %s: import failed", calendar_id)
            await _fail(calendar_id, "the import failed unexpectedly; it will be tried again")
        if not again:
            break
    return ran


async def _import(
    calendar_id: int, *, config: Settings, session: aiohttp.ClientSession, now: datetime
) -> bool:
    """One import; True when the calendar's filter changed meanwhile (import it again)."""
    calendar = await models.ConnectedCalendar.get_or_none(id=calendar_id)
    if calendar is None:
        return False
    connection = await models.CalendarConnection.get(id=calendar.connection_id)
    contact = await contact_models.Contact.get(id=connection.contact_id)
    provider = provider_registry.get(connection.provider)
    start, end = service.import_window(now)
    parsed_with = _parsed_with(contact.timezone, calendar.import_filter)
    validator = calendar.etag if calendar.parsed_with == parsed_with else None
    snapshot = await provider.fetch(
        session,
        SourceSettings.from_json(connection.settings),
        config,
        external_id=calendar.external_id,
        validator=validator,
        start=start,
        end=end,
    )
    spans = None
    if not snapshot.not_modified:
        spans = await asyncio.to_thread(
            _parse, snapshot.texts, contact.timezone, calendar.import_filter, start, end
        )
    async with db.transaction():
        versions.touch(connection.organization_id)
        current = await models.ConnectedCalendar.get_or_none(id=calendar_id)
        if current is None or not current.import_enabled:
            return False  # disconnected or turned off meanwhile: its blocks are already gone
        changed: dict[str, object] = {
            "status": "OK",
            "last_error": None,
            "last_imported_at": now,
            "lease_until": None,
        }
        if spans is not None:
            await service.replace_blocks(
                calendar=current, contact_id=connection.contact_id, spans=spans
            )
            changed.update(block_count=len(spans), etag=snapshot.validator, parsed_with=parsed_with)
        again = current.import_filter != calendar.import_filter
        if again:
            changed.update(status="PENDING", parsed_with=None)
        await models.ConnectedCalendar.filter(id=calendar_id).update(**changed)
    return again


def _parse(
    texts: Sequence[bytes], zone: str, filter: str, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    calendars = [parsing.read(t) for t in texts]
    return parsing.busy_intervals(calendars, zone=zone, start=start, end=end, filter=filter)


async def import_calendars(calendar_ids: Iterable[int], *, config: Settings) -> int:
    """Import the calendars, a few at a time, over one HTTP session; returns how many ran."""
    ids = list(dict.fromkeys(calendar_ids))
    if not ids:
        return 0
    limit = asyncio.Semaphore(CONCURRENCY)
    async with outbound.session(config, total_seconds=config.calendar_timeout_seconds) as session:

        async def one(pk: int) -> bool:
            async with limit:
                return await import_calendar(pk, config=config, session=session)

        done = await asyncio.gather(*(one(pk) for pk in ids))
    return sum(done)


async def import_due(config: Settings) -> int:
    """The periodic job: every enabled calendar not tried for an interval (or never)."""
    now = clock.now()
    cutoff = now - timedelta(seconds=config.calendar_import_interval_seconds * 0.9)
    due = await (
        models.ConnectedCalendar.filter(import_enabled=True)
        .filter(Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lte=cutoff))
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .order_by("last_attempt_at", "id")
        .limit(500)
        .values_list("id", flat=True)
    )
    return await import_calendars(cast(list[int], due), config=config)


def start_background(calendar_ids: Sequence[int], *, config: Settings) -> None:
    """Import in a task of its own (the clock and database context are inherited)."""
    if not calendar_ids:
        return
    task = asyncio.create_task(
        _quietly(import_calendars(list(calendar_ids), config=config)), name="calendar-import"
    )
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)


async def _quietly(work: Awaitable[object]) -> None:
    try:
        await work
    except asyncio.CancelledError:
        raise
    except Exception:  # a background import must never crash silently into the loop
        log.exception("background calendar import failed")


def import_after_commit(calendar_ids: Sequence[int], *, config: Settings) -> None:
    """Start a background import once the current transaction has committed."""
    ids = list(calendar_ids)

    async def start() -> None:
        start_background(ids, config=config)

    db.after_commit(f"calendars.import.{','.join(map(str, ids))}", start)


async def drain() -> None:
    """Wait for the background imports started so far (tests; shutdown)."""
    while _TASKS:
        await asyncio.gather(*list(_TASKS), return_exceptions=True)


async def shutdown() -> None:
    """Cancel background imports (their leases expire; the job takes them up again)."""
    tasks = list(_TASKS)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
