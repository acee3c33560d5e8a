"""Destinations: exports of confirmed shifts, their progress and their status (SPEC §4).

This module holds their CRUD; `sources`, `tracking` (statuses, reactions to confirmed
shifts), `export` (a batch of exports: `planning`, sending, `recording`), `worker` (claiming
batches) and `wake` (waking the worker) hold the rest."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from tortoise.queryset import QuerySet

from app import outbound
from app.destinations import models
from app.destinations.adapters.base import address_of
from app.destinations.tracking import refresh_statuses
from app.destinations.wake import kick_after_commit
from app.errors import Collector, NotFound
from app.schedules import models as schedule_models

KINDS = ("WEBHOOK", "PAGERDUTY", "CALDAV")


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
