"""Turn boundaries per unit, the turn of an instant, and who is on call in turn t."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.engine import (
    Direction,
    RotationUnit,
    boundary,
    next_handoffs,
    on_call,
    resolve,
    turn_index,
)
from app.engine.turns import Rotation
from tests.engine.helpers import LONDON, LORD_HOWE, NEW_YORK, at, hours, layer, timeline, utc

# ----------------------------------------------------------------------- who is on call (SPEC)


def test_spec_example_k3_r2_forward_keeps_p2_on() -> None:
    rota = layer(contacts=(10, 11, 12, 13, 14), on_call=3, rotate=2)
    assert on_call(rota, 0) == (10, 11, 12)
    assert on_call(rota, 1) == (12, 13, 14)
    assert on_call(rota, 2) == (14, 10, 11)


def test_spec_example_k2_r1_backward_first_moves_to_second() -> None:
    rota = layer(contacts=(10, 11, 12, 13), on_call=2, rotate=1, direction=Direction.BACKWARD)
    assert on_call(rota, 0) == (10, 11)
    assert on_call(rota, 1) == (13, 10)
    assert on_call(rota, 2) == (12, 13)


def test_spec_example_k1_backward() -> None:
    rota = layer(contacts=(10, 11, 12, 13), direction=Direction.BACKWARD)
    assert [on_call(rota, t)[0] for t in range(5)] == [10, 13, 12, 11, 10]


def test_rotate_defaults_to_on_call() -> None:
    rota = layer(contacts=(1, 2, 3, 4), on_call=2)
    assert [on_call(rota, t) for t in range(3)] == [(1, 2), (3, 4), (1, 2)]


def test_duplicate_participants_keep_their_first_place() -> None:
    rota = layer(contacts=(1, 2, 1, 3, 2))
    assert [on_call(rota, t)[0] for t in range(4)] == [1, 2, 3, 1]


def test_spec_examples_through_compute_timeline() -> None:
    rota = layer(contacts=(10, 11, 12, 13, 14), on_call=3, rotate=2)
    result = timeline(rota, start=at(NEW_YORK, 2026, 1, 5, 9), end=at(NEW_YORK, 2026, 1, 8, 9))
    assert [s.assignees for s in result.shifts] == [(10, 11, 12), (12, 13, 14), (14, 10, 11)]
    assert [s.start for s in result.shifts] == [
        at(NEW_YORK, 2026, 1, 5, 9),
        at(NEW_YORK, 2026, 1, 6, 9),
        at(NEW_YORK, 2026, 1, 7, 9),
    ]


# ------------------------------------------------------------------------------ boundaries


def turn_lengths(rota: object, first: int, count: int) -> list[timedelta]:
    return [boundary(rota, t + 1) - boundary(rota, t) for t in range(first, first + count)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("zone", "spring", "fall", "short", "long"),
    [
        (NEW_YORK, datetime(2026, 3, 7, 9), datetime(2026, 10, 31, 9), hours(23), hours(25)),
        (LONDON, datetime(2026, 3, 28, 9), datetime(2026, 10, 24, 9), hours(23), hours(25)),
        (LORD_HOWE, datetime(2026, 10, 3, 9), datetime(2026, 4, 4, 9), hours(23.5), hours(24.5)),
    ],
)
def test_daily_handoff_keeps_local_time_so_turns_last_23_or_25_hours(
    zone: str, spring: datetime, fall: datetime, short: timedelta, long: timedelta
) -> None:
    for start, expected in ((spring, short), (fall, long)):
        rota = layer(start=start, zone=zone)
        assert turn_lengths(rota, 0, 3) == [expected, hours(24), hours(24)]
        for t in range(3):
            assert boundary(rota, t) == resolve(start + timedelta(days=t), zone)


def test_daily_handoff_in_a_spring_gap_starts_at_the_transition() -> None:
    rota = layer(start=datetime(2026, 3, 6, 2, 30))  # 02:30 does not exist on 2026-03-08
    assert boundary(rota, 2) == utc(2026, 3, 8, 7, 0)  # 03:00 EDT
    assert boundary(rota, 3) == at(NEW_YORK, 2026, 3, 9, 2, 30)
    assert turn_lengths(rota, 1, 2) == [hours(23.5), hours(23.5)]


def test_lord_howe_handoff_in_the_half_hour_gap() -> None:
    rota = layer(start=datetime(2026, 10, 3, 2, 15), zone=LORD_HOWE)
    assert boundary(rota, 1) == utc(2026, 10, 3, 15, 30)  # the 02:00 -> 02:30 transition
    assert turn_lengths(rota, 0, 2) == [hours(23.75), hours(23.75)]


def test_daily_handoff_on_the_repeated_hour_takes_the_first_occurrence() -> None:
    rota = layer(start=datetime(2026, 10, 31, 1, 30))
    assert boundary(rota, 1) == utc(2026, 11, 1, 5, 30)  # 01:30 EDT, not EST
    assert turn_lengths(rota, 0, 2) == [hours(24), hours(25)]


def test_hour_rotation_is_elapsed_time_and_its_local_handoff_drifts() -> None:
    rota = layer(start=datetime(2026, 3, 7, 9), unit=RotationUnit.HOUR, length=12)
    assert turn_lengths(rota, 0, 6) == [hours(12)] * 6
    assert boundary(rota, 2) == at(NEW_YORK, 2026, 3, 8, 10)  # 09:00 became 10:00 EDT
    fall = layer(start=datetime(2026, 10, 24, 9), unit=RotationUnit.HOUR, length=12, zone=LONDON)
    assert boundary(fall, 2) == at(LONDON, 2026, 10, 25, 8)


def test_week_rotation_keeps_local_handoff_across_dst() -> None:
    rota = layer(start=datetime(2026, 3, 2, 9), unit=RotationUnit.WEEK, length=2)
    assert boundary(rota, 1) == at(NEW_YORK, 2026, 3, 16, 9)
    assert boundary(rota, 1) - boundary(rota, 0) == timedelta(days=14) - hours(1)


def test_month_rotation_clamps_to_month_end_and_never_drifts() -> None:
    rota = layer(start=datetime(2026, 1, 31, 9), unit=RotationUnit.MONTH)
    starts = [boundary(rota, t) for t in range(4)]
    assert starts == [
        at(NEW_YORK, 2026, 1, 31, 9),
        at(NEW_YORK, 2026, 2, 28, 9),
        at(NEW_YORK, 2026, 3, 31, 9),
        at(NEW_YORK, 2026, 4, 30, 9),
    ]
    assert boundary(rota, 25) == at(NEW_YORK, 2028, 2, 29, 9)  # leap year
    assert boundary(rota, -1) == at(NEW_YORK, 2025, 12, 31, 9)
    quarterly = layer(start=datetime(2025, 11, 30, 0), unit=RotationUnit.MONTH, length=3)
    assert boundary(quarterly, 1) == at(NEW_YORK, 2026, 2, 28, 0)
    assert boundary(quarterly, 2) == at(NEW_YORK, 2026, 5, 30, 0)


def test_month_rotation_turns_through_compute_timeline() -> None:
    rota = layer(start=datetime(2026, 1, 31, 9), unit=RotationUnit.MONTH, contacts=(1, 2, 3))
    result = timeline(rota, start=utc(2026, 1, 1), end=utc(2026, 5, 1))
    assert [(s.start, s.assignees) for s in result.shifts] == [
        (at(NEW_YORK, 2026, 1, 31, 9), (1,)),
        (at(NEW_YORK, 2026, 2, 28, 9), (2,)),
        (at(NEW_YORK, 2026, 3, 31, 9), (3,)),
        (at(NEW_YORK, 2026, 4, 30, 9), (1,)),
    ]


# --------------------------------------------------------------------------- turn of instant


@pytest.mark.parametrize(
    ("unit", "length"),
    [
        (RotationUnit.HOUR, 7),
        (RotationUnit.DAY, 1),
        (RotationUnit.DAY, 3),
        (RotationUnit.WEEK, 1),
        (RotationUnit.MONTH, 1),
        (RotationUnit.MONTH, 2),
    ],
)
@pytest.mark.parametrize("zone", [NEW_YORK, LONDON, LORD_HOWE])
def test_turn_index_of_a_2015_layer_equals_iterating_from_its_start(
    unit: RotationUnit, length: int, zone: str
) -> None:
    rota = layer(start=datetime(2015, 1, 31, 2, 30), zone=zone, unit=unit, length=length)
    t = 0
    probes = [utc(2026, 3, 1) + hours(5.5) * i for i in range(0, 400, 7)]
    for probe in probes:
        while boundary(rota, t + 1) <= probe:  # the slow reference: walk turn by turn
            t += 1
        assert turn_index(rota, probe) == t
        assert boundary(rota, t) <= probe < boundary(rota, t + 1)


@pytest.mark.parametrize("unit", list(RotationUnit))
def test_turn_index_cost_does_not_depend_on_the_layers_age(
    unit: RotationUnit, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    original = Rotation.boundary

    def counting(self: Rotation, t: int) -> datetime:
        nonlocal calls
        calls += 1
        return original(self, t)

    monkeypatch.setattr(Rotation, "boundary", counting)
    costs = []
    for start in (datetime(2015, 1, 1, 9), datetime(2026, 7, 14, 9)):
        calls = 0
        turn_index(layer(start=start, unit=unit), utc(2026, 7, 15, 12))
        costs.append(calls)
    assert costs[0] == costs[1]
    assert costs[0] <= 4


def test_instant_before_the_start_has_a_negative_turn_and_nobody_on_call() -> None:
    rota = layer(start=datetime(2026, 1, 5, 9))
    assert turn_index(rota, at(NEW_YORK, 2026, 1, 5, 8)) == -1
    result = timeline(rota, start=at(NEW_YORK, 2026, 1, 4, 0), end=at(NEW_YORK, 2026, 1, 5, 12))
    assert [(s.start, s.end) for s in result.shifts] == [
        (at(NEW_YORK, 2026, 1, 5, 9), at(NEW_YORK, 2026, 1, 5, 12))
    ]
    assert [(g.start, g.end) for g in result.gaps] == [
        (at(NEW_YORK, 2026, 1, 4, 0), at(NEW_YORK, 2026, 1, 5, 9))
    ]


def test_layer_end_closes_it() -> None:
    rota = layer(start=datetime(2026, 1, 5, 9), end=datetime(2026, 1, 7, 12))
    result = timeline(rota, start=utc(2026, 1, 1), end=utc(2026, 1, 10))
    assert result.shifts[-1].end == at(NEW_YORK, 2026, 1, 7, 12)
    assert result.gaps[-1].start == at(NEW_YORK, 2026, 1, 7, 12)


def test_next_handoffs_lists_boundaries_after_an_instant_until_the_end() -> None:
    rota = layer(start=datetime(2026, 1, 5, 9), end=datetime(2026, 1, 8, 9))
    assert next_handoffs(rota, at(NEW_YORK, 2026, 1, 5, 10), 5) == (
        at(NEW_YORK, 2026, 1, 6, 9),
        at(NEW_YORK, 2026, 1, 7, 9),
    )
    assert next_handoffs(rota, utc(2020, 1, 1), 1) == (at(NEW_YORK, 2026, 1, 5, 9),)
    assert next_handoffs(rota, utc(2026, 1, 1), 0) == ()
