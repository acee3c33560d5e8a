"""The interface every calendar source implements: ICS_URL (an iCalendar address, such as Google's
or Outlook's secret address) and CALDAV (a server, user name and password).

A provider checks settings, names the account, lists the calendars it reaches and fetches
one calendar's events. Its errors are ``SourceError``s whose messages are fit for users:
they name the host, never an ICS URL's path or a password.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import aiohttp

from app import outbound
from app.settings import Settings

MAX_URL_LENGTH = 2000


@dataclass(frozen=True)
class SourceSettings:
    """What reaching a source takes. Stored as the connection's secret settings."""

    url: str
    username: str | None = None
    password: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return {"url": self.url, "username": self.username, "password": self.password}

    @classmethod
    def from_json(cls, data: dict[str, str | None]) -> SourceSettings:
        return cls(
            url=str(data.get("url") or ""),
            username=data.get("username"),
            password=data.get("password"),
        )


@dataclass(frozen=True)
class SourceCalendar:
    """A calendar found at a source: its id there and its display name."""

    external_id: str
    name: str


@dataclass(frozen=True)
class Snapshot:
    """One fetch of one calendar: iCalendar texts (one per resource), and the validator that
    identifies this version (HTTP ETag or CalDAV ctag). ``not_modified``: the validator
    given still holds, nothing was downloaded."""

    texts: Sequence[bytes]
    validator: str | None
    not_modified: bool = False


def url_problems(url: str) -> list[tuple[str, str]]:
    """(field, message) for a source's URL: required, at most 2000 characters, and an
    address that may be fetched (``outbound.check_url``). Empty when usable."""
    if not url.strip():
        return [("url", "is required")]
    if len(url) > MAX_URL_LENGTH:
        return [("url", f"must be at most {MAX_URL_LENGTH} characters")]
    if (why := outbound.check_url(url)) is not None:
        return [("url", why)]
    return []


class SourceError(Exception):
    """Reaching or reading a source failed. ``kind`` is AUTH (credentials refused),
    UNREACHABLE (no answer, DNS, timeouts, 5xx, refused address), NOT_A_CALENDAR (it answers,
    but not with a calendar) or NOT_FOUND."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind

    def describe(self) -> str:
        """The message shown to users (connect errors, a calendar's lastError)."""
        lead = {
            "AUTH": "the calendar refused the credentials",
            "UNREACHABLE": "the calendar could not be reached",
            "NOT_A_CALENDAR": "this is not a calendar",
            "NOT_FOUND": "there is no calendar at this address",
        }.get(self.kind, "the calendar failed")
        return f"{lead}: {self.message}"


class Provider(Protocol):
    name: str

    def check(self, settings: SourceSettings) -> list[tuple[str, str]]:
        """(field, message) for every problem with the settings; empty when usable."""
        ...

    def account(self, settings: SourceSettings) -> tuple[str, str]:
        """(identity of the account, a label safe to show: the host, and user name)."""
        ...

    async def discover(
        self, session: aiohttp.ClientSession, settings: SourceSettings, config: Settings
    ) -> list[SourceCalendar]: ...

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
    ) -> Snapshot: ...
