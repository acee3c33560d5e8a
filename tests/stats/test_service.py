"""The pure arithmetic of on-call statistics: night and weekend time across DST, tallies, order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.contacts import models as contact_models
from app.engine import Origin, Shift
from app.stats.service import (
    ZERO,
    ContactStats,
    StatsField,
    night_time,
    order,
    tally,
    union,
    weekend_time,
    widened,
)

NY = "America/New_York"
LONDON = "Europe/London"
LORD_HOWE = "Australia/Lord_Howe"
H = timedelta(hours=1)


def local(zone: str, *fields: int) -> datetime:
    """An unambiguous local wall time in ``zone`` as an aware instant."""
    return datetime(*fields, tzinfo=ZoneInfo(zone))  # type: ignore[misc]


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)  # type: ignore[misc]


# ------------------------------------------------------------------------------------ nights


@pytest.mark.parametrize(
    ("zone", "evening", "expected"),
    [
        (NY, (2026, 3, 7), 7),  # spring forward 02:00 -> 03:00 on Mar 8
        (NY, (2026, 10, 31), 9),  # fall back 02:00 -> 01:00 on Nov 1
        (NY, (2026, 3, 14), 8),
        (LONDON, (2026, 3, 28), 7),  # spring forward 01:00 -> 02:00 on Mar 29
        (LONDON, (2026, 10, 24), 9),  # fall back 02:00 -> 01:00 on Oct 25
        (LONDON, (2026, 7, 1), 8),
        (LORD_HOWE, (2026, 10, 3), 7.5),  # 02:00 -> 02:30 on Oct 4
        (LORD_HOWE, (2026, 4, 4), 8.5),  # 02:00 -> 01:30 on Apr 5
    ],
)
def test_a_whole_night_lasts_as_long_as_the_clocks_say(
    zone: str, evening: tuple[int, int, int], expected: float
) -> None:
    start = local(zone, *evening, 12)
    end = start + timedelta(hours=24)  # elapsed: ends at noon or 11:00 / 13:00 the next day
    assert night_time(start, end, zone) == timedelta(hours=expected)
    night_start = local(zone, *evening, 22)
    assert night_time(night_start, night_start + 20 * H, zone) == timedelta(hours=expected)


def test_partial_nights_and_several_nights() -> None:
    assert night_time(local(LONDON, 2026, 7, 1, 23), local(LONDON, 2026, 7, 2, 2), LONDON) == 3 * H
    assert night_time(local(LONDON, 2026, 7, 2, 4), local(LONDON, 2026, 7, 2, 10), LONDON) == 2 * H
    # 20:00 on the 1st to 08:00 on the 3rd: two whole nights.
    assert night_time(local(LONDON, 2026, 7, 1, 20), local(LONDON, 2026, 7, 3, 8), LONDON) == 16 * H
    # A week: seven nights' worth, one of them the short spring-forward one.
    week = (local(NY, 2026, 3, 2, 12), local(NY, 2026, 3, 9, 12))
    assert night_time(*week, NY) == 55 * H


def test_night_uses_the_given_zone() -> None:
    # 22:00-06:00 UTC is 17:00-01:00 in New York (EST) and 07:00-15:00 in Tokyo.
    start, end = utc(2026, 1, 14, 22), utc(2026, 1, 15, 6)
    assert night_time(start, end, "UTC") == 8 * H
    assert night_time(start, end, NY) == 3 * H
    assert night_time(start, end, "Asia/Tokyo") == ZERO
    assert night_time(start, end, ZoneInfo("Asia/Kolkata")) == timedelta(hours=2, minutes=30)


def test_night_edges_and_empty_intervals() -> None:
    at = local(LONDON, 2026, 7, 1, 22)
    assert night_time(at, at, LONDON) == ZERO
    assert night_time(at + H, at, LONDON) == ZERO
    assert night_time(at - 2 * H, at, LONDON) == ZERO  # ends exactly as the night begins
    morning = local(LONDON, 2026, 7, 2, 6)
    assert night_time(morning, morning + 2 * H, LONDON) == ZERO  # starts as it ends
    assert night_time(at, at + timedelta(seconds=1), LONDON) == timedelta(seconds=1)


# ---------------------------------------------------------------------------------- weekends


def test_a_shift_crossing_a_weekend() -> None:
    # Friday 18:00 to Monday 09:00 in London: the whole 48-hour weekend.
    start, end = local(LONDON, 2026, 7, 3, 18), local(LONDON, 2026, 7, 6, 9)
    assert weekend_time(start, end, LONDON) == 48 * H
    # Saturday 12:00 to Tuesday: the rest of the weekend.
    assert weekend_time(local(LONDON, 2026, 7, 4, 12), local(LONDON, 2026, 7, 7), LONDON) == 36 * H
    # Two weeks from a Wednesday: two weekends.
    assert weekend_time(local(NY, 2026, 6, 3), local(NY, 2026, 6, 17), NY) == 96 * H


def test_weekends_with_a_dst_change_are_47_or_49_hours() -> None:
    # New York changes clocks on Sunday 2026-03-08 and Sunday 2026-11-01.
    spring = (local(NY, 2026, 3, 6, 12), local(NY, 2026, 3, 9, 12))
    assert weekend_time(*spring, NY) == 47 * H
    fall = (local(NY, 2026, 10, 30, 12), local(NY, 2026, 11, 2, 12))
    assert weekend_time(*fall, NY) == 49 * H


def test_weekend_is_local_to_the_zone() -> None:
    # Friday 22:00 UTC to Saturday 02:00 UTC: Saturday 07:00-11:00 in Tokyo, Friday in New York.
    start, end = utc(2026, 7, 3, 22), utc(2026, 7, 4, 2)
    assert weekend_time(start, end, "UTC") == 2 * H
    assert weekend_time(start, end, "Asia/Tokyo") == 4 * H
    assert weekend_time(start, end, NY) == ZERO
    # Sunday 20:00 to Monday 02:00 New York time is Monday in UTC already.
    sunday = (local(NY, 2026, 7, 5, 20), local(NY, 2026, 7, 6, 2))
    assert weekend_time(*sunday, NY) == 4 * H
    assert weekend_time(*sunday, "UTC") == ZERO


def test_weekend_edges_and_empty_intervals() -> None:
    saturday = local(LONDON, 2026, 7, 4)
    monday = local(LONDON, 2026, 7, 6)
    assert weekend_time(saturday, saturday, LONDON) == ZERO
    assert weekend_time(monday, saturday, LONDON) == ZERO
    assert weekend_time(saturday - 5 * H, saturday, LONDON) == ZERO  # Friday evening only
    assert weekend_time(monday, monday + 5 * H, LONDON) == ZERO  # Monday morning only
    assert weekend_time(saturday, monday, LONDON) == 48 * H


# -------------------------------------------------------------------- brute-force agreement


def _brute(start: datetime, end: datetime, zone: str, inside: object) -> timedelta:
    """Minute by minute: local wall time of each instant (UTC -> local is exact)."""
    tz = ZoneInfo(zone)
    minutes = 0
    t = start
    while t < end:
        if inside(t.astimezone(tz)):  # type: ignore[operator]
            minutes += 1
        t += timedelta(minutes=1)
    return timedelta(minutes=minutes)


def _is_night(w: datetime) -> bool:
    return w.hour >= 22 or w.hour < 6


def _is_weekend(w: datetime) -> bool:
    return w.weekday() >= 5


# Zones whose transitions fall away from 22:00, 06:00 and midnight, so the wall clock read
# minute by minute and the resolve-based boundaries must agree exactly.
ZONES = st.sampled_from([NY, LONDON, LORD_HOWE, "Australia/Sydney", "UTC", "Asia/Kolkata"])
# Around the 2026 transitions of those zones.
ANCHORS = [
    utc(2026, 3, 6),
    utc(2026, 3, 27),
    utc(2026, 4, 3),
    utc(2026, 10, 2),
    utc(2026, 10, 23),
    utc(2026, 10, 30),
]


@settings(max_examples=60, deadline=None)
@given(
    zone=ZONES,
    anchor=st.sampled_from(ANCHORS),
    offset=st.integers(0, 4 * 24 * 60),
    length=st.integers(0, 3 * 24 * 60),
)
def test_night_and_weekend_agree_with_the_wall_clock(
    zone: str, anchor: datetime, offset: int, length: int
) -> None:
    start = anchor + timedelta(minutes=offset)
    end = start + timedelta(minutes=length)
    assert night_time(start, end, zone) == _brute(start, end, zone, _is_night)
    assert weekend_time(start, end, zone) == _brute(start, end, zone, _is_weekend)


# ------------------------------------------------------------------------------------ tallies


def shift(start: datetime, end: datetime, *who: int) -> Shift:
    return Shift(start, end, who, who, Origin.LAYER, 1, None)


def test_union_merges_overlapping_and_touching_spans() -> None:
    a, b, c, d = utc(2026, 1, 1, 0), utc(2026, 1, 1, 2), utc(2026, 1, 1, 4), utc(2026, 1, 1, 6)
    assert union([(c, d), (a, b), (b, c)]) == [(a, d)]
    assert union([(a, b), (c, d), (a, a)]) == [(a, b), (c, d)]
    assert union([(a, d), (b, c)]) == [(a, d)]
    assert union([]) == []


def test_tally_clips_to_the_window_and_counts_a_stretch_once() -> None:
    start, end = utc(2026, 3, 2), utc(2026, 3, 5)
    shifts = [
        shift(utc(2026, 3, 1, 9), utc(2026, 3, 2, 9), 1),  # crosses the window's start
        shift(utc(2026, 3, 2, 9), utc(2026, 3, 3, 9), 2, 1),  # 1 stays on as secondary
        shift(utc(2026, 3, 3, 9), utc(2026, 3, 4, 9), 2),
        shift(utc(2026, 3, 4, 9), utc(2026, 3, 5, 9), 1),  # crosses the window's end
        shift(utc(2026, 3, 6), utc(2026, 3, 7), 3),  # outside
        shift(utc(2026, 3, 4), utc(2026, 3, 4), 3),  # zero length
    ]
    found = tally({1: shifts}, {}, start, end)
    assert set(found) == {1, 2}
    assert found[1].shift_count == 2  # 03-02 00:00 to 03-03 09:00, then 03-04 09:00 to the end
    assert found[1].on_call == 33 * H + 15 * H
    assert found[1].night == 8 * H + 6 * H + 2 * H  # UTC by default
    assert found[2].shift_count == 1 and found[2].on_call == 48 * H
    assert found[1].tier_numbers == (1,)


def test_tally_adds_tiers_shifts_but_counts_time_once() -> None:
    start, end = utc(2026, 3, 2), utc(2026, 3, 3)
    tiers = {
        1: [shift(utc(2026, 3, 2, 0), utc(2026, 3, 2, 12), 7)],
        2: [shift(utc(2026, 3, 2, 6), utc(2026, 3, 2, 18), 7), shift(start, end, 8)],
    }
    found = tally(tiers, {7: "Asia/Tokyo"}, start, end)
    assert found[7].shift_count == 2
    assert found[7].on_call == 18 * H
    assert found[7].tier_numbers == (1, 2)
    assert found[8].tier_numbers == (2,)
    # 00:00-18:00 UTC is 09:00-03:00 in Tokyo: 22:00-03:00 is night.
    assert found[7].night == 5 * H


def test_tally_of_an_empty_window_is_empty() -> None:
    at = utc(2026, 3, 2)
    assert tally({1: [shift(at - H, at + H, 1)]}, {}, at, at) == {}
    assert tally({}, {}, at, at + H) == {}


def test_widened_covers_whole_utc_days() -> None:
    assert widened(utc(2026, 3, 2, 12), utc(2026, 3, 9, 12)) == (utc(2026, 3, 2), utc(2026, 3, 10))
    assert widened(utc(2026, 3, 2), utc(2026, 3, 9)) == (utc(2026, 3, 2), utc(2026, 3, 9))


# ----------------------------------------------------------------------------------- ordering


def row(pk: int, name: str, count: int, hours: int) -> ContactStats:
    from app.stats.service import Tally

    contact = contact_models.Contact(id=pk, name=name, organization_id=1, timezone="UTC")
    return ContactStats(Tally(pk, count, hours * H, ZERO, ZERO, (1,)), contact)


def test_order_applies_keys_in_turn_then_name_then_id() -> None:
    rows = [row(1, "bob", 2, 10), row(2, "Ann", 2, 30), row(3, "Cid", 5, 10), row(4, "Ann", 2, 30)]

    def names(by: list[tuple[StatsField, bool]]) -> list[int]:
        return [r.contact.id for r in order(rows, by)]

    assert [r.contact.id for r in order(rows)] == [3, 2, 4, 1]  # most shifts first
    assert names([(StatsField.SHIFT_COUNT, False)]) == [2, 4, 1, 3]
    assert names([(StatsField.HOURS, True)]) == [2, 4, 1, 3]
    assert names([(StatsField.SHIFT_COUNT, False), (StatsField.HOURS, False)]) == [1, 2, 4, 3]
    assert names([(StatsField.NAME, False)]) == [2, 4, 1, 3]  # case-insensitive
    assert names([(StatsField.NAME, True)]) == [3, 1, 2, 4]  # ties still by id ascending
