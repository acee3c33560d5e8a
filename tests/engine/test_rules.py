"""Holiday rule, pauses, own holidays, working hours (SPEC §9) and the window-date rule (§2)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.engine import (
    HolidayRule,
    Participant,
    Pause,
    Recurrence,
    RecurrenceType,
    Restriction,
    RestrictionKind,
    RotationUnit,
    SubstitutionInput,
    WorkingHours,
    validate_layer,
)
from app.engine.intervals import union
from app.engine.restrictions import coverage
from app.engine.turns import Rotation
from tests.engine.helpers import LONDON, LORD_HOWE, NEW_YORK, ZONES, at, layer, timeline

MONDAY = datetime(2026, 1, 5, 9, 0)
# A transition night per zone (spring forward, or Lord Howe's half-hour fall back).
NIGHTS = {NEW_YORK: date(2026, 3, 8), LONDON: date(2026, 3, 29), LORD_HOWE: date(2026, 4, 5)}


def rows(result: object) -> list[tuple[datetime, datetime, tuple[int, ...]]]:
    return [(s.start, s.end, s.assignees) for s in result.shifts]  # type: ignore[attr-defined]


def local(zone: str, day: date, hour: int = 0, minute: int = 0) -> datetime:
    return at(zone, day.year, day.month, day.day, hour, minute)


# ------------------------------------------------------------------------------ holidays


def test_skip_lets_lower_layers_show_through_and_only_places_a_holiday_rotation_on_top() -> None:
    holidays = frozenset({date(2026, 1, 7)})
    base = layer(id=1, index=0, start=MONDAY, contacts=(1, 2), holidays=holidays)
    skip = replace(
        base, id=2, index=1, participants=base.participants[:1], on_holidays=HolidayRule.SKIP
    )
    skip = replace(skip, participants=(Participant(5),))
    only = layer(
        id=3, index=2, start=MONDAY, contacts=(9,), holidays=holidays, on_holidays=HolidayRule.ONLY
    )
    result = timeline(
        base, skip, only, start=at(NEW_YORK, 2026, 1, 6, 9), end=at(NEW_YORK, 2026, 1, 9, 9)
    )
    assert rows(result) == [
        (at(NEW_YORK, 2026, 1, 6, 9), at(NEW_YORK, 2026, 1, 7, 9), (5,)),
        (at(NEW_YORK, 2026, 1, 7, 9), at(NEW_YORK, 2026, 1, 8, 9), (9,)),  # the holiday's day
        (at(NEW_YORK, 2026, 1, 8, 9), at(NEW_YORK, 2026, 1, 9, 9), (5,)),
    ]
    without_only = timeline(
        base, skip, start=at(NEW_YORK, 2026, 1, 7, 9), end=at(NEW_YORK, 2026, 1, 8, 9)
    )
    assert rows(without_only) == [(at(NEW_YORK, 2026, 1, 7, 9), at(NEW_YORK, 2026, 1, 8, 9), (1,))]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(ZONES),
    st.sampled_from([time(0), time(2, 30), time(9)]),
    st.lists(st.integers(0, 40), max_size=8),
    st.booleans(),
    st.sampled_from(list(RotationUnit)),
)
def test_skip_and_only_cover_complementary_dates(
    zone: str, handoff: time, offsets: list[int], restricted: bool, unit: RotationUnit
) -> None:
    first = NIGHTS[zone] - timedelta(days=20)
    holidays = frozenset(first + timedelta(days=d) for d in offsets)
    restrictions = (
        (
            Restriction(RestrictionKind.DAILY, time(1), timedelta(hours=3)),
            Restriction(RestrictionKind.WEEKLY, time(18), timedelta(hours=30), 4),
        )
        if restricted
        else ()
    )
    run = layer(
        start=datetime.combine(first, handoff),
        zone=zone,
        unit=unit,
        length=7 if unit is RotationUnit.HOUR else 1,
        restrictions=restrictions,
        holidays=holidays,
    )
    lo, hi = local(zone, first), local(zone, first + timedelta(days=40))
    spans = {}
    for rule in HolidayRule:
        rota = replace(run, on_holidays=rule)
        spans[rule] = coverage(rota, Rotation(rota), lo, hi)
    skip, only, everything = (
        spans[HolidayRule.SKIP],
        spans[HolidayRule.ONLY],
        spans[HolidayRule.RUN],
    )
    for a, b in skip:
        assert all(b <= c or d <= a for c, d in only)  # disjoint
    assert union(skip + only) == everything


@pytest.mark.parametrize("zone", ZONES)
def test_a_skipped_holiday_on_a_transition_day_removes_that_whole_layer_day(zone: str) -> None:
    night = NIGHTS[zone]
    rota = layer(
        start=datetime.combine(night - timedelta(days=3), time(0)),
        zone=zone,
        contacts=(1, 2),
        holidays=frozenset({night}),
        on_holidays=HolidayRule.SKIP,
    )
    lo, hi = local(zone, night - timedelta(days=1)), local(zone, night + timedelta(days=2))
    result = timeline(rota, start=lo, end=hi)
    assert [(g.start, g.end) for g in result.gaps] == [
        (local(zone, night), local(zone, night + timedelta(days=1)))
    ]
    only = timeline(replace(rota, on_holidays=HolidayRule.ONLY), start=lo, end=hi)
    assert rows(only) == [(local(zone, night), local(zone, night + timedelta(days=1)), (2,))]


# -------------------------------------------------------------------------------- pauses


@pytest.mark.parametrize("zone", ZONES)
def test_pauses_make_layer_days_inactive_and_never_move_handoffs(zone: str) -> None:
    night = NIGHTS[zone]
    rota = layer(
        start=datetime.combine(night - timedelta(days=4), time(2, 30)),
        zone=zone,
        contacts=(1, 2, 3),
        pauses=(Pause(night - timedelta(days=1), night),),
    )
    lo, hi = local(zone, night - timedelta(days=2)), local(zone, night + timedelta(days=3))
    result = timeline(rota, start=lo, end=hi)
    unpaused = timeline(replace(rota, pauses=()), start=lo, end=hi)
    gap_start = unpaused.shifts[2].start  # the paused days' turns, as resolved handoffs
    gap_end = unpaused.shifts[4].start
    assert [(g.start, g.end) for g in result.gaps] == [(gap_start, gap_end)]
    assert [s for s in rows(result) if s[0] >= gap_end] == [
        s for s in rows(unpaused) if s[0] >= gap_end
    ]


def test_overlapping_pauses_are_refused_naming_the_field() -> None:
    rota = layer(
        pauses=(
            Pause(date(2026, 2, 1), date(2026, 2, 5)),
            Pause(date(2026, 2, 5), date(2026, 2, 6)),
        )
    )
    assert ("pauses[1]", "overlaps pauses[0]") in validate_layer(rota)
    backwards = layer(pauses=(Pause(date(2026, 2, 5), date(2026, 2, 1)),))
    assert ("pauses[0].end", "must not be before the start") in validate_layer(backwards)


# ------------------------------------------------------------------------- own holidays


@pytest.mark.parametrize("zone", ZONES)
def test_own_holidays_are_whole_contact_local_dates_and_skip_to_the_next(zone: str) -> None:
    night = NIGHTS[zone]
    people = (Participant(1, zone=zone, holidays=frozenset({night})), Participant(2, zone=LONDON))
    rota = layer(
        start=datetime.combine(night - timedelta(days=3), time(0)),
        zone=NEW_YORK,
        unit=RotationUnit.WEEK,
        participants=people,
        participant_holidays=True,
    )
    lo, hi = (
        local(zone, night) - timedelta(hours=6),
        local(zone, night + timedelta(days=1)) + timedelta(hours=6),
    )
    result = timeline(rota, start=lo, end=hi)
    day_start, day_end = local(zone, night), local(zone, night + timedelta(days=1))
    assert [(s.start, s.end) for s in result.shifts if s.assignees == (2,)] == [
        (day_start, day_end)
    ]
    ignored = timeline(replace(rota, participant_holidays=False), start=lo, end=hi)
    assert {s.assignees for s in ignored.shifts} == {(1,)}


# ------------------------------------------------------------------------ working hours


def test_follow_the_sun_from_working_hours() -> None:
    """An HOUR x 8 rotation over Sydney, Berlin and New York, each 09:00-17:00 local."""
    hours = WorkingHours(time(9), time(17))
    people = (
        Participant(1, working_hours=hours, zone="Australia/Sydney"),
        Participant(2, working_hours=hours, zone="Europe/Berlin"),
        Participant(3, working_hours=hours, zone=NEW_YORK),
    )
    rota = layer(
        start=datetime(2026, 6, 1, 0, 0),
        zone="UTC",
        unit=RotationUnit.HOUR,
        length=8,
        participants=people,
    )
    result = timeline(rota, start=at("UTC", 2026, 6, 3), end=at("UTC", 2026, 6, 4))
    # June: Sydney 09-17 = 23-07 UTC, Berlin = 07-15 UTC, New York = 13-21 UTC.
    on = {s.start.hour: s.assignees for s in result.shifts}
    assert on[0] == (1,) and on[7] == (2,) and on[15] == (3,)
    assert all(s.assignees for s in result.shifts[: len(result.shifts) - 1])


@pytest.mark.parametrize("zone", ZONES)
def test_working_hours_wrap_past_midnight_in_the_contacts_zone_across_dst(zone: str) -> None:
    night = NIGHTS[zone]
    nights_only = WorkingHours(time(22), time(6))
    rota = layer(
        start=datetime.combine(night - timedelta(days=3), time(12)),
        zone="UTC",
        unit=RotationUnit.WEEK,
        participants=(Participant(1, working_hours=nights_only, zone=zone), Participant(2)),
    )
    lo, hi = local(zone, night - timedelta(days=1), 12), local(zone, night, 12)
    result = timeline(rota, start=lo, end=hi)
    assert [(s.start, s.end, s.assignees) for s in result.shifts] == [
        (lo, local(zone, night - timedelta(days=1), 22), (2,)),
        (local(zone, night - timedelta(days=1), 22), local(zone, night, 6), (1,)),
        (local(zone, night, 6), hi, (2,)),
    ]


def test_working_hours_weekdays_are_judged_by_the_contact_local_date() -> None:
    hours = WorkingHours(time(20), time(4))
    weekdays = frozenset({4})  # Friday evenings (Tokyo) only
    rota = layer(
        start=MONDAY,
        unit=RotationUnit.WEEK,
        participants=(Participant(1, weekdays, hours, "Asia/Tokyo"), Participant(2)),
    )
    result = timeline(rota, start=at(NEW_YORK, 2026, 1, 5, 9), end=at(NEW_YORK, 2026, 1, 12, 9))
    ones = [(s.start, s.end) for s in result.shifts if s.assignees == (1,)]
    assert ones == [(at("Asia/Tokyo", 2026, 1, 9, 20), at("Asia/Tokyo", 2026, 1, 10, 4))]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(ZONES),
    st.sampled_from(ZONES),
    st.none() | st.frozensets(st.integers(0, 6), min_size=1),
    st.integers(-10, 10),
    st.booleans(),
)
def test_working_hours_0000_to_0000_equal_none(
    zone: str, contact_zone: str, weekdays: frozenset[int] | None, shift: int, restricted: bool
) -> None:
    start = datetime.combine(NIGHTS[zone] + timedelta(days=shift), time(2, 30))
    plain = layer(
        start=start,
        zone=zone,
        participants=(Participant(1, weekdays, zone=contact_zone), Participant(2)),
        restrictions=(
            (Restriction(RestrictionKind.DAILY, time(6), timedelta(hours=20)),)
            if restricted
            else ()
        ),
    )
    midnight = WorkingHours(time(0), time(0))
    hours = replace(
        plain, participants=(Participant(1, weekdays, midnight, contact_zone), Participant(2))
    )
    lo, hi = (
        local(zone, NIGHTS[zone] - timedelta(days=5)),
        local(zone, NIGHTS[zone] + timedelta(days=9)),
    )
    assert timeline(hours, start=lo, end=hi) == timeline(plain, start=lo, end=hi)


def test_a_replacement_holds_the_position_whatever_the_replaced_contacts_hours() -> None:
    rota = layer(
        start=MONDAY,
        unit=RotationUnit.WEEK,
        participants=(
            Participant(1, working_hours=WorkingHours(time(9), time(17))),
            Participant(2),
        ),
    )
    sub = SubstitutionInput(
        1, 1, 7, Recurrence(RecurrenceType.OCCURRENCE, date(2026, 1, 6)), NEW_YORK
    )
    result = timeline(
        rota, start=at(NEW_YORK, 2026, 1, 6), end=at(NEW_YORK, 2026, 1, 7), substitutions=(sub,)
    )
    assert rows(result) == [(at(NEW_YORK, 2026, 1, 6), at(NEW_YORK, 2026, 1, 7), (7,))]


# ------------------------------------------------------------- §2: the window's date rule


def test_weekdays_on_a_restricted_layer_are_judged_by_the_window_date() -> None:
    """A Monday-Friday member of a weekly layer (Monday 09:00 handoff) with a daily 06:00-08:00
    window is never on a Saturday or Sunday window, though those windows lie in layer days of
    Friday and Saturday (before the 09:00 handoff)."""
    weekdays = frozenset(range(5))
    rota = layer(
        start=MONDAY,
        unit=RotationUnit.WEEK,
        participants=(Participant(1, weekdays), Participant(2)),
        skip_unavailable=False,
        restrictions=(Restriction(RestrictionKind.DAILY, time(6), timedelta(hours=2)),),
    )
    result = timeline(rota, start=at(NEW_YORK, 2026, 1, 5), end=at(NEW_YORK, 2026, 1, 12))
    views = result.layer(1).shifts  # type: ignore[union-attr]
    by_day = {p.start: p.assignees for p in views}
    assert by_day == {
        **{at(NEW_YORK, 2026, 1, d, 6): (1,) for d in range(6, 10)},
        at(NEW_YORK, 2026, 1, 10, 6): (),
        at(NEW_YORK, 2026, 1, 11, 6): (),
    }


def test_a_window_is_judged_wholly_by_its_start_date_and_earlier_windows_judge_overlaps() -> None:
    weekdays = frozenset(range(5))
    friday_night = Restriction(RestrictionKind.WEEKLY, time(18), timedelta(hours=63), 4)
    monday_evening = Restriction(RestrictionKind.WEEKLY, time(18), timedelta(hours=4), 0)
    rota = layer(
        start=MONDAY,
        unit=RotationUnit.WEEK,
        participants=(Participant(1, weekdays), Participant(2)),
        restrictions=(friday_night, monday_evening),
    )
    result = timeline(rota, start=at(NEW_YORK, 2026, 1, 9), end=at(NEW_YORK, 2026, 1, 13))
    assert rows(result) == [
        (at(NEW_YORK, 2026, 1, 9, 18), at(NEW_YORK, 2026, 1, 12, 9), (1,)),  # Fri 18:00 + 63 h
        (at(NEW_YORK, 2026, 1, 12, 18), at(NEW_YORK, 2026, 1, 12, 22), (2,)),
    ]
    sunday = Restriction(RestrictionKind.WEEKLY, time(8), timedelta(hours=4), 6)
    overlap = replace(
        rota,
        restrictions=(friday_night, sunday),
        participants=(Participant(1, frozenset({6})), Participant(2)),
    )
    result = timeline(overlap, start=at(NEW_YORK, 2026, 1, 9), end=at(NEW_YORK, 2026, 1, 13))
    # Sunday's window lies inside Friday's: Friday judges it, so the Sunday-only member is off.
    assert {s.assignees for s in result.shifts} == {(2,)}


@pytest.mark.parametrize("zone", ZONES)
def test_window_date_rule_across_dst(zone: str) -> None:
    night = NIGHTS[zone]
    rota = layer(
        start=datetime.combine(night - timedelta(days=night.weekday()), time(9)),
        zone=zone,
        unit=RotationUnit.WEEK,
        participants=(Participant(1, frozenset({night.weekday()})), Participant(2)),
        restrictions=(Restriction(RestrictionKind.DAILY, time(1), timedelta(hours=3)),),
    )
    lo, hi = local(zone, night - timedelta(days=1)), local(zone, night + timedelta(days=2))
    result = timeline(rota, start=lo, end=hi)
    # The transition night's window (01:00 + 3 h of wall time) belongs to that date: member 1.
    ones = [(s.start, s.end) for s in result.shifts if s.assignees == (1,)]
    assert ones == [(local(zone, night, 1), local(zone, night, 4))]


@pytest.mark.parametrize("zone", ZONES)
def test_newest_replacement_wins_for_the_whole_transition_day(zone: str) -> None:
    night = NIGHTS[zone]
    rota = layer(
        start=datetime.combine(night - timedelta(days=3), time(12)),
        zone=zone,
        unit=RotationUnit.WEEK,
        contacts=(1, 2),
    )
    on_night = Recurrence(RecurrenceType.OCCURRENCE, night)
    subs = (
        SubstitutionInput(7, 1, 8, on_night, zone),
        SubstitutionInput(3, 1, 9, on_night, zone),
    )
    lo, hi = local(zone, night), local(zone, night + timedelta(days=1))
    result = timeline(rota, start=lo - timedelta(hours=1), end=hi, substitutions=subs)
    assert rows(result) == [(lo - timedelta(hours=1), lo, (1,)), (lo, hi, (8,))]
