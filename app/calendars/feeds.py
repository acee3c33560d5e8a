"""Calendar feeds: revocable secret iCalendar URLs of confirmed shifts.

A feed covers a schedule (all its tiers), one tier, or one contact (their shifts on every
tier). ``GET /feeds/<secret>.ics`` needs no token: the secret is the credential, stored only
as a SHA-256 hash and shown once. A revoked or unknown secret answers 404.

What a feed serves: the confirmed Shift rows ending after now - 15 days (rows exist up to
each tier's confirmed horizon), one event per assignee, touching rows of the same contact
and position joined. Times are written in the feed's zone (the schedule's; a contact
feed's is the contact's) with its VTIMEZONE; icalendar escapes text and folds lines.

Stable UIDs: ``<tier id>-<start, UTC>-<contact id>@rotagraph`` — made of what the event
is, not of row ids, which reconfirmation may change.

Removed shifts: every fetch records what it served (UID -> start, end, summary, SEQUENCE,
last change) on the feed row. A UID served before that is gone now while its time is still
inside the window is kept as a tombstone and sent with STATUS:CANCELLED and a higher
SEQUENCE for TOMBSTONE_DAYS, so a client that saw it drops it; if it comes back it is
served again with a higher SEQUENCE. UIDs that merely fell out of the window are dropped
without a tombstone. Recording on the feed (rather than hooking every deletion of Shift
rows) catches removals from any cause — edits, substitutions, imported busy time, deleted
tiers' shifts — and only for UIDs a client of this feed may actually hold. DTSTAMP is the
last change of each event, so an unchanged feed answers byte for byte the same body and
its ETag allows 304 answers.
"""

from __future__ import annotations

import hashlib
import re
import secrets as secrets_module
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import icalendar
from starlette.requests import Request
from starlette.responses import Response

from app import validation
from app.auth.service import hash_token
from app.calendars import models
from app.calendars.vtimezone import vtimezone
from app.contacts import models as contact_models
from app.engine import Shift
from app.errors import BadUserInput, Collector, NotFound
from app.schedules import models as schedule_models
from app.shifts import final as final_shifts
from app.shifts import models as shift_models
from app.tiers import models as tier_models

SECRET_PREFIX = "rgf_"
BACK = timedelta(days=15)
TOMBSTONE_DAYS = 30
TOUCH_EVERY = timedelta(minutes=1)
PRODID = "-//Rotagraph//On-call feeds//EN"
REFRESH = timedelta(minutes=15)  # REFRESH-INTERVAL and X-PUBLISHED-TTL
_POSITIONS = {1: "primary", 2: "secondary", 3: "tertiary"}


# ------------------------------------------------------------------------------ service


@dataclass(frozen=True)
class FeedSpec:
    """Exactly one of schedule_id, tier_id, contact_id. ``busy``: events mark the time busy
    (TRANSP:OPAQUE) rather than free."""

    schedule_id: int | None = None
    tier_id: int | None = None
    contact_id: int | None = None
    busy: bool = True
    name: str = ""


def new_secret() -> str:
    return SECRET_PREFIX + secrets_module.token_urlsafe(32)


def feed_url(secret: str, base_url: str) -> str:
    return f"{base_url.rstrip('/')}/feeds/{secret}.ics"


