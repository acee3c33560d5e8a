"""A small async CalDAV/WebDAV client on aiohttp (destinations export, calendar import)."""

from app.caldav.client import CalDavClient
from app.caldav.errors import (
    AccessDenied,
    AlreadyExists,
    CalDavError,
    NotACalendar,
    NotFound,
    PreconditionFailed,
    ProtocolError,
    Unavailable,
)
from app.caldav.webdav import Calendar, EventResource

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
