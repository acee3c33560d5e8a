"""Region codes of the ``holidays`` library, their dates, and a schedule's calendar."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import holidays

__all__ = [
    "LIBRARY_VERSION",
    "Holiday",
    "HolidayCalendar",
    "calendar_dates",
    "region_dates",
    "region_problem",
]

LIBRARY_VERSION: str = holidays.__version__
_MAX_MATCHES = 5


@functools.cache
def _codes() -> dict[str, tuple[str, str | None]]:
    """Every accepted code (upper case) -> (country, subdivision)."""
    found: dict[str, tuple[str, str | None]] = {}
    for country, subdivisions in holidays.list_supported_countries().items():
        found[country.upper()] = (country, None)
        for subdiv in subdivisions:
            found[f"{country}-{subdiv}".upper()] = (country, subdiv)
    return found


def _split(code: str) -> tuple[str, str | None] | None:
    return _codes().get(code.strip().upper())


def region_problem(code: str) -> str | None:
    """Why ``code`` is not a region, with close matches; None when it is one."""
    if _split(code) is not None:
        return None
    wanted = code.strip().upper()
    matches = difflib.get_close_matches(wanted, list(_codes()), n=_MAX_MATCHES, cutoff=0.6)
    country = wanted.partition("-")[0]
    if not matches and country in _codes():
        matches = sorted(c for c in _codes() if c.startswith(country + "-"))[:_MAX_MATCHES]
    hint = f"; close matches: {', '.join(matches)}" if matches else ""
    return f"unknown holiday region {code!r}{hint}"


@functools.lru_cache(maxsize=4096)
def _year(code: str, year: int) -> tuple[tuple[date, str], ...]:
    split = _split(code)
    if split is None:
        raise ValueError(region_problem(code))
    country, subdiv = split
    found = holidays.country_holidays(country, subdiv=subdiv, years=year)
    return tuple(sorted(found.items()))


def region_dates(code: str, first_year: int, last_year: int) -> dict[date, str]:
    """The region's public holidays in the years [first_year, last_year], with names."""
    out: dict[date, str] = {}
    for year in range(max(first_year, 1), min(last_year, 9998) + 1):
        out.update(_year(code, year))
    return out


@dataclass(frozen=True)
class Holiday:
    date: date
    name: str
    source: str  # REGION or EXTRA


@dataclass(frozen=True)
class HolidayCalendar:
    region: str | None = None
    extra: tuple[tuple[date, str], ...] = ()
    excluded: frozenset[date] = frozenset()


def calendar_dates(
    calendar: HolidayCalendar,
    first: date,
    last: date,
    *,
    region_days: Mapping[date, str] | None = None,
) -> list[Holiday]:
    """The calendar's holidays within [first, last], by date; ``region_days`` stands for the
    region's dates when given (those of an earlier library version)."""
    found: dict[date, Holiday] = {}
    if calendar.region:
        if region_days is None:
            region_days = region_dates(calendar.region, first.year, last.year)
        for day, name in region_days.items():
            if first <= day <= last:
                found[day] = Holiday(day, name, "REGION")
    for day, name in calendar.extra:
        if first <= day <= last:
            found[day] = Holiday(day, name, "EXTRA")
    return [found[d] for d in sorted(found) if d not in calendar.excluded]
