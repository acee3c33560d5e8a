"""Destinations: exports of confirmed shifts, their progress and their status (SPEC §4)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime
from typing import Any, cast
from urllib.parse import urlsplit

from tortoise.queryset import QuerySet

from app import clock, db, outbound, pubsub, versions
from app.contacts import models as contact_models
from app.destinations import models
from app.destinations.adapters.base import (
    ExportRequest,
    ExportResult,
    Person,
    PreviousItem,
    Segment,
    address_of,
)
from app.destinations.status import Status, destination_status, schedule_status
from app.errors import Collector, NotFound
from app.schedules import models as schedule_models
from app.shifts import models as shift_models
from app.shifts import service as shift_service
from app.tiers import models as tier_models

log = logging.getLogger("rotagraph.exports")

KINDS = ("WEBHOOK", "PAGERDUTY", "CALDAV")


def destination_channel(schedule_id: int) -> str:
    return f"schedule:{schedule_id}:destinations"


def schedule_channel(schedule_id: int) -> str:
    return f"schedule:{schedule_id}:status"


def on_call_channel(schedule_id: int) -> str:
    return f"schedule:{schedule_id}:on-call"


# ------------------------------------------------------------------------------ CRUD


@dataclass(frozen=True)
class DestinationFields:
    name: str
    kind: str
    tier_number: int = 1
    position: int = 1
    auto_export: bool = True
    config: dict[str, Any] | None = None
    secrets: dict[str, Any] | None = None


def _check(f: DestinationFields, errors: Collector) -> None:
    from app.destinations.adapters import adapter_for

    if not f.name.strip():
        errors.add("name", "must not be empty")
    if f.kind not in KINDS:
        errors.add("kind", f"must be one of {', '.join(KINDS)}")
        return
    if not 1 <= f.tier_number <= 20:
        errors.add("tierNumber", "must be between 1 and 20")
    if not 1 <= f.position <= 50:
        errors.add("position", "must be between 1 and 50")
    adapter = adapter_for(f.kind)
    problems = adapter.check_config(f.config or {}, f.secrets or {})
    for field, message in problems:
        errors.add(field, message)
    address = address_of(adapter, f.config or {})
    field = f"config.{adapter.address_field}"
    if address is not None and all(p[0] != field for p in problems):
        if (why := outbound.address_problem(address)) is not None:
            errors.add(field, why)


def _origin(url: str | None) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url or "")
        return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    except ValueError:
        return None


def _secrets_left_behind(
    dest: models.Destination, config: dict[str, Any], given: dict[str, Any], errors: Collector
) -> None:
    """Secrets travel to the destination's address: when it moves to another origin, every
    stored secret sent there must be given again, or the new host would receive it."""
    from app.destinations.adapters import adapter_for

    adapter = adapter_for(dest.kind)
    if _origin(address_of(adapter, config)) == _origin(address_of(adapter, dest.config)):
        return
    for key in adapter.bound_secrets:
        if dest.secrets.get(key) is not None and given.get(key) is None:
            errors.add(
                f"secrets.{key}",
                f"must be given again when config.{adapter.address_field} moves to another "
                "server (the stored one stays with the old address)",
            )


def list_destinations(
    *, org_id: int, schedule_id: int | None = None
) -> QuerySet[models.Destination]:
    query = models.Destination.filter(organization_id=org_id)
    if schedule_id is not None:
        query = query.filter(schedule_id=schedule_id)
    return query.order_by("schedule_id", "name", "id")


async def get_destination(*, org_id: int, destination_id: int) -> models.Destination:
    found = await models.Destination.get_or_none(id=destination_id, organization_id=org_id)
    if found is None:
        raise NotFound("Destination", destination_id)
    return found


async def create_destination(
    *, org_id: int, schedule_id: int, fields: DestinationFields, now: datetime
) -> models.Destination:
    schedule = await schedule_models.Schedule.get_or_none(id=schedule_id, organization_id=org_id)
    if schedule is None:
        raise NotFound("Schedule", schedule_id)
    errors = Collector("input.")
    _check(fields, errors)
    errors.raise_if_any()
    dest = await models.Destination.create(
        organization_id=org_id,
        schedule_id=schedule.id,
        name=fields.name.strip(),
        kind=fields.kind,
        tier_number=fields.tier_number,
        position=fields.position,
        auto_export=fields.auto_export,
        config=fields.config or {},
        secrets=fields.secrets or {},
        export_due_at=now if fields.auto_export else None,
    )
    await refresh_statuses(schedule_ids={schedule.id}, now=now)
    return dest


async def update_destination(
    *, org_id: int, destination_id: int, changes: dict[str, Any], now: datetime
) -> models.Destination:
    """Apply changes; ``secrets`` merge key by key (a key set to null is removed), so a
    client never has to send back secrets it cannot read."""
    dest = await get_destination(org_id=org_id, destination_id=destination_id)
    secrets = dict(dest.secrets)
    given = changes.pop("secrets", None) or {}
    for key, value in given.items():
        if value is None:
            secrets.pop(key, None)
        else:
            secrets[key] = value
    fields = DestinationFields(
        name=changes.get("name") or dest.name,
        kind=dest.kind,
        tier_number=changes.get("tier_number") or dest.tier_number,
        position=changes.get("position") or dest.position,
        auto_export=dest.auto_export
        if changes.get("auto_export") is None
        else changes["auto_export"],
        config=dest.config if changes.get("config") is None else changes["config"],
        secrets=secrets,
    )
    errors = Collector("input.")
    _check(fields, errors)
    _secrets_left_behind(dest, fields.config or {}, given, errors)
    errors.raise_if_any()
    source_moved = (fields.tier_number, fields.position) != (dest.tier_number, dest.position)
    dest.name, dest.tier_number, dest.position = (
        fields.name.strip(),
        fields.tier_number,
        fields.position,
    )
    dest.auto_export, dest.config, dest.secrets = fields.auto_export, fields.config or {}, secrets
    if source_moved:
        # A new source: what was exported no longer says anything about it.
        dest.exported_until = None
        dest.cover_until = None
        dest.attempts_finished = 0
    if dest.auto_export and (source_moved or "config" in changes):
        dest.export_due_at = now
    await dest.save()
    await refresh_statuses(schedule_ids={dest.schedule_id}, now=now)
    return dest


async def delete_destination(*, org_id: int, destination_id: int, now: datetime) -> None:
    dest = await get_destination(org_id=org_id, destination_id=destination_id)
    await dest.delete()
    await refresh_statuses(schedule_ids={dest.schedule_id}, now=now)


async def request_export(*, org_id: int, destination_ids: Iterable[int], now: datetime) -> None:
    """Mark destinations for export now ("Export Now"); the export worker picks them up."""
    await models.Destination.filter(organization_id=org_id, id__in=list(destination_ids)).update(
        export_due_at=now
    )
    kick_after_commit()


# ------------------------------------------------------------------------- sources


async def _tiers_by_source(
    dests: Sequence[models.Destination],
) -> dict[tuple[int, int], tier_models.Tier]:
    schedule_ids = {d.schedule_id for d in dests}
    tiers = await tier_models.Tier.filter(schedule_id__in=schedule_ids) if schedule_ids else []
    return {(t.schedule_id, t.number): t for t in tiers}


def project(rows: Iterable[shift_models.Shift], position: int) -> list[Segment]:
    """Confirmed rows seen through one assignee position, equal neighbours merged."""
    out: list[Segment] = []
    for row in rows:
        positions = row.positions or row.assignees
        contact = positions[position - 1] if len(positions) >= position else None
        if contact is None:
            continue
        if out and out[-1].end == row.start and out[-1].contact_id == contact:
            out[-1] = Segment(out[-1].start, row.end, contact)
        else:
            out.append(Segment(row.start, row.end, contact))
    return out


async def sources(
    dests: Sequence[models.Destination], *, since: datetime
) -> dict[int, tuple[tier_models.Tier | None, list[Segment]]]:
    """Each destination's tier and projected confirmed shifts ending after ``since``
    (two queries for any number of destinations)."""
    tiers = await _tiers_by_source(dests)
    tier_ids = {t.id for t in tiers.values()}
    rows_by_tier: dict[int, list[shift_models.Shift]] = defaultdict(list)
    if tier_ids:
        for row in (
            await shift_models.Shift.filter(tier_id__in=tier_ids, end__gt=since)
            .only("id", "tier_id", "start", "end", "assignees", "positions")
            .order_by("tier_id", "start")
        ):
            rows_by_tier[row.tier_id].append(row)
    out = {}
    for d in dests:
        tier = tiers.get((d.schedule_id, d.tier_number))
        out[d.id] = (tier, project(rows_by_tier[tier.id], d.position) if tier else [])
    return out


# -------------------------------------------------------------------------- status


async def refresh_statuses(
    *,
    schedule_ids: Iterable[int] | None = None,
    destination_ids: Iterable[int] | None = None,
    known: dict[int, list[Segment]] | None = None,
    now: datetime,
) -> list[models.Destination]:
    """Recompute destination and schedule statuses against the clock; store and publish the
    ones that changed (after commit). Returns the destinations whose status changed.

    With ``destination_ids`` only those destinations are recomputed (after their own export);
    the roll-up then takes the others' stored statuses, which the status tick keeps current."""
    query = models.Destination.all()
    ids = set(schedule_ids) if schedule_ids is not None else None
    if ids is not None:
        query = query.filter(schedule_id__in=ids)
    dests = await query
    only = set(destination_ids) if destination_ids is not None else None
    known = known or {}
    src: dict[int, tuple[Any, list[Segment]]] = {
        pk: (None, [s for s in segments if s.end > now]) for pk, segments in known.items()
    }
    src.update(
        await sources(
            [d for d in dests if (only is None or d.id in only) and d.id not in known], since=now
        )
    )
    changed = []
    by_schedule: dict[int, list[Status]] = defaultdict(list)
    for d in dests:
        if d.id not in src:
            by_schedule[d.schedule_id].append(Status(d.status))
            continue
        _, segments = src[d.id]
        status = destination_status(
            shifts=[(s.start, s.end) for s in segments],
            exported_until=d.exported_until,
            first_attempt_done=d.attempts_finished > 0,
            now=now,
        )
        by_schedule[d.schedule_id].append(status)
        if status.value != d.status:
            versions.touch(d.organization_id)
            d.status = status.value
            await models.Destination.filter(id=d.id).update(status=status.value)
            changed.append(d)
            pubsub.publish_after_commit(
                destination_channel(d.schedule_id), {"destinationId": d.id, "status": status.value}
            )
    schedules = schedule_models.Schedule.all()
    if ids is not None:
        schedules = schedules.filter(id__in=ids)
    rows = await schedules.only("id", "status", "organization_id")
    # "Has confirmed shifts" means Shift rows exist: a tier confirmed with no layers has none
    # (only asked for schedules without destinations).
    bare = [s.id for s in rows if not by_schedule.get(s.id)]
    confirmed: set[int] = (
        set(
            cast(
                list[int],
                await shift_models.Shift.filter(tier__schedule_id__in=bare)
                .distinct()
                .values_list("tier__schedule_id", flat=True),
            )
        )
        if bare
        else set()
    )
    for s in rows:
        status = schedule_status(by_schedule.get(s.id, []), has_confirmed_shifts=s.id in confirmed)
        if status.value != s.status:
            versions.touch(s.organization_id)
            await schedule_models.Schedule.filter(id=s.id).update(status=status.value)
            pubsub.publish_after_commit(
                schedule_channel(s.id), {"scheduleId": s.id, "status": status.value}
            )
    return changed