async def create_feed(*, org_id: int, spec: FeedSpec) -> tuple[models.CalendarFeed, str]:
    """A new feed and its secret, returned this once and never again."""
    named = [
        f
        for f, v in (
            ("scheduleId", spec.schedule_id),
            ("tierId", spec.tier_id),
            ("contactId", spec.contact_id),
        )
        if v is not None
    ]
    if len(named) != 1:
        raise BadUserInput("give exactly one of scheduleId, tierId and contactId", field="input")
    errors = Collector("input.")
    name = validation.plain_text(errors, "name", spec.name)
    errors.raise_if_any()
    if spec.schedule_id is not None and not await schedule_models.Schedule.exists(
        id=spec.schedule_id, organization_id=org_id
    ):
        raise NotFound("Schedule", spec.schedule_id)
    if spec.tier_id is not None and not await tier_models.Tier.exists(
        id=spec.tier_id, organization_id=org_id
    ):
        raise NotFound("Tier", spec.tier_id)
    if spec.contact_id is not None and not await contact_models.Contact.exists(
        id=spec.contact_id, organization_id=org_id
    ):
        raise NotFound("Contact", spec.contact_id)
    secret = new_secret()
    feed = await models.CalendarFeed.create(
        organization_id=org_id,
        schedule_id=spec.schedule_id,
        tier_id=spec.tier_id,
        contact_id=spec.contact_id,
        busy=spec.busy,
        name=name,
        secret_hash=hash_token(secret),
        prefix=secret[:10],
    )
    return feed, secret


async def get_feed(*, org_id: int, feed_id: int) -> models.CalendarFeed:
    feed = await models.CalendarFeed.get_or_none(id=feed_id, organization_id=org_id)
    if feed is None:
        raise NotFound("CalendarFeed", feed_id)
    return feed


async def revoke_feed(*, org_id: int, feed_id: int, now: datetime) -> models.CalendarFeed:
    """Revoke a feed: its URL answers 404 from now on. Revoking twice changes nothing."""
    feed = await get_feed(org_id=org_id, feed_id=feed_id)
    if feed.revoked_at is None:
        feed.revoked_at = now
        await feed.save(update_fields=["revoked_at"])
    return feed


# ------------------------------------------------------------------------------ rendering


@dataclass
class _Event:
    uid: str
    start: datetime
    end: datetime
    summary: str


@dataclass
class _Run:
    start: datetime
    end: datetime
    positions: list[int]


@dataclass(frozen=True)
class _Scope:
    name: str
    zone: str
    tier_ids: list[int]
    contact_id: int | None


def _position_label(position: int) -> str:
    return _POSITIONS.get(position, f"position {position}")


async def _scope(feed: models.CalendarFeed) -> _Scope | None:
    org = feed.organization_id
    if feed.schedule_id is not None:
        schedule = await schedule_models.Schedule.get_or_none(id=feed.schedule_id)
        if schedule is None:
            return None
        tiers = cast(
            list[int],
            await tier_models.Tier.filter(schedule_id=schedule.id).values_list("id", flat=True),
        )
        return _Scope(feed.name or schedule.name, schedule.timezone, tiers, None)
    if feed.tier_id is not None:
        tier = await tier_models.Tier.get_or_none(id=feed.tier_id)
        if tier is None:
            return None
        schedule = await schedule_models.Schedule.get(id=tier.schedule_id)
        name = feed.name or f"{schedule.name}, tier {tier.number}"
        return _Scope(name, schedule.timezone, [tier.id], None)
    contact = await contact_models.Contact.get_or_none(id=feed.contact_id)
    if contact is None:
        return None
    tiers = cast(
        list[int], await tier_models.Tier.filter(organization_id=org).values_list("id", flat=True)
    )
    return _Scope(feed.name or f"{contact.name}: on call", contact.timezone, tiers, contact.id)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


async def _shifts(
    scope: _Scope, org_id: int, since: datetime, now: datetime
) -> tuple[list[tuple[int, Shift]], dict[int, tier_models.Tier]]:
    """The confirmed rows ending after ``since`` as (tier id, shift), by tier and start. A
    tier's first row starts at the instant confirmation began, inside the shift running then:
    that shift's computed start is put before it, so the event starts where the shift did."""
    rows = await shift_models.Shift.filter(tier_id__in=scope.tier_ids, end__gt=since).order_by(
        "tier_id", "start"
    )
    tiers = {t.id: t for t in await tier_models.Tier.filter(id__in={r.tier_id for r in rows})}
    shifts = [(r.tier_id, final_shifts.shift_from_row(r)) for r in rows]
    started = [
        t
        for t in tiers.values()
        if t.confirmed_since is not None and since < t.confirmed_since <= now
    ]
    for tier in started:
        assert tier.confirmed_since is not None
        before = await final_shifts.tier_shifts(
            org_id=org_id, tiers=[tier], start=since, end=tier.confirmed_since, now=now
        )
        running = [s for s in before[tier.id] if s.end == tier.confirmed_since]
        shifts.extend((tier.id, s) for s in running)
    shifts.sort(key=lambda item: (item[0], item[1].start))
    return shifts, tiers


