"""Calendar sources behind one interface: ICS_URL and CALDAV (see ``base``)."""

from __future__ import annotations

from app.calendars.providers.base import (
    Provider,
    Snapshot,
    SourceCalendar,
    SourceError,
    SourceSettings,
)

PROVIDERS = ("ICS_URL", "CALDAV")


def get(name: str) -> Provider:
    """The provider named ``name`` (one of PROVIDERS)."""
    from app.calendars.providers import caldav, ics_url

    providers: dict[str, Provider] = {"ICS_URL": ics_url.PROVIDER, "CALDAV": caldav.PROVIDER}
    return providers[name]


__all__ = [
    "PROVIDERS",
    "Provider",
    "Snapshot",
    "SourceCalendar",
    "SourceError",
    "SourceSettings",
    "get",
]
