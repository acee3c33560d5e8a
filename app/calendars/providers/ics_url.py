"""ICS_URL: one iCalendar file at an http(s) address.

Google Calendar's "secret address in iCal format", Outlook's published "ICS" link, iCloud's
public calendar link (webcal:// is read as https://) and any other .ics URL work this way.
The URL is the credential: it is stored write-only and messages show its host only.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from app import outbound
from app.calendars import parsing
from app.calendars.providers.base import (
    Snapshot,
    SourceCalendar,
    SourceError,
    SourceSettings,
    url_problems,
)
from app.settings import Settings

EXTERNAL_ID = "ics"


def normalize(url: str) -> str:
    """webcal:// and webcals:// are https:// (as calendar apps read them); the host is
    lower-cased, the fragment dropped."""
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("webcal", "webcals"):
        scheme = "https"
    netloc = parts.netloc.lower() if "@" not in parts.netloc else parts.netloc
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _source_error(exc: outbound.OutboundError) -> SourceError:
    if exc.auth:
        return SourceError(str(exc), kind="AUTH")
    if exc.status in (404, 410):
        return SourceError(str(exc), kind="NOT_FOUND")
    return SourceError(str(exc), kind="UNREACHABLE")


class IcsUrlProvider:
    name = "ICS_URL"

    def check(self, settings: SourceSettings) -> list[tuple[str, str]]:
        problems = url_problems(settings.url)
        if settings.username or settings.password:
            problems.append(("username", "an ICS URL takes no user name or password"))
        return problems

    def account(self, settings: SourceSettings) -> tuple[str, str]:
        return settings.url, outbound.host_of(settings.url)

    async def _download(
        self,
        session: aiohttp.ClientSession,
        settings: SourceSettings,
        config: Settings,
        validator: str | None,
    ) -> outbound.Fetched:
        try:
            return await outbound.fetch(session, settings.url, settings=config, etag=validator)
        except outbound.OutboundError as exc:
            raise _source_error(exc) from None

    async def discover(
        self, session: aiohttp.ClientSession, settings: SourceSettings, config: Settings
    ) -> list[SourceCalendar]:
        fetched = await self._download(session, settings, config, None)
        try:
            calendar = await asyncio.to_thread(parsing.read, fetched.body)
        except parsing.ParseError as exc:
            raise SourceError(
                f"{outbound.host_of(settings.url)} answered, but {exc}",
                kind="NOT_A_CALENDAR",
            ) from None
        name = parsing.name_of(calendar) or outbound.host_of(settings.url)
        return [SourceCalendar(external_id=EXTERNAL_ID, name=name)]

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
        fetched = await self._download(session, settings, config, validator)
        if fetched.not_modified:
            return Snapshot((), validator, not_modified=True)
        return Snapshot((fetched.body,), fetched.etag)


PROVIDER = IcsUrlProvider()
