"""Vendor time-zone names to IANA names.

PagerDuty may name zones the Rails way ("Eastern Time (US & Canada)"); Opsgenie and Grafana
OnCall use IANA names. Unknown names fall back to UTC with a note, never silently.
"""

from __future__ import annotations

from zoneinfo import available_timezones

# The Rails names PagerDuty's UI offers most often; anything else is reported.
RAILS = {
    "UTC": "UTC",
    "Etc/UTC": "UTC",
    "Hawaii": "Pacific/Honolulu",
    "Alaska": "America/Juneau",
    "Pacific Time (US & Canada)": "America/Los_Angeles",
    "Mountain Time (US & Canada)": "America/Denver",
    "Arizona": "America/Phoenix",
    "Central Time (US & Canada)": "America/Chicago",
    "Eastern Time (US & Canada)": "America/New_York",
    "Atlantic Time (Canada)": "America/Halifax",
    "Brasilia": "America/Sao_Paulo",
    "London": "Europe/London",
    "Dublin": "Europe/Dublin",
    "Lisbon": "Europe/Lisbon",
    "Amsterdam": "Europe/Amsterdam",
    "Berlin": "Europe/Berlin",
    "Paris": "Europe/Paris",
    "Madrid": "Europe/Madrid",
    "Rome": "Europe/Rome",
    "Stockholm": "Europe/Stockholm",
    "Warsaw": "Europe/Warsaw",
    "Athens": "Europe/Athens",
    "Helsinki": "Europe/Helsinki",
    "Moscow": "Europe/Moscow",
    "Jerusalem": "Asia/Jerusalem",
    "Mumbai": "Asia/Kolkata",
    "New Delhi": "Asia/Kolkata",
    "Singapore": "Asia/Singapore",
    "Beijing": "Asia/Shanghai",
    "Hong Kong": "Asia/Hong_Kong",
    "Tokyo": "Asia/Tokyo",
    "Seoul": "Asia/Seoul",
    "Brisbane": "Australia/Brisbane",
    "Sydney": "Australia/Sydney",
    "Melbourne": "Australia/Melbourne",
    "Auckland": "Pacific/Auckland",
}
_IANA: frozenset[str] | None = None
UNKNOWN = "unknown time zone"


def zone_name(raw: str) -> tuple[str, str | None]:
    """(IANA name, None) or ("UTC", why) when the vendor's name is unknown."""
    global _IANA
    if _IANA is None:
        _IANA = frozenset(available_timezones()) - {"localtime", "Factory"}
    if raw in _IANA:
        return raw, None
    if raw in RAILS:
        return RAILS[raw], None
    return "UTC", f"{UNKNOWN} {raw!r}: imported as UTC"
