"""Restriction windows: daily / weekly, DST tiling, the date a window belongs to."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from app.engine import Recurrence, RecurrenceType, Restriction, RestrictionKind, RotationUnit
from tests.engine.helpers import LONDON, LORD_HOWE, NEW_YORK, at, hours, layer, spans, timeline

DAILY = RestrictionKind.DAILY
WEEKLY = RestrictionKind.WEEKLY


def test_daily_window_covers_only_its_hours_and_turns_keep_advancing() -> None:
    rota = layer(
        start=datetime(2026, 1, 5, 0),
        restrictions=(Restriction(DAILY, time(9), hours(8)),),
    )
    result = timeline(rota, start=at(NEW_YORK, 2026, 1, 5), end=at(NEW_YORK, 2026, 1, 8))
    assert spans(result.shifts) == [
        (at(NEW_YORK, 2026, 1, 5, 9), at(NEW_YORK, 2026, 1, 5, 17), (1,)),
        (at(NEW_YORK, 2026, 1, 6, 9), at(NEW_YORK, 2026, 1, 6, 17), (2,)),
        (at(NEW_YORK, 2026, 1, 7, 9), at(NEW_YORK, 2026, 1, 7, 17), (3,)),
    ]
    assert len(result.gaps) == 4


def test_window_is_cut_at_turn_boundaries() -> None:
    rota = layer(
        start=datetime(2026, 1, 5, 12), restrictions=(Restriction(DAILY, time(9), hours(8)),)
    )
    result = timeline(rota, start=at(NEW_YORK, 2026, 1, 6), end=at(NEW_YORK, 2026, 1, 7))
    assert spans(result.shifts) == [
        (at(NEW_YORK, 2026, 1, 6, 9), at(NEW_YORK, 2026, 1, 6, 12), (1,)),
        (at(NEW_YORK, 2026, 1, 6, 12), at(NEW_YORK, 2026, 1, 6, 17), (2,)),
    ]


def test_weekly_window_starts_on_its_weekday() -> None:
    weekend = Restriction(WEEKLY, time(17), hours(64), weekday=4)  # Fri 17:00 -> Mon 09:00
    rota = layer(start=datetime(2026, 1, 5, 9), unit=RotationUnit.WEEK, restrictions=(weekend,))
    result = timeline(rota, start=at(NEW_YORK, 2026, 1, 5), end=at(NEW_YORK, 2026, 1, 19))
    assert spans(result.shifts) == [
        (at(NEW_YORK, 2026, 1, 9, 17), at(NEW_YORK, 2026, 1, 12, 9), (1,)),
        (at(NEW_YORK, 2026, 1, 16, 17), at(NEW_YORK, 2026, 1, 19, 0), (2,)),
    ]


@pytest.mark.parametrize(
    ("zone", "spring_day", "fall_day"),
    [
        (NEW_YORK, date(2026, 3, 8), date(2026, 11, 1)),
        (LONDON, date(2026, 3, 29), date(2026, 10, 25)),
        (LORD_HOWE, date(2026, 10, 4), date(2026, 4, 5)),
    ],
)
@pytest.mark.parametrize("opens", [time(0), time(2, 15), time(9)])
def test_24_hour_daily_window_tiles_across_dst(
    zone: str, spring_day: date, fall_day: date, opens: time
) -> None:
    for day in (spring_day, fall_day):
        rota = layer(
            start=datetime(2026, 1, 1, 9),
            zone=zone,
            contacts=(7,),
            restrictions=(Restriction(DAILY, opens, hours(24)),),
        )
        first, last = day - timedelta(days=3), day + timedelta(days=3)
        result = timeline(
            rota,
            start=at(zone, first.year, first.month, first.day, 12),
            end=at(zone, last.year, last.month, last.day, 12),
        )
        assert [(s.start, s.end) for s in result.shifts] == [(result.start, result.end)]
        assert result.gaps == ()


def test_window_in_a_spring_gap_opens_at_the_transition() -> None:
    rota = layer(
        start=datetime(2026, 1, 1, 0),
        contacts=(7,),
        restrictions=(Restriction(DAILY, time(2, 30), hours(1)),),
    )
    result = timeline(rota, start=at(NEW_YORK, 2026, 3, 7), end=at(NEW_YORK, 2026, 3, 10))
    assert [(s.start, s.end) for s in result.shifts] == [
        (at(NEW_YORK, 2026, 3, 7, 2, 30), at(NEW_YORK, 2026, 3, 7, 3, 30)),
        (at(NEW_YORK, 2026, 3, 8, 3, 0), at(NEW_YORK, 2026, 3, 8, 3, 30)),  # 30 real minutes
        (at(NEW_YORK, 2026, 3, 9, 2, 30), at(NEW_YORK, 2026, 3, 9, 3, 30)),
    ]


def test_window_belongs_to_the_date_it_starts_on() -> None:
    friday_only = Recurrence(RecurrenceType.OCCURRENCE, date(2026, 1, 9))
    nights = Restriction(DAILY, time(22), hours(10))
    rota = layer(start=datetime(2026, 1, 5, 9), restrictions=(nights,), recurrence=friday_only)
    result = timeline(rota, start=at(NEW_YORK, 2026, 1, 5), end=at(NEW_YORK, 2026, 1, 12))
    # Friday's night window runs into Saturday; Thursday's (which reaches Friday) is not used.
    assert spans(result.shifts) == [
        (at(NEW_YORK, 2026, 1, 9, 22), at(NEW_YORK, 2026, 1, 10, 8), (1,)),
    ]


def test_window_before_the_handoff_belongs_to_its_own_active_date() -> None:
    tuesday = Recurrence(RecurrenceType.REPEAT, date(2026, 1, 6), date(2026, 1, 6))
    mornings = Restriction(DAILY, time(6), hours(2))
    rota = layer(start=datetime(2026, 1, 5, 9), restrictions=(mornings,), recurrence=tuesday)
    result = timeline(rota, start=at(NEW_YORK, 2026, 1, 5), end=at(NEW_YORK, 2026, 1, 8))
    # Tuesday 06:00-08:00 is inside Monday's turn (Mon 09:00 -> Tue 09:00): contact 1.
    assert spans(result.shifts) == [
        (at(NEW_YORK, 2026, 1, 6, 6), at(NEW_YORK, 2026, 1, 6, 8), (1,)),
    ]


def test_overlapping_windows_join() -> None:
    rota = layer(
        start=datetime(2026, 1, 5, 0),
        unit=RotationUnit.WEEK,
        restrictions=(
            Restriction(DAILY, time(8), hours(4)),
            Restriction(DAILY, time(10), hours(4)),
            Restriction(WEEKLY, time(20), hours(2), weekday=0),
        ),
    )
    result = timeline(rota, start=at(NEW_YORK, 2026, 1, 5), end=at(NEW_YORK, 2026, 1, 7))
    assert [(s.start, s.end) for s in result.shifts] == [
        (at(NEW_YORK, 2026, 1, 5, 8), at(NEW_YORK, 2026, 1, 5, 14)),
        (at(NEW_YORK, 2026, 1, 5, 20), at(NEW_YORK, 2026, 1, 5, 22)),
        (at(NEW_YORK, 2026, 1, 6, 8), at(NEW_YORK, 2026, 1, 6, 14)),
    ]
