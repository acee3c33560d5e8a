"""Holiday calendars (SPEC §9): regions of the ``holidays`` library expanded into dates.

Public API
----------
``region_problem(code) -> str | None``
    Why a region code (``US``, ``DE-BY``, ``GB-SCT``: a country, optionally ``-`` and a
    subdivision, as the library names them) is refused, listing close matches; None when known.
``region_dates(code, first_year, last_year) -> dict[date, str]``
    The region's public holidays (the library's defaults: observed days included, public
    category) with their names.
``calendar_dates(calendar, first, last) -> list[Holiday]``
    A schedule's holidays over the inclusive dates [first, last]: the region's dates and the
    extra dates, minus the excluded dates, by date (an extra date on a region holiday keeps
    the extra date's name).
``HolidayCalendar(region, extra, excluded)``
    A schedule's calendar as stored.

Only this package imports the library: the engine receives plain dates. The library's
version is pinned exactly in pyproject.toml; ``LIBRARY_VERSION`` names it (a new version can
move dates: upgrading it counts as an edit of every calendar).
"""

from app.holiday_calendars.regions import (
    LIBRARY_VERSION,
    Holiday,
    HolidayCalendar,
    calendar_dates,
    region_dates,
    region_problem,
)

__all__ = [
    "LIBRARY_VERSION",
    "Holiday",
    "HolidayCalendar",
    "calendar_dates",
    "region_dates",
    "region_problem",
]
