"""What can go wrong talking to a CalDAV server; every message is fit for users."""

from __future__ import annotations


class CalDavError(Exception):
    """A CalDAV request failed; the message is fit for users (no credentials)."""

    def __init__(self, message: str, *, status: int | None = None, url: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.url = url


class AccessDenied(CalDavError):
    """401 (user name or password refused) or 403 (no access to this resource)."""


class NotFound(CalDavError):
    """404 or 410: no such resource."""


class NotACalendar(CalDavError):
    """The URL answers, but is not a CalDAV calendar (or not a CalDAV server at all)."""


class PreconditionFailed(CalDavError):
    """412: the ``If-Match`` / ``If-None-Match`` condition did not hold."""


class AlreadyExists(CalDavError):
    """MKCALENDAR where something already is (405, or 409 resource-must-be-null)."""


class Unavailable(CalDavError):
    """Unreachable, timed out, or failing with 5xx even after the retries."""


class ProtocolError(CalDavError):
    """Any other unexpected status, or an answer that is not the XML CalDAV promises."""
