"""ACTIVE_TURNS (SPEC §9): a(t) counted without walking, checked against a walk of coverage."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.engine import (
    Advance,
    HolidayRule,
    LayerInput,
    Participant,
    Pause,
    Recurrence,
    RecurrenceType,
    Restriction,
    RestrictionKind,
    RotationUnit,
    active_turns,
    boundary,
    on_call,
    turn_index,
)
from app.engine.restrictions import coverage
from app.engine.turns import Rotation
from tests.engine.helpers import (
    LONDON,
    LORD_HOWE,
    NEW_YORK,
    ZONES,
    at,
    layer,
    restriction_lists,
    timeline,
)

WEEKDAYS_9_TO_5 = tuple(
    Restriction(RestrictionKind.WEEKLY, time(9), timedelta(hours=8), day) for day in range(5)
)
MONDAY = datetime(2026, 1, 5, 9, 0)


def walked(rota: LayerInput, t: int) -> int:
    """a(t) the slow way: the turns touched by the layer's coverage over [boundary(0), b(t))."""
    rot = Rotation(rota)
    hi = rot.boundary(t)
    if rot.end is not None:
        hi = min(hi, rot.end)
    touched: set[int] = set()
    for start, end in coverage(rota, rot, rot.origin, hi):
        first = rot.turn_index(start)
        last = rot.turn_index(end - timedelta(microseconds=1))
        touched.update(range(first, last + 1))
    return len([u for u in touched if 0 <= u < t])