async def _events(scope: _Scope, org_id: int, since: datetime, now: datetime) -> list[_Event]:
    rows, tiers = await _shifts(scope, org_id, since, now)
    schedules = {
        s.id: s
        for s in await schedule_models.Schedule.filter(
            id__in={t.schedule_id for t in tiers.values()}
        )
    }
    contact_ids = {c for _, r in rows for c in r.assignees}
    names = dict(await contact_models.Contact.filter(id__in=contact_ids).values_list("id", "name"))
    # A person's shift is a maximal run of touching rows of one tier that include them
    # (SPEC §12): confirmation splits the running row at now, and a change of position
    # inside a run is not a new shift, so neither starts an event.
    segments: dict[tuple[int, int], list[_Run]] = defaultdict(list)
    for tier_id, row in rows:
        for index, contact_id in enumerate(row.assignees):
            if contact_id not in names:
                continue  # deleted since
            if scope.contact_id is not None and contact_id != scope.contact_id:
                continue
            positions = list(row.positions or [])
            position = positions.index(contact_id) + 1 if contact_id in positions else index + 1
            runs = segments[(tier_id, contact_id)]
            start, end = row.start.astimezone(UTC), row.end.astimezone(UTC)
            if runs and runs[-1].end == start:
                runs[-1].end = end
                if position not in runs[-1].positions:
                    runs[-1].positions.append(position)
            else:
                runs.append(_Run(start, end, [position]))
    events = []
    for (tier_id, contact_id), person_runs in segments.items():
        tier = tiers[tier_id]
        schedule = schedules[tier.schedule_id]
        for run in person_runs:
            start, end = run.start, run.end
            where = f"{schedule.name}, tier {tier.number}"
            if run.positions != [1]:
                where += f" ({', then '.join(_position_label(p) for p in run.positions)})"
            summary = (
                f"On call: {where}"
                if scope.contact_id is not None
                else f"{names[contact_id]} on call: {where}"
            )
            events.append(
                _Event(
                    uid=f"{tier_id}-{_stamp(start)}-{contact_id}@rotagraph",
                    start=start,
                    end=end,
                    summary=summary,
                )
            )
    events.sort(key=lambda e: (e.start, e.uid))
    return events


