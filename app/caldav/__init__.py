"""A small async CalDAV/WebDAV client on aiohttp (destinations export, calendar import)."""

from app.caldav.client import (
    AccessDenied,
    AlreadyExists,
    CalDavClient,
    CalDavError,
    Calendar,
    EventResource,
    NotACalendar,
    NotFound,
    PreconditionFailed,
    ProtocolError,
    Unavailable,
)

__all__ = [
    "AccessDenied",
    "AlreadyExists",
    "CalDavClient",
    "CalDavError",
    "Calendar",
    "EventResource",
    "NotACalendar",
    "NotFound",
    "PreconditionFailed",
    "ProtocolError",
    "Unavailable",
]