@st.composite
def aged_layers(draw: st.DrawFn) -> LayerInput:
    zone = draw(st.sampled_from(ZONES))
    unit = draw(st.sampled_from(list(RotationUnit)))
    length = draw(st.integers(4, 30) if unit is RotationUnit.HOUR else st.integers(1, 3))
    start = datetime.combine(
        date(2026, 3, 1) - timedelta(days=draw(st.integers(0, 500))),
        draw(st.sampled_from([time(0), time(2, 30), time(9), time(18)])),
    )
    restrictions = draw(
        restriction_lists(
            [time(0), time(2), time(6), time(18)], [timedelta(hours=h) for h in (1, 2, 10, 24, 63)]
        )
    )
    kind = draw(st.sampled_from([None, *RecurrenceType]))
    recurrence = None
    if kind is not None:
        first = start.date() + timedelta(days=draw(st.integers(-30, 200)))
        last = draw(st.none() | st.integers(0, 400).map(lambda d: first + timedelta(days=d)))
        rule = "FREQ=WEEKLY;BYDAY=MO,TH" if kind is RecurrenceType.ICAL else None
        recurrence = Recurrence(kind, first, last, draw(st.integers(1, 3)), rule)
    days = st.integers(0, 520).map(lambda d: start.date() + timedelta(days=d))
    pauses: list[Pause] = []
    for first_day in sorted(set(draw(st.lists(days, max_size=3)))):
        if not pauses or first_day > pauses[-1].end:
            pauses.append(Pause(first_day, first_day + timedelta(days=draw(st.integers(0, 40)))))
    return LayerInput(
        id=1,
        index=0,
        start=start,
        zone=zone,
        unit=unit,
        length=length,
        participants=tuple(Participant(c) for c in range(1, 5)),
        restrictions=restrictions,
        recurrence=recurrence,
        end=draw(st.none() | days.map(lambda d: datetime.combine(d, time(7)))),
        on_holidays=draw(st.sampled_from(list(HolidayRule))),
        holidays=frozenset(draw(st.lists(days, max_size=12))),
        pauses=tuple(pauses),
        advance=Advance.ACTIVE_TURNS,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(aged_layers(), st.integers(0, 2000))
def test_counting_equals_walking_the_coverage(rota: LayerInput, t: int) -> None:
    assert active_turns(rota, t) == walked(rota, t)


@pytest.mark.parametrize("zone", ZONES)
def test_five_years_of_a_weekday_layer_across_transitions(zone: str) -> None:
    rota = layer(
        start=datetime(2021, 3, 1, 9),
        zone=zone,
        restrictions=WEEKDAYS_9_TO_5,
        pauses=(Pause(date(2023, 7, 3), date(2023, 7, 14)),),
        on_holidays=HolidayRule.SKIP,
        holidays=frozenset({date(2022, 12, 26), date(2025, 4, 18), date(2024, 1, 1)}),
        advance=Advance.ACTIVE_TURNS,
    )
    t = turn_index(rota, at(zone, 2026, 3, 2, 12))
    weekdays = sum(
        1
        for d in range((date(2026, 3, 2) - date(2021, 3, 1)).days)
        if (date(2021, 3, 1) + timedelta(days=d)).weekday() < 5
    )
    assert active_turns(rota, t) == walked(rota, t) == weekdays - 10 - 3


def test_daily_rotation_restricted_to_weekdays_reaches_everyone() -> None:
    """GoAlert #4447's case: with 7 people a weekday-only daily rotation skips two of them every
    week when turns advance on weekends; ACTIVE_TURNS puts everyone on in turn."""
    people = tuple(range(1, 8))
    plain = layer(start=MONDAY, contacts=people, restrictions=WEEKDAYS_9_TO_5)
    active = replace(plain, advance=Advance.ACTIVE_TURNS)
    weekdays = [t for t in range(21) if (MONDAY + timedelta(days=t)).weekday() < 5]
    assert [on_call(plain, t)[0] for t in weekdays[:7]] == [1, 2, 3, 4, 5, 1, 2]
    assert [on_call(active, t)[0] for t in weekdays[:10]] == [1, 2, 3, 4, 5, 6, 7, 1, 2, 3]
    result = timeline(active, start=at(NEW_YORK, 2026, 1, 5), end=at(NEW_YORK, 2026, 1, 17))
    assert [s.assignees for s in result.shifts] == [(c,) for c in (1, 2, 3, 4, 5, 6, 7, 1, 2, 3)]


def test_after_a_pause_the_rotation_resumes_with_who_was_next() -> None:
    rota = layer(
        start=MONDAY,
        contacts=(1, 2, 3),
        pauses=(Pause(date(2026, 1, 7), date(2026, 1, 9)),),
        advance=Advance.ACTIVE_TURNS,
    )
    result = timeline(rota, start=at(NEW_YORK, 2026, 1, 5), end=at(NEW_YORK, 2026, 1, 12))
    assert [(s.start, s.assignees) for s in result.shifts] == [
        (at(NEW_YORK, 2026, 1, 5, 9), (1,)),
        (at(NEW_YORK, 2026, 1, 6, 9), (2,)),
        (at(NEW_YORK, 2026, 1, 10, 9), (3,)),  # paused Wed-Fri, then 3 is next
        (at(NEW_YORK, 2026, 1, 11, 9), (1,)),
    ]
    every = replace(rota, advance=Advance.EVERY_TURN)
    shifts = timeline(every, start=at(NEW_YORK, 2026, 1, 10), end=at(NEW_YORK, 2026, 1, 11)).shifts
    assert shifts[-1].assignees == (3,)  # turn 5 of 3 people: the pause did not hold it back
    assert boundary(rota, 5) == boundary(every, 5)  # pauses never move the handoffs


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(ZONES),
    st.integers(0, 400),
    st.sampled_from(list(RotationUnit)),
    st.integers(1, 3),
    st.integers(1, 4),
    st.integers(1, 6),
)
def test_active_turns_on_a_layer_whose_every_turn_is_active_equals_every_turn(
    zone: str, age: int, unit: RotationUnit, length: int, k: int, n: int
) -> None:
    start = datetime(2026, 3, 1, 1, 30) - timedelta(days=age)
    every = layer(start=start, zone=zone, unit=unit, length=length, contacts=tuple(range(1, n + 1)))
    every = replace(every, on_call=min(k, n))
    active = replace(every, advance=Advance.ACTIVE_TURNS)
    lo, hi = at(zone, 2026, 2, 25), at(zone, 2026, 4, 12)
    assert timeline(active, start=lo, end=hi) == timeline(every, start=lo, end=hi)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(ZONES),
    st.integers(1, 9),
    st.integers(0, 900),
    st.sampled_from([time(0), time(7), time(9)]),
    st.frozensets(st.integers(0, 4), min_size=1),
)
def test_weekday_active_turns_rotation_puts_everyone_on_within_n_active_turns(
    zone: str, n: int, age: int, handoff: time, days: frozenset[int]
) -> None:
    start = datetime.combine(date(2026, 1, 5) - timedelta(days=age), handoff)
    restrictions = tuple(
        Restriction(RestrictionKind.WEEKLY, handoff, timedelta(hours=8), d) for d in sorted(days)
    )
    rota = layer(
        start=start,
        zone=zone,
        contacts=tuple(range(1, n + 1)),
        restrictions=restrictions,
        advance=Advance.ACTIVE_TURNS,
    )
    result = timeline(
        rota, start=at(zone, 2026, 3, 2), end=at(zone, 2026, 3, 2) + timedelta(weeks=9)
    )
    seen = [s.assignees[0] for s in result.shifts][:n]
    assert sorted(seen) == list(range(1, n + 1))


@pytest.mark.parametrize(
    ("zone", "night"),
    [(NEW_YORK, date(2026, 3, 8)), (LONDON, date(2026, 10, 25)), (LORD_HOWE, date(2026, 4, 5))],
)
def test_hour_turns_across_a_transition_count_per_stretch(zone: str, night: date) -> None:
    rota = layer(
        start=datetime.combine(night - timedelta(days=300), time(1)),
        zone=zone,
        unit=RotationUnit.HOUR,
        length=5,
        restrictions=(Restriction(RestrictionKind.DAILY, time(1), timedelta(hours=3)),),
        advance=Advance.ACTIVE_TURNS,
    )
    for hours in range(-12, 36, 5):
        t = turn_index(rota, at(zone, night.year, night.month, night.day) + timedelta(hours=hours))
        assert active_turns(rota, t) == walked(rota, t)