def _reconcile(
    feed: models.CalendarFeed, events: list[_Event], now: datetime, since: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The new ``served`` and ``removed`` states (see the module's docstring)."""
    old_served: dict[str, Any] = dict(feed.served or {})
    old_removed: dict[str, Any] = dict(feed.removed or {})
    served: dict[str, Any] = {}
    for event in events:
        shape = {"s": _stamp(event.start), "e": _stamp(event.end), "t": event.summary}
        before = old_served.get(event.uid)
        if before is not None and all(before.get(k) == v for k, v in shape.items()):
            served[event.uid] = before
            continue
        previous = before or old_removed.get(event.uid)
        sequence = int(previous["q"]) + 1 if previous is not None else 0
        served[event.uid] = {**shape, "q": sequence, "m": _stamp(now)}
    removed: dict[str, Any] = {}
    keep_after = now - timedelta(days=TOMBSTONE_DAYS)
    for uid, entry in old_removed.items():
        if uid in served:
            continue
        if _parse_stamp(entry["m"]) >= keep_after and _parse_stamp(entry["e"]) > since:
            removed[uid] = entry
    for uid, entry in old_served.items():
        if uid in served or uid in removed:
            continue
        if _parse_stamp(entry["e"]) <= since:
            continue  # fell out of the window: not removed, just old
        removed[uid] = {**entry, "q": int(entry["q"]) + 1, "m": _stamp(now)}
    return served, removed


def _parse_stamp(value: str) -> datetime:
    return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")


def ics_text(value: str) -> icalendar.vText:
    """Text as a TEXT value: line breaks become escaped ``\\n`` (icalendar escapes them and
    ``,;\\``), other control characters, which no content line may hold, become spaces.
    Names are refused with control characters at input; this covers rows stored before."""
    return icalendar.vText(_CONTROL.sub(" ", value.replace("\r\n", "\n").replace("\r", "\n")))


def _ical(
    scope: _Scope,
    feed: models.CalendarFeed,
    served: dict[str, Any],
    removed: dict[str, Any],
    window: tuple[datetime, datetime],
) -> bytes:
    zone = ZoneInfo(scope.zone)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", ics_text(scope.name))
    calendar.add("x-wr-timezone", scope.zone)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", icalendar.vDuration(REFRESH))
    entries = [(uid, e, "CONFIRMED") for uid, e in served.items()] + [
        (uid, e, "CANCELLED") for uid, e in removed.items()
    ]
    entries.sort(key=lambda item: (item[1]["s"], item[0]))
    start, end = window
    if scope.zone != "UTC":
        for _, entry, _ in entries:
            start = min(start, _parse_stamp(entry["s"]))
            end = max(end, _parse_stamp(entry["e"]))
        calendar.add_component(vtimezone(scope.zone, start, end))
    for uid, entry, status in entries:
        event = icalendar.Event()
        event.add("uid", uid)
        event.add("dtstamp", _parse_stamp(entry["m"]))
        event.add("last-modified", _parse_stamp(entry["m"]))
        event.add("sequence", int(entry["q"]))
        event.add("dtstart", _parse_stamp(entry["s"]).astimezone(zone))
        event.add("dtend", _parse_stamp(entry["e"]).astimezone(zone))
        event.add("summary", ics_text(entry["t"]))
        event.add("status", status)
        event.add("transp", "OPAQUE" if feed.busy and status == "CONFIRMED" else "TRANSPARENT")
        calendar.add_component(event)
    body: bytes = calendar.to_ical()
    return body


async def render(feed: models.CalendarFeed, now: datetime) -> bytes | None:
    """The feed's iCalendar body, recording what it served; None when its subject is gone."""
    scope = await _scope(feed)
    if scope is None:
        return None
    since = now - BACK
    events = await _events(scope, feed.organization_id, since, now)
    served, removed = _reconcile(feed, events, now, since)
    if (
        served != feed.served
        or removed != feed.removed
        or feed.last_fetched_at is None
        or now - feed.last_fetched_at >= TOUCH_EVERY
    ):
        await models.CalendarFeed.filter(id=feed.id).update(
            served=served, removed=removed, last_fetched_at=now
        )
    return _ical(scope, feed, served, removed, (since, now))


async def serve(request: Request) -> Response:
    """GET /feeds/{secret}.ics — no token: the secret is the credential."""
    secret = str(request.path_params.get("secret", ""))
    not_found = Response("not found\n", status_code=404, media_type="text/plain")
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 100:
        return not_found
    feed = await models.CalendarFeed.get_or_none(secret_hash=hash_token(secret))
    if feed is None or feed.revoked_at is not None:
        return not_found
    body = await render(feed, request.app.state.clock.now())
    if body is None:
        return not_found
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {
        "ETag": etag,
        "Cache-Control": "private, no-cache",
        "Content-Disposition": 'inline; filename="rotagraph.ics"',
        "X-Content-Type-Options": "nosniff",
    }
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)
