"""resolve(): the earliest instant whose local wall time is at or after the given one."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine import resolve
from tests.engine.helpers import LONDON, LORD_HOWE, NEW_YORK, ZONES, utc


def reference_resolve(local: datetime, zone: str) -> datetime:
    """Brute force: scan candidate instants minute by minute around the local time."""
    tz = ZoneInfo(zone)
    probe = (local - timedelta(hours=12)).replace(tzinfo=UTC)
    while True:
        wall = probe.astimezone(tz).replace(tzinfo=None)
        if wall >= local:
            # step back to the exact second within the last minute
            second = probe - timedelta(minutes=1)
            while second.astimezone(tz).replace(tzinfo=None) < local:
                second += timedelta(seconds=1)
            return second
        probe += timedelta(minutes=1)


def test_ordinary_time_is_its_only_instant() -> None:
    assert resolve(datetime(2026, 6, 1, 9, 0), NEW_YORK) == utc(2026, 6, 1, 13, 0)
    assert resolve(datetime(2026, 1, 15, 9, 0), LONDON) == utc(2026, 1, 15, 9, 0)


def test_spring_gap_time_becomes_the_transition_instant_new_york() -> None:
    # 2026-03-08 02:00 EST -> 03:00 EDT at 07:00 UTC; plain zoneinfo would give 03:30 EDT.
    assert resolve(datetime(2026, 3, 8, 2, 30), NEW_YORK) == utc(2026, 3, 8, 7, 0)
    assert resolve(datetime(2026, 3, 8, 2, 0), NEW_YORK) == utc(2026, 3, 8, 7, 0)
    assert resolve(datetime(2026, 3, 8, 3, 0), NEW_YORK) == utc(2026, 3, 8, 7, 0)
    assert resolve(datetime(2026, 3, 8, 1, 59), NEW_YORK) == utc(2026, 3, 8, 6, 59)


def test_spring_gap_time_becomes_the_transition_instant_london() -> None:
    # 2026-03-29 01:00 GMT -> 02:00 BST at 01:00 UTC.
    assert resolve(datetime(2026, 3, 29, 1, 30), LONDON) == utc(2026, 3, 29, 1, 0)


def test_lord_howe_half_hour_gap() -> None:
    # 2026-10-04 02:00 +10:30 -> 02:30 +11:00 at 15:30 UTC the day before.
    assert resolve(datetime(2026, 10, 4, 2, 10), LORD_HOWE) == utc(2026, 10, 3, 15, 30)
    assert resolve(datetime(2026, 10, 4, 2, 30), LORD_HOWE) == utc(2026, 10, 3, 15, 30)


def test_repeated_hour_takes_the_first_occurrence() -> None:
    # 2026-11-01 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST).
    assert resolve(datetime(2026, 11, 1, 1, 30), NEW_YORK) == utc(2026, 11, 1, 5, 30)
    assert resolve(datetime(2026, 11, 1, 1, 30, fold=1), NEW_YORK) == utc(2026, 11, 1, 5, 30)
    # London 2026-10-25 01:30 BST (00:30 UTC) then GMT (01:30 UTC).
    assert resolve(datetime(2026, 10, 25, 1, 30), LONDON) == utc(2026, 10, 25, 0, 30)
    # Lord Howe 2026-04-05 01:45 at +11:00 first, then +10:30.
    assert resolve(datetime(2026, 4, 5, 1, 45), LORD_HOWE) == utc(2026, 4, 4, 14, 45)


def test_aware_input_is_refused() -> None:
    with pytest.raises(ValueError):
        resolve(utc(2026, 1, 1), NEW_YORK)


def test_unknown_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        resolve(datetime(2026, 1, 1), "Mars/Olympus_Mons")


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    local=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31)),
)
def test_resolve_matches_brute_force(zone: str, local: datetime) -> None:
    local = local.replace(microsecond=0)
    assert resolve(local, zone) == reference_resolve(local, zone)


def transition_days(zone: str, years: range) -> list[date]:
    tz = ZoneInfo(zone)
    days = []
    day = date(years.start, 1, 1)
    while day.year < years.stop:
        nxt = day + timedelta(days=1)
        if tz.utcoffset(datetime.combine(day, time())) != tz.utcoffset(
            datetime.combine(nxt, time())
        ):
            days.append(day)
        day = nxt
    return days


@pytest.mark.parametrize("zone", ZONES)
def test_dst_sweep_every_ten_minutes_of_transition_nights(zone: str) -> None:
    days = transition_days(zone, range(2025, 2028))
    assert len(days) == 6
    for day in days:
        for minute in range(0, 4 * 60, 10):
            local = datetime.combine(day, time()) + timedelta(minutes=minute)
            assert resolve(local, zone) == reference_resolve(local, zone), local