# ------------------------------------------------------------ confirmation listener


async def on_confirmed(results: Sequence[shift_service.Confirmation], now: datetime) -> None:
    """After a tier's confirmed rows changed: rewind exports whose exported range changed,
    queue auto exports for every new assignment, and refresh statuses."""
    news = [r for r in results if r.new_assignment]
    if not news:
        return
    tiers = {t.id: t for t in await tier_models.Tier.filter(id__in=[r.tier_id for r in news])}
    # Locked (PostgreSQL), as the export's recording step locks its row: a change and the
    # outcome of an export in flight are applied one after the other, never crossed.
    dests = await (
        models.Destination.filter(schedule_id__in={r.schedule_id for r in news})
        .select_for_update()
        .order_by("id")
    )
    by_source: dict[tuple[int, int], list[models.Destination]] = defaultdict(list)
    for d in dests:
        by_source[(d.schedule_id, d.tier_number)].append(d)
    for r in news:
        tier = tiers[r.tier_id]
        for d in by_source.get((tier.schedule_id, tier.number), []):
            updates: dict[str, Any] = {}
            if (
                r.changed_from is not None
                and d.exported_until is not None
                and r.changed_from < d.exported_until
            ):
                rows = await shift_models.Shift.filter(
                    tier_id=tier.id, end__gt=min(r.changed_from, now)
                ).order_by("start")
                start = r.changed_from
                for seg in project(rows, d.position):
                    if seg.start <= r.changed_from < seg.end:
                        start = seg.start
                        break
                updates["exported_until"] = start
                updates["cover_until"] = max(d.exported_until, d.cover_until or d.exported_until)
            if d.auto_export:
                updates["export_due_at"] = now
            if updates:
                await models.Destination.filter(id=d.id).update(**updates)
    kick_after_commit()
    await refresh_statuses(schedule_ids={r.schedule_id for r in news}, now=now)
    from app.jobs.status import publish_on_call_changes

    await publish_on_call_changes({r.schedule_id for r in news})


