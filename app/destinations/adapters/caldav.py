"""CALDAV: one VEVENT per exported shift in a CalDAV calendar collection.

Each event has a UID derived from (destination, shift start, contact) and lives at
``<calendar>/<UID>.ics``, so a repeated export overwrites rather than duplicates. A replace of
[range_start, range_end) PUTs every segment's event and then deletes this destination's other
events in the range: the ones recorded in ``previous_items`` and any it finds in the calendar by
its UID prefix (left behind by an export that crashed before recording). External ids are the
events' hrefs (URL paths), resolved against the configured calendar URL.

An item re-written in place (same href, new times) is reported both as removed and created, so
the stored row is replaced rather than duplicated.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import aiohttp
import icalendar

from app import clock, outbound
from app.caldav.client import CalDavClient
from app.caldav.errors import CalDavError
from app.caldav.urls import collection_url, is_inside, resource_url
from app.caldav.webdav import EventResource
from app.destinations.adapters.base import (
    ExportFailed,
    ExportRequest,
    ExportResult,
    PreviousItem,
    Segment,
)

PRODID = "-//Rotagraph//Destinations//EN"


def uid_prefix(destination_id: int) -> str:
    return f"rotagraph-d{destination_id}-"


def event_uid(destination_id: int, segment: Segment) -> str:
    """Stable for (destination, start, contact): a re-export replaces the event in place."""
    start = segment.start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{uid_prefix(destination_id)}{start}-c{segment.contact_id}"


def event_ics(request: ExportRequest, segment: Segment, *, busy: bool = False) -> bytes:
    person = request.people.get(segment.contact_id)
    name = person.name if person else f"contact #{segment.contact_id}"
    summary = f"On call: {name}"
    if request.schedule_name:
        summary += f" ({request.schedule_name})"
    description = [f"Schedule: {request.schedule_name}", f"On call: {name}"]
    if person and person.email:
        description.append(f"Email: {person.email}")

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", event_uid(request.destination_id, segment))
    event.add("dtstamp", clock.now().astimezone(UTC).replace(microsecond=0))
    event.add("dtstart", segment.start.astimezone(UTC))
    event.add("dtend", segment.end.astimezone(UTC))
    event.add("summary", summary)
    event.add("description", "\n".join(description))
    event.add("transp", "OPAQUE" if busy else "TRANSPARENT")
    event.add("x-rotagraph-destination", str(request.destination_id))
    calendar.add_component(event)
    return calendar.to_ical()


def _uids(resource: EventResource) -> set[str]:
    try:
        parsed = icalendar.Calendar.from_ical(resource.ics)
    except Exception:  # someone else's malformed event is none of ours: never fail on it
        return set()
    return {str(c.get("uid")) for c in parsed.walk("VEVENT") if c.get("uid") is not None}


def _key(url: str) -> str:
    return unquote(urlsplit(url).path)


def _positive(value: Any, *, maximum: float) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= maximum


class CalDavAdapter:
    """config: url (the calendar collection), username, timeoutSeconds?, maxAttempts?,
    busy? (events show as busy; default free, so a calendar imported back into Rotagraph
    does not make people unavailable for their own shifts); secrets: password."""

    kind = "CALDAV"
    address_field = "url"
    default_address: str | None = None
    bound_secrets: tuple[str, ...] = ("password",)
    credential_config: tuple[str, ...] = ("url", "username")
    keeps_items = True

    def check_config(
        self, config: Mapping[str, Any], secrets: Mapping[str, Any]
    ) -> list[tuple[str, str]]:
        problems = []
        url = config.get("url")
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(
                ("config.url", "the http or https URL of the calendar collection is required")
            )
        elif parts.username is not None or parts.password is not None:
            problems.append(
                ("config.url", "put the user name and password in their own fields, not in the URL")
            )
        username = config.get("username")
        if not isinstance(username, str) or not username.strip():
            problems.append(("config.username", "a user name is required"))
        elif ":" in username:
            problems.append(("config.username", "must not contain ':'"))
        if "timeoutSeconds" in config and not _positive(config["timeoutSeconds"], maximum=120):
            problems.append(
                ("config.timeoutSeconds", "must be a number of seconds between 0 and 120")
            )
        attempts = config.get("maxAttempts", 5)
        if not isinstance(attempts, int) or isinstance(attempts, bool) or not 1 <= attempts <= 10:
            problems.append(("config.maxAttempts", "must be a whole number from 1 to 10"))
        if not isinstance(config.get("busy", False), bool):
            problems.append(("config.busy", "must be true or false"))
        password = secrets.get("password")
        if not isinstance(password, str) or not password:
            problems.append(("secrets.password", "a password (or app password) is required"))
        return problems

    async def export(self, request: ExportRequest, session: aiohttp.ClientSession) -> ExportResult:
        config = request.config
        password = str(request.secrets.get("password") or "")
        initial = float(config.get("retryInitialSeconds", 0.5))  # the jitter scales with it
        try:
            client = CalDavClient(
                session,
                str(config["url"]),
                username=str(config.get("username") or ""),
                password=password,
                timeout=float(config.get("timeoutSeconds", 10)),
                policy=outbound.RetryPolicy(
                    attempts=int(config.get("maxAttempts", 5)), initial=initial, jitter=initial
                ),
            )
            return await self._replace(request, client)
        except CalDavError as exc:
            message = str(exc)
            if password:
                message = message.replace(password, "***")
            raise ExportFailed(f"CalDAV: {message}") from None

    async def _replace(self, request: ExportRequest, client: CalDavClient) -> ExportResult:
        calendar = await client.calendar(client.url)
        if not calendar.supports("VEVENT"):
            raise ExportFailed(f"CalDAV: {calendar.url} does not accept events (VEVENT)")
        base = collection_url(calendar.url)

        # What this destination has in the range now: recorded items, and events found by UID.
        previous: dict[str, PreviousItem] = {}
        forgotten: list[str] = []
        for item in request.previous_items:
            url = urljoin(base, item.external_id)
            if is_inside(base, url):
                previous[_key(url)] = item
            else:  # written to a calendar this destination no longer points at
                forgotten.append(item.external_id)
        prefix = uid_prefix(request.destination_id)
        stale: dict[str, str] = {}  # key → URL to delete
        found = (
            await client.events(base, request.range_start, request.range_end)
            if request.range_start < request.range_end
            else []
        )
        for resource in found:
            if is_inside(base, resource.url) and any(u.startswith(prefix) for u in _uids(resource)):
                stale[_key(resource.url)] = resource.url
        for key, item in previous.items():
            stale.setdefault(key, urljoin(base, item.external_id))

        result = ExportResult(removed=forgotten)
        busy = bool(request.config.get("busy", False))
        for segment in request.segments:
            url = resource_url(base, event_uid(request.destination_id, segment) + ".ics")
            await client.put(url, event_ics(request, segment, busy=busy))
            key = _key(url)
            stale.pop(key, None)
            before = previous.get(key)
            if before is not None and (before.start, before.end) == (segment.start, segment.end):
                continue  # the stored row already says this
            if before is not None:
                result.removed.append(before.external_id)
            result.created.append(
                PreviousItem(external_id=urlsplit(url).path, start=segment.start, end=segment.end)
            )

        for key, url in stale.items():
            await client.delete(url, missing_ok=True)
            if key in previous:
                result.removed.append(previous[key].external_id)
        return result
