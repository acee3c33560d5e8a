"""The pure helpers of notices: a person's shifts from rows, comparing two views, quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from app.notifications.runs import Row, Run, after_quiet, backoff, clip, compare, person_runs


def t(hour: float) -> datetime:
    return datetime(2026, 3, 2, tzinfo=UTC) + timedelta(hours=hour)


def test_touching_rows_make_one_shift_per_person() -> None:
    rows = [Row(t(8), t(12), (2, 1)), Row(t(0), t(8), (1,)), Row(t(12), t(14), (2,))]
    assert person_runs(rows) == {1: [Run(t(0), t(12))], 2: [Run(t(8), t(14))]}


def test_compare_names_added_removed_and_moved() -> None:
    before = [Run(t(0), t(8)), Run(t(20), t(22))]
    after = [Run(t(2), t(8)), Run(t(30), t(31))]
    change = compare(before, after)
    assert change.moved == ((Run(t(0), t(8)), Run(t(2), t(8))),)
    assert change.removed == (Run(t(20), t(22)),) and change.added == (Run(t(30), t(31)),)
    assert not compare(before, list(before))
    assert clip(before, t(4), t(21)) == [Run(t(4), t(8)), Run(t(20), t(21))]


def test_quiet_hours_across_midnight_end_the_next_morning_local() -> None:
    zone = "Europe/London"
    late = datetime(2026, 3, 28, 23, 30, tzinfo=ZoneInfo(zone))  # before the clocks go forward
    assert after_quiet(late, start="22:00", end="07:00", zone=zone) == datetime(
        2026, 3, 29, 7, 0, tzinfo=ZoneInfo(zone)
    )
    early = datetime(2026, 3, 29, 3, 0, tzinfo=UTC)
    assert after_quiet(early, start="22:00", end="07:00", zone=zone).hour == 6  # 07:00 BST
    noon = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)
    assert after_quiet(noon, start="22:00", end="07:00", zone=zone) == noon
    assert after_quiet(noon, start=None, end=None, zone=zone) == noon


@given(
    minutes=st.integers(0, 7 * 24 * 60),
    start=st.integers(0, 23 * 60 + 59),
    end=st.integers(0, 23 * 60 + 59),
    zone=st.sampled_from(["UTC", "America/New_York", "Australia/Lord_Howe"]),
)
def test_after_quiet_is_never_earlier_and_never_inside_quiet_hours(
    minutes: int, start: int, end: int, zone: str
) -> None:
    instant = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    s, e = f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}"
    out = after_quiet(instant, start=s, end=e, zone=zone)
    assert out >= instant
    assert out - instant <= timedelta(hours=25)
    assert after_quiet(out, start=s, end=e, zone=zone) == out


def test_backoff_doubles_up_to_a_cap() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [5, 10, 20]
    assert backoff(30).total_seconds() == 900