shift_service.LISTENERS.append(on_confirmed)


# -------------------------------------------------------------------------- export


def idempotency_key(
    destination_id: int, start: datetime, end: datetime, segments: Sequence[Segment]
) -> str:
    """The same for every request of one logical export: destination, range and the data."""
    data = json.dumps(
        [
            destination_id,
            start.isoformat(),
            end.isoformat(),
            [(s.start.isoformat(), s.end.isoformat(), s.contact_id) for s in segments],
        ]
    )
    return hashlib.sha256(data.encode()).hexdigest()


@dataclass
class Plan:
    destination: models.Destination
    request: ExportRequest
    first_segment_start: datetime | None
    tier_state: tuple[Any, ...] | None = None
    """The source tier's versions when planned: unchanged, its confirmed rows are too."""
    segments: list[Segment] = dataclass_field(default_factory=list)
    """All the source's projected shifts read for the plan (not only the range's)."""


def _tier_state(tier: tier_models.Tier | None) -> tuple[Any, ...] | None:
    if tier is None:
        return None
    return (tier.id, tier.data_version, tier.confirmed_version, tier.confirmed_until)


async def plan_export(dest: models.Destination, *, now: datetime) -> Plan:
    """What an export of ``dest`` sends now: its source's confirmed shifts from
    exportedUntil (or the start of the current shift) to the confirmed horizon, or further
    when a rewind asked to cover what was exported before."""
    tier, segments = (await sources([dest], since=min(dest.exported_until or now, now)))[dest.id]
    horizon = tier.confirmed_until if tier and tier.confirmed_until else now
    if dest.exported_until is not None:
        start = dest.exported_until
    else:
        current = next((s for s in segments if s.start <= now < s.end), None)
        start = current.start if current else now
    end = max(horizon, dest.cover_until or horizon, start)
    # An item written earlier that straddles the start would be removed whole by a
    # replacing adapter: start the range at that item so its first part is sent again.
    straddling = (
        await models.ExternalItem.filter(destination_id=dest.id, start__lt=start, end__gt=start)
        .order_by("start")
        .first()
    )
    if straddling is not None:
        start = straddling.start
        tier, segments = (await sources([dest], since=start))[dest.id]
    chosen = [s for s in segments if s.end > start and s.start < end]
    people = {
        c.id: Person(id=c.id, name=c.name, email=c.email, phone=c.phone)
        for c in await contact_models.Contact.filter(id__in={s.contact_id for s in chosen})
    }
    previous = [
        PreviousItem(external_id=i.external_id, start=i.start, end=i.end)
        for i in await models.ExternalItem.filter(
            destination_id=dest.id, end__gt=start, start__lt=end
        )
    ]
    schedule = await schedule_models.Schedule.get(id=dest.schedule_id)
    request = ExportRequest(
        destination_id=dest.id,
        schedule_name=schedule.name,
        config=dest.config,
        secrets=dest.secrets,
        range_start=start,
        range_end=end,
        segments=chosen,
        people=people,
        idempotency_key=idempotency_key(dest.id, start, end, chosen),
        previous_items=previous,
    )
    return Plan(
        destination=dest,
        request=request,
        first_segment_start=chosen[0].start if chosen else None,
        tier_state=_tier_state(tier),
        segments=segments,
    )


