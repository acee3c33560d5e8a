"""Roster segments and the continuation rule (SPEC §9)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.engine import (
    Advance,
    Direction,
    Effective,
    HolidayRule,
    LayerInput,
    Pause,
    Recurrence,
    RecurrenceType,
    Restriction,
    RestrictionKind,
    RosterSegment,
    RotationUnit,
    boundary,
    on_call,
    roster_after_edit,
    roster_change,
    turn_index,
    validate_layer,
)
from tests.engine.helpers import ZONES, at, layer, people, timeline

MONDAY = datetime(2026, 1, 5, 9, 0)
NY = "America/New_York"


def day(d: int, hour: int = 9, minute: int = 0) -> datetime:
    return at(NY, 2026, 1, d, hour, minute)


def who(rota: LayerInput, start: datetime, end: datetime) -> list[tuple[datetime, tuple[int, ...]]]:
    return [(s.start, s.assignees) for s in timeline(rota, start=start, end=end).shifts]


def test_next_handoff_change_keeps_the_running_turn_and_continues_with_who_was_next() -> None:
    rota = layer(start=MONDAY, contacts=(1, 2, 3, 4))
    # Wednesday 12:00, 3 is on; 4 is removed: the change waits for Thursday 09:00.
    segments = roster_change(rota, (1, 2, 3), day(7, 12))
    assert segments == (
        RosterSegment(day(5), 0, 0, (1, 2, 3, 4)),
        RosterSegment(day(8), 3, 0, (1, 2, 3)),  # 4 would have been next: 1 follows 4
    )
    changed = replace(rota, participants=people(1, 2, 3), segments=segments)
    assert who(changed, day(5), day(11)) == [
        (day(5), (1,)),
        (day(6), (2,)),
        (day(7), (3,)),
        (day(8), (1,)),
        (day(9), (2,)),
        (day(10), (3,)),
    ]


def test_adding_people_continues_from_the_person_at_position_one() -> None:
    rota = layer(start=MONDAY, contacts=(1, 2, 3))
    segments = roster_change(rota, (9, 1, 2, 3), day(6, 10))  # 2 on now; 3 is next
    assert segments[-1] == RosterSegment(day(7), 2, 3, (9, 1, 2, 3))
    changed = replace(rota, participants=people(9, 1, 2, 3), segments=segments)
    assert [a for _, a in who(changed, day(5), day(11))] == [(1,), (2,), (3,), (9,), (1,), (2,)]


def test_backward_and_k2_continuation() -> None:
    rota = layer(
        start=MONDAY, contacts=(1, 2, 3, 4, 5), on_call=2, rotate=1, direction=Direction.BACKWARD
    )
    assert [on_call(rota, t) for t in range(3)] == [(1, 2), (5, 1), (4, 5)]
    segments = roster_change(rota, (1, 2, 3, 5), day(6, 12))  # 4 leaves; turn 2 had 4 first
    changed = replace(rota, participants=people(1, 2, 3, 5), segments=segments)
    # Position 1 of turn 2 would be 4 (not in the list); the next in rotation order (-1) is 3.
    assert segments[-1].offset == 2
    assert [on_call(changed, t) for t in range(5)] == [(1, 2), (5, 1), (3, 5), (2, 3), (1, 2)]


def test_immediately_splits_the_running_turn_and_at_rounds_up() -> None:
    rota = layer(start=MONDAY, contacts=(1, 2, 3))
    now = day(6, 15)
    immediate = roster_change(rota, (3, 1), now, Effective.IMMEDIATELY)
    assert immediate[-1] == RosterSegment(now, 1, 0, (3, 1))  # 2 is gone: 3 is next after 2
    changed = replace(rota, participants=people(3, 1), segments=immediate)
    assert who(changed, day(6), day(8)) == [(day(6), (2,)), (now, (3,)), (day(7), (1,))]
    later = roster_change(rota, (3, 1), now, Effective.AT, day(7, 8))
    assert later[-1].start == day(7) and later[-1].turn == 2
    exact = roster_change(rota, (3, 1), now, Effective.AT, day(8))
    assert exact[-1].start == day(8)


def test_a_change_with_the_same_turn_replaces_it_and_drops_later_ones() -> None:
    rota = layer(start=MONDAY, contacts=(1, 2, 3))
    first = roster_change(rota, (1, 2), day(5, 10), Effective.AT, day(9))
    pending = replace(rota, participants=people(1, 2), segments=first)
    assert len(first) == 2
    second = roster_change(pending, (1, 2, 3, 4), day(5, 11))  # next handoff: Jan 6
    assert [s.start for s in second] == [day(5), day(6)]  # the Jan 9 change is dropped
    third = roster_change(
        replace(rota, participants=people(1, 2, 3, 4), segments=second), (2, 1), day(5, 12)
    )
    assert [s.start for s in third] == [day(5), day(6)]
    assert third[-1] == RosterSegment(day(6), 1, 0, (2, 1))  # o from the first segment: 2


def test_before_boundary_zero_the_new_list_simply_replaces_p() -> None:
    rota = layer(start=MONDAY, contacts=(1, 2, 3))
    assert roster_change(rota, (3, 2), day(2)) == ()
    assert roster_change(rota, (3, 2), day(4, 10), Effective.IMMEDIATELY) == ()


def test_structural_edits_discard_segments_and_weekday_edits_are_not_roster_changes() -> None:
    rota = layer(start=MONDAY, contacts=(1, 2, 3))
    segments = roster_change(rota, (1, 2), day(6, 12))
    changed = replace(rota, participants=people(1, 2), segments=segments)
    assert roster_after_edit(changed, replace(changed, on_call=2), day(7, 12)) == ()
    assert roster_after_edit(changed, replace(changed, length=2), day(7, 12)) == ()
    assert roster_after_edit(changed, replace(changed, min_staff=0), day(7, 12)) == segments


def test_fewer_people_than_k_is_invalid() -> None:
    rota = layer(start=MONDAY, contacts=(1, 2, 3), on_call=2)
    segments = roster_change(rota, (1,), day(6, 12))
    problems = validate_layer(replace(rota, participants=people(1, 2), segments=segments))
    assert ("segments[1].contacts", "fewer than the staff on call (2)") in problems


@st.composite
def running_layers(draw: st.DrawFn) -> tuple[LayerInput, datetime]:
    zone = draw(st.sampled_from(ZONES))
    unit = draw(st.sampled_from(list(RotationUnit)))
    start = datetime.combine(
        date(2026, 3, 20) - timedelta(days=draw(st.integers(1, 200))),
        draw(st.sampled_from([time(0), time(2, 30), time(9)])),
    )
    contacts = tuple(draw(st.lists(st.integers(1, 9), min_size=2, max_size=6, unique=True)))
    k = draw(st.integers(1, len(contacts)))
    restrictions = (
        tuple(
            Restriction(RestrictionKind.WEEKLY, time(8), timedelta(hours=10), d)
            for d in draw(st.frozensets(st.integers(0, 6), min_size=1))
        )
        if draw(st.booleans())
        else ()
    )
    rota = LayerInput(
        id=1,
        index=0,
        start=start,
        zone=zone,
        unit=unit,
        length=draw(st.integers(3, 12) if unit is RotationUnit.HOUR else st.integers(1, 2)),
        participants=people(*contacts),
        on_call=k,
        rotate=draw(st.none() | st.integers(1, 3)),
        direction=draw(st.sampled_from(list(Direction))),
        restrictions=restrictions,
        advance=draw(st.sampled_from(list(Advance))),
    )
    now = at(zone, 2026, 3, 20) + timedelta(minutes=draw(st.integers(0, 60 * 24 * 40)))
    return rota, now


SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(running_layers(), st.sampled_from(list(Effective)))
def test_a_roster_change_to_the_same_list_changes_nothing(
    case: tuple[LayerInput, datetime], effective: Effective
) -> None:
    rota, now = case
    contacts = tuple(p.contact_id for p in rota.participants)
    segments = roster_change(rota, contacts, now, effective, now + timedelta(days=2))
    lo, hi = now - timedelta(days=10), now + timedelta(days=20)
    same = replace(rota, segments=segments)
    assert timeline(same, start=lo, end=hi) == timeline(rota, start=lo, end=hi)
    # Even over segments made by an earlier change in force at ``now``.
    other = roster_change(rota, (*contacts, 42), now - timedelta(days=3), Effective.IMMEDIATELY)
    base = replace(rota, participants=people(*contacts, 42), segments=other)
    again = replace(base, segments=roster_change(base, (*contacts, 42), now, effective, now))
    assert timeline(again, start=lo, end=hi) == timeline(base, start=lo, end=hi)


@SETTINGS
@given(running_layers(), st.sampled_from(list(Effective)), st.data())
def test_a_roster_change_never_changes_a_turn_before_its_boundary(
    case: tuple[LayerInput, datetime], effective: Effective, data: st.DataObject
) -> None:
    rota, now = case
    pool = data.draw(st.lists(st.integers(1, 12), min_size=rota.on_call, max_size=7, unique=True))
    when = now + timedelta(hours=data.draw(st.integers(0, 100)))
    segments = roster_change(rota, tuple(pool), now, effective, when)
    changed = replace(rota, participants=people(*pool), segments=segments)
    start_of_change = segments[-1].start if segments else boundary(rota, 0)
    lo = now - timedelta(days=15)
    before = timeline(rota, start=lo, end=start_of_change)
    after = timeline(changed, start=lo, end=start_of_change)
    assert before.shifts == after.shifts
    if effective is not Effective.IMMEDIATELY and segments:
        assert boundary(rota, turn_index(rota, start_of_change)) == start_of_change


def _past_activity_edits(rota: LayerInput, now: datetime) -> list[LayerInput]:
    today = now.date()
    return [
        replace(rota, pauses=(Pause(today - timedelta(days=30), today - timedelta(days=2)),)),
        replace(
            rota,
            on_holidays=HolidayRule.SKIP,
            holidays=frozenset(today - timedelta(days=d) for d in (3, 9, 17, 40)),
        ),
        replace(
            rota, recurrence=Recurrence(RecurrenceType.PERIODIC, today - timedelta(50), None, 2)
        ),
        replace(
            rota, restrictions=(Restriction(RestrictionKind.DAILY, time(6), timedelta(hours=4)),)
        ),
        replace(rota, advance=Advance.EVERY_TURN)
        if rota.advance is Advance.ACTIVE_TURNS
        else replace(rota, advance=Advance.ACTIVE_TURNS),
    ]


@SETTINGS
@given(running_layers(), st.integers(0, 4))
def test_an_edit_that_changes_past_activity_never_moves_who_is_on_call_now(
    case: tuple[LayerInput, datetime], which: int
) -> None:
    rota, now = case
    edited = _past_activity_edits(rota, now)[which]
    stored = replace(edited, segments=roster_after_edit(rota, edited, now))
    rot_t = turn_index(rota, now)
    assert on_call(stored, rot_t) == on_call(rota, rot_t)


@pytest.mark.parametrize("zone", ZONES)
def test_roster_change_across_a_dst_night(zone: str) -> None:
    nights = {
        "America/New_York": date(2026, 3, 8),
        "Europe/London": date(2026, 3, 29),
        "Australia/Lord_Howe": date(2026, 4, 5),
    }
    night = nights[zone]
    rota = layer(
        start=datetime.combine(night - timedelta(days=4), time(2, 30)),
        zone=zone,
        contacts=(1, 2, 3),
    )
    now = at(zone, night.year, night.month, night.day - 1, 12)
    segments = roster_change(rota, (1, 3), now)
    # The next handoff is 02:30 on the transition night, resolved into the gap's end.
    assert segments[-1].start == boundary(rota, 4)
    changed = replace(rota, participants=people(1, 3), segments=segments)
    lo = boundary(rota, 2)
    result = who(changed, lo, boundary(rota, 7))
    assert [a for _, a in result] == [(3,), (1,), (3,), (1,), (3,)]
    assert [s for s, _ in result] == [boundary(rota, t) for t in range(2, 7)]
