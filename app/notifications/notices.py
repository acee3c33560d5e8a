"""Creating and listing notices, and who receives them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet

from app import db, pubsub
from app.contacts import models as contact_models
from app.notifications import models
from app.notifications.runs import after_quiet
from app.schedules import models as schedule_models

KINDS = (
    "REMINDER",
    "CHANGE",
    "COVERAGE",
    "COVERAGE_RESOLVED",
    "DESTINATION",
    "COVER_REQUEST",
)
PERSONAL = ("REMINDER", "CHANGE", "COVER_REQUEST")
"""Kinds that reach a contact; quiet hours hold back reminders and change notices only."""
QUIET = ("REMINDER", "CHANGE")
DEFAULT_LEAD_MINUTES = 60
_NAMESPACE = uuid.UUID("8f0e4a52-64d1-4c3a-9d0c-1f8c2b6b9a11")


def notice_channel(org_id: int) -> str:
    return f"org:{org_id}:notices"


def uid_of(key: str) -> str:
    """The stable id receivers see: derived from the planning key, so it never changes."""
    return str(uuid.uuid5(_NAMESPACE, key))


@dataclass(frozen=True)
class Recipient:
    """An active channel of a contact with the contact's preferences."""

    channel: models.NotificationChannel
    zone: str
    lead_minutes: int
    kinds: frozenset[str]
    quiet_start: str | None
    quiet_end: str | None

    def wants(self, kind: str) -> bool:
        return kind in self.kinds

    def due(self, kind: str, instant: datetime) -> datetime:
        if kind not in QUIET:
            return instant
        return after_quiet(instant, start=self.quiet_start, end=self.quiet_end, zone=self.zone)


def active_channels() -> QuerySet[models.NotificationChannel]:
    return models.NotificationChannel.filter(verified_at__isnull=False, paused=False)


async def contact_recipients(
    contact_ids: Iterable[int] | None = None,
) -> dict[int, list[Recipient]]:
    """Per contact, its active channels with preferences (one read of each table)."""
    query = active_channels().filter(contact_id__isnull=False)
    if contact_ids is not None:
        query = query.filter(contact_id__in=set(contact_ids))
    channels = await query
    ids = {c.contact_id for c in channels if c.contact_id is not None}
    if not ids:
        return {}
    zones = dict(await contact_models.Contact.filter(id__in=ids).values_list("id", "timezone"))
    prefs = {p.contact_id: p for p in await models.NoticePreference.filter(contact_id__in=ids)}
    out: dict[int, list[Recipient]] = {}
    for channel in channels:
        assert channel.contact_id is not None
        pref = prefs.get(channel.contact_id)
        out.setdefault(channel.contact_id, []).append(
            Recipient(
                channel=channel,
                zone=str(zones.get(channel.contact_id, "UTC")),
                lead_minutes=pref.lead_minutes if pref else DEFAULT_LEAD_MINUTES,
                kinds=frozenset(pref.kinds) if pref else frozenset(PERSONAL),
                quiet_start=pref.quiet_start if pref else None,
                quiet_end=pref.quiet_end if pref else None,
            )
        )
    return out


@dataclass(frozen=True)
class Target:
    """Where a schedule's alerts go: a channel of the schedule, or its default email."""

    transport: str
    address: str
    channel_id: int | None


async def schedule_targets(schedule_ids: Iterable[int]) -> dict[int, list[Target]]:
    ids = set(schedule_ids)
    out: dict[int, list[Target]] = {pk: [] for pk in ids}
    for c in await active_channels().filter(schedule_id__in=ids):
        assert c.schedule_id is not None
        out[c.schedule_id].append(Target(c.kind, c.address, c.id))
    for s in await schedule_models.Schedule.filter(id__in=ids).only("id", "default_email"):
        if s.default_email and not any(t.address == s.default_email for t in out[s.id]):
            out[s.id].append(Target("EMAIL", s.default_email, None))
    return out


async def create(
    *,
    org_id: int,
    kind: str,
    key: str,
    transport: str,
    address: str,
    due_at: datetime,
    channel_id: int | None = None,
    contact_id: int | None = None,
    schedule_id: int | None = None,
    subject: str = "",
    data: dict[str, Any] | None = None,
) -> models.Notice | None:
    """A PENDING notice, unless one with this key exists (planning runs again safely)."""
    try:
        async with db.transaction():
            notice = await models.Notice.create(
                organization_id=org_id,
                kind=kind,
                key=key,
                uid=uid_of(key),
                transport=transport,
                address=address,
                due_at=due_at,
                channel_id=channel_id,
                contact_id=contact_id,
                schedule_id=schedule_id,
                subject=subject,
                data=data or {},
            )
    except IntegrityError:
        return None
    published(notice)
    return notice


async def existing_keys(keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), 500):
        rows = await models.Notice.filter(key__in=keys[i : i + 500]).values_list("key", flat=True)
        found.update(str(k) for k in rows)
    return found


def published(notice: models.Notice) -> None:
    """Tell ``noticeChanged`` subscribers (after commit)."""
    pubsub.publish_after_commit(
        notice_channel(notice.organization_id), {"noticeId": notice.id, "status": notice.status}
    )


@dataclass(frozen=True)
class NoticeFilter:
    statuses: list[str] | None = None
    kinds: list[str] | None = None
    contact_id: int | None = None
    schedule_id: int | None = None
    channel_id: int | None = None


def list_notices(*, org_id: int, where: NoticeFilter) -> QuerySet[models.Notice]:
    query = models.Notice.filter(organization_id=org_id)
    if where.statuses is not None:
        query = query.filter(status__in=where.statuses)
    if where.kinds is not None:
        query = query.filter(kind__in=where.kinds)
    if where.contact_id is not None:
        query = query.filter(contact_id=where.contact_id)
    if where.schedule_id is not None:
        query = query.filter(schedule_id=where.schedule_id)
    if where.channel_id is not None:
        query = query.filter(channel_id=where.channel_id)
    return query.order_by("-due_at", "-id")


async def set_state(key: str, state: dict[str, Any]) -> None:
    """Store what an alert (or the planner) last saw under ``key``."""
    updated = await models.AlertState.filter(key=key).update(state=state)
    if not updated:
        await models.AlertState.create(key=key, state=state)