class _PerLoop:
    """asyncio primitives bind to the event loop that first waits on them: keep one set per
    loop, so an app started again in a new loop (tests, a reloaded server) never reuses them."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.wake = asyncio.Event()

    def current(self) -> _PerLoop:
        loop = asyncio.get_running_loop()
        if self.loop is not loop:
            self.loop, self.locks, self.wake = loop, defaultdict(asyncio.Lock), asyncio.Event()
        return self


_primitives = _PerLoop()


async def _still_valid(
    planned: models.Destination, fresh: models.Destination, plan: Plan, *, now: datetime
) -> datetime | None:
    """None when what ``plan`` sent is still the truth; else the instant up to which it is.

    An export reads the confirmed shifts, sends, then records: a change confirmed in
    between must not be covered by the recorded exportedUntil. Either the change's rewind
    already moved this row (exportedUntil / coverUntil / source differ from the plan's), or
    the rows differ from what was sent: then only the unchanged leading shifts count.
    """
    request = plan.request
    moved = (fresh.exported_until, fresh.cover_until, fresh.tier_number, fresh.position) != (
        planned.exported_until,
        planned.cover_until,
        planned.tier_number,
        planned.position,
    )
    if (fresh.tier_number, fresh.position) != (planned.tier_number, planned.position):
        return request.range_start  # sent for another source: nothing of it counts
    tier = await tier_models.Tier.get_or_none(
        schedule_id=fresh.schedule_id, number=fresh.tier_number
    )
    if not moved and _tier_state(tier) == plan.tier_state:
        return None  # confirmed rows change only with the tier's versions: nothing changed
    _, segments = (await sources([fresh], since=min(planned.exported_until or now, now)))[fresh.id]
    current = [s for s in segments if s.end > request.range_start and s.start < request.range_end]
    sent = list(request.segments)
    same = 0
    while same < min(len(sent), len(current)) and sent[same] == current[same]:
        same += 1
    if same == len(sent) == len(current):
        return fresh.exported_until if moved and fresh.exported_until is not None else None
    valid = sent[same - 1].end if same else request.range_start
    if moved and fresh.exported_until is not None:
        valid = min(valid, fresh.exported_until)
    return valid


async def export_destination(destination_id: int, *, session: Any) -> models.Destination:
    """Run one export of a destination now and record the outcome.

    Slow I/O never runs inside a transaction: the plan is read, the adapter sends, then the
    outcome is written in a short transaction of its own. A crash between sending and
    recording leaves exportedUntil where it was and the export still due (``export_due_at``
    is cleared only with the outcome), so after a restart the worker sends the same logical
    export again with the same idempotency key; its Delivery row is then marked LOST.
    """
    from app.destinations.adapters import adapter_for

    async with _primitives.current().locks[destination_id]:
        now = clock.now()
        async with db.transaction():
            dest = await models.Destination.get(id=destination_id)
            # lastAttemptAt and the outcome are visible: cached answers go stale.
            versions.touch(dest.organization_id)
            await models.Destination.filter(id=dest.id).update(last_attempt_at=now)
            # A delivery still SENDING here never recorded its outcome (the process died):
            # exports of one destination never overlap (the lock above).
            await models.Delivery.filter(destination_id=dest.id, state="SENDING").update(
                state="LOST", error="the process stopped before the outcome was recorded"
            )
            plan = await plan_export(dest, now=now)
            delivery = await models.Delivery.create(
                destination_id=dest.id,
                idempotency_key=plan.request.idempotency_key,
                range_start=plan.request.range_start,
                range_end=plan.request.range_end,
                shift_count=len(plan.request.segments),
                started_at=now,
            )
        error: str | None = None
        result = ExportResult()
        try:
            result = await adapter_for(dest.kind).export(plan.request, session)
        except outbound.OutboundError as exc:
            error = str(exc) or type(exc).__name__
        except Exception as exc:  # an adapter bug is a failed export, never a crash of the worker
            log.exception("export of destination %s failed", dest.id)
            error = f"unexpected error: {type(exc).__name__}"
        finished = clock.now()
        async with db.transaction():
            versions.touch(dest.organization_id)
            fresh = await models.Destination.select_for_update().get_or_none(id=dest.id)
            if fresh is None:
                return dest
            fresh.attempts_finished += 1
            fresh.last_attempt_at = now
            # What was sent still holds up to ``valid_until`` (None: all of it).
            valid_until = await _still_valid(dest, fresh, plan, now=now) if error is None else None
            if (
                fresh.export_due_at is not None
                and fresh.export_due_at <= now
                and valid_until is None
            ):
                # Done; a request that arrived while this attempt ran stays due, and so
                # does a change that overtook this export.
                fresh.export_due_at = None
            if error is None:
                segments = plan.request.segments
                if valid_until is not None:
                    # The confirmed shifts changed while this export was in flight: keep
                    # exportedUntil short of the change, and let the next export cover
                    # everything this one replaced at the destination.
                    if valid_until > plan.request.range_start:
                        fresh.exported_until = valid_until
                    fresh.cover_until = max(
                        fresh.cover_until or plan.request.range_end, plan.request.range_end
                    )
                elif segments:
                    fresh.exported_until = segments[-1].end
                    fresh.cover_until = None
                else:
                    if (
                        fresh.exported_until is None
                        or fresh.exported_until < plan.request.range_start
                    ):
                        fresh.exported_until = plan.request.range_start
                    fresh.cover_until = None
                fresh.last_error = None
                fresh.last_success_at = finished
                if result.removed:
                    await models.ExternalItem.filter(
                        destination_id=dest.id, external_id__in=result.removed
                    ).delete()
                if result.created:
                    await models.ExternalItem.bulk_create(
                        [
                            models.ExternalItem(
                                destination_id=dest.id,
                                external_id=i.external_id,
                                start=i.start,
                                end=i.end,
                            )
                            for i in result.created
                        ]
                    )
            else:
                fresh.last_error = error[:2000]
            await fresh.save()
            await models.Delivery.filter(id=delivery.id).update(
                state="OK" if error is None else "FAILED", error=error, finished_at=finished
            )
            await refresh_statuses(
                schedule_ids={fresh.schedule_id},
                destination_ids={fresh.id},
                # Unchanged since the plan read them: no need to read the shifts again.
                known={fresh.id: plan.segments} if error is None and valid_until is None else None,
                now=finished,
            )
        return fresh


# -------------------------------------------------------------------------- worker


def _kick_now() -> None:
    _primitives.current().wake.set()


_KICK = "exports.kick"


async def _kick() -> None:
    _kick_now()


def kick_after_commit() -> None:
    """Wake the export worker once the current transaction committed."""
    db.after_commit(_KICK, _kick)


async def due_destination_ids(*, now: datetime, limit: int = 1000) -> list[int]:
    return cast(
        list[int],
        await models.Destination.filter(export_due_at__lte=now)
        .order_by("export_due_at")
        .limit(limit)
        .values_list("id", flat=True),
    )


async def wait_for_work(seconds: float) -> None:
    try:
        await asyncio.wait_for(_primitives.current().wake.wait(), seconds)
    except TimeoutError:
        pass
    _primitives.current().wake.clear()
