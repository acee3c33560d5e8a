"""CALDAV: a CalDAV account (server URL, user name, password) through ``app.caldav``.

Discovery: a URL that is itself a calendar collection gives that calendar; any other URL
(the server, a principal, a calendar home) gives every calendar of the account that holds
events (PROPFIND current-user-principal -> calendar-home-set -> Depth 1). Import: the
calendar's ctag is read first; when it equals the one of the last good import nothing else
is fetched, else a REPORT calendar-query returns the events overlapping the window (whole
resources, recurring ones with their overrides, expanded by ``app.calendars.parsing``).
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

import aiohttp

from app import caldav, outbound
from app.caldav.urls import collection_url
from app.calendars.providers.base import (
    Snapshot,
    SourceCalendar,
    SourceError,
    SourceSettings,
    url_problems,
)
from app.settings import Settings

POLICY = outbound.RetryPolicy(attempts=2, initial=0.2, maximum=1.0, jitter=0.1)


def _error(exc: caldav.CalDavError) -> SourceError:
    if isinstance(exc, caldav.AccessDenied):
        return SourceError(str(exc), kind="AUTH")
    if isinstance(exc, caldav.NotFound):
        return SourceError(str(exc), kind="NOT_FOUND")
    if isinstance(exc, (caldav.NotACalendar, caldav.ProtocolError)):
        return SourceError(str(exc), kind="NOT_A_CALENDAR")
    return SourceError(str(exc), kind="UNREACHABLE")


class CalDavProvider:
    name = "CALDAV"

    def check(self, settings: SourceSettings) -> list[tuple[str, str]]:
        problems = url_problems(settings.url)
        if not settings.username:
            problems.append(("username", "is required for CALDAV"))
        elif ":" in settings.username or len(settings.username) > 200:
            problems.append(("username", "must not contain ':' and be at most 200 characters"))
        if not settings.password:
            problems.append(("password", "is required for CALDAV (or reconnect a known account)"))
        elif len(settings.password) > 1000:
            problems.append(("password", "must be at most 1000 characters"))
        return problems

    def account(self, settings: SourceSettings) -> tuple[str, str]:
        host = urlsplit(settings.url).hostname or ""
        port = urlsplit(settings.url).port
        shown = f"{host}:{port}" if port else host
        return (
            f"{collection_url(settings.url)}|{settings.username}",
            f"{settings.username} @ {shown}",
        )

    def _client(
        self, session: aiohttp.ClientSession, settings: SourceSettings, config: Settings
    ) -> caldav.CalDavClient:
        return caldav.CalDavClient(
            session,
            settings.url,
            username=settings.username,
            password=settings.password,
            timeout=config.calendar_timeout_seconds,
            policy=POLICY,
            max_redirects=config.calendar_max_redirects,
        )

    async def _guard(self, url: str, config: Settings) -> None:
        try:
            await outbound.check_host(url, config)
        except outbound.OutboundError as exc:
            raise SourceError(str(exc), kind="UNREACHABLE") from None

    async def discover(
        self, session: aiohttp.ClientSession, settings: SourceSettings, config: Settings
    ) -> list[SourceCalendar]:
        await self._guard(settings.url, config)
        client = self._client(session, settings, config)
        try:
            try:
                found = [await client.calendar(settings.url)]
            except (caldav.NotACalendar, caldav.NotFound):
                found = await client.discover()
        except caldav.CalDavError as exc:
            raise _error(exc) from None
        calendars = [c for c in found if c.supports("VEVENT")]
        if not calendars:
            raise SourceError(
                f"the CalDAV account at {outbound.host_of(settings.url)} "
                "has no calendar with events",
                kind="NOT_A_CALENDAR",
            )
        found_calendars = [
            SourceCalendar(
                external_id=c.url,
                name=(c.display_name or urlsplit(c.url).path.rstrip("/").rsplit("/", 1)[-1])[:300],
            )
            for c in calendars
        ]
        # Servers list a home's calendars in no particular order: by name, then URL.
        return sorted(found_calendars, key=lambda c: (c.name.casefold(), c.external_id))

    async def fetch(
        self,
        session: aiohttp.ClientSession,
        settings: SourceSettings,
        config: Settings,
        *,
        external_id: str,
        validator: str | None,
        start: datetime,
        end: datetime,
    ) -> Snapshot:
        await self._guard(external_id, config)
        client = self._client(session, settings, config)
        try:
            calendar = await client.calendar(external_id)
            if validator is not None and calendar.ctag is not None and calendar.ctag == validator:
                return Snapshot((), validator, not_modified=True)
            events = await client.events(external_id, start, end)
        except caldav.CalDavError as exc:
            raise _error(exc) from None
        return Snapshot(tuple(e.ics.encode() for e in events), calendar.ctag)


PROVIDER = CalDavProvider()
