"""Ledger arithmetic against hand-computed figures: DST in two zones, a holiday, a pay rule
changing mid-period, shifts crossing period boundaries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.model import Origin
from app.ledger.arithmetic import (
    HourClass,
    PayRule,
    Period,
    Row,
    holiday_time,
    ledger,
    pay,
    periods,
    person_shifts,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def row(
    start: datetime,
    end: datetime,
    *who: int,
    tier: int = 1,
    schedule: int = 1,
    origin: Origin = Origin.LAYER,
) -> Row:
    return Row(schedule, tier, start, end, who, origin)


def one(
    rows: list[Row],
    *,
    zone: ZoneInfo,
    lo: datetime,
    hi: datetime,
    holidays: frozenset[date] = frozenset(),
    period: Period = Period.RANGE,
):
    windows = periods(lo, hi, period, zone)
    found = ledger(
        person_shifts(rows),
        windows=windows,
        zones={1: zone},
        holidays={1: holidays},
        per_schedule=False,
    )
    return [found.get((1, i, None)) for i in range(len(windows))]


def test_spring_forward_weekend_in_berlin() -> None:
    # Sat 2026-03-28 12:00 CET (11:00Z) to Mon 2026-03-30 12:00 CEST (10:00Z): 47 h lived.
    (fig,) = one(
        [row(utc(2026, 3, 28, 11), utc(2026, 3, 30, 10), 1)],
        zone=BERLIN,
        lo=utc(2026, 3, 1),
        hi=utc(2026, 4, 1),
    )
    assert fig is not None
    assert (fig.shifts, fig.hours) == (1, 47 * H)
    assert fig.night == 7 * H + 8 * H  # Sat night loses an hour, Sun night is whole
    assert fig.weekend == 12 * H + 23 * H  # Sat 12:00-24:00, then a 23-hour Sunday


def test_fall_back_night_and_a_holiday_in_new_york() -> None:
    # Sat 2026-10-31 18:00 EDT (22:00Z) to Sun 2026-11-01 18:00 EST (23:00Z): 25 h lived.
    sunday = frozenset({date(2026, 11, 1)})
    (fig,) = one(
        [row(utc(2026, 10, 31, 22), utc(2026, 11, 1, 23), 1)],
        zone=NEW_YORK,
        lo=utc(2026, 10, 1),
        hi=utc(2026, 12, 1),
        holidays=sunday,
    )
    assert fig is not None
    assert (fig.hours, fig.night, fig.weekend) == (25 * H, 9 * H, 25 * H)
    assert fig.holiday == 19 * H  # local Sunday 00:00 (04:00Z) to 18:00 (23:00Z)


def test_holiday_time_is_judged_by_the_persons_local_date() -> None:
    holiday = frozenset({date(2026, 4, 1)})
    span = (utc(2026, 3, 31, 20), utc(2026, 4, 1, 6))  # 22:00 Berlin to 08:00 Berlin
    assert holiday_time(*span, BERLIN, holiday) == 8 * H
    assert holiday_time(*span, NEW_YORK, holiday) == 2 * H  # NY's 1 April starts at 04:00Z


def test_a_shift_crossing_a_month_boundary_is_split_exactly() -> None:
    # Tue 2026-03-31 20:00 CEST (18:00Z) to Wed 2026-04-01 08:00 CEST (06:00Z).
    march, april = one(
        [row(utc(2026, 3, 31, 18), utc(2026, 4, 1, 6), 1)],
        zone=BERLIN,
        lo=utc(2026, 2, 28, 23),
        hi=utc(2026, 4, 30, 22),
        period=Period.MONTH,
    )
    assert march is not None and april is not None
    assert (march.shifts, march.hours, march.night) == (1, 4 * H, 2 * H)
    assert (april.shifts, april.hours, april.night) == (0, 8 * H, 6 * H)


def test_week_and_quarter_periods_start_at_local_midnight() -> None:
    weeks = periods(utc(2026, 3, 25), utc(2026, 4, 8), Period.WEEK, BERLIN)
    assert [lo for lo, _ in weeks] == [
        utc(2026, 3, 25),
        utc(2026, 3, 29, 22),
        utc(2026, 4, 5, 22),
    ]  # CEST since 29 March
    quarters = periods(utc(2026, 1, 1), utc(2027, 1, 1), Period.QUARTER, NEW_YORK)
    # 1 January 00:00Z is still 31 December in New York: a 5-hour piece of Q4 2025 first.
    assert [lo for lo, _ in quarters] == [
        utc(2026, 1, 1),
        utc(2026, 1, 1, 5),
        utc(2026, 4, 1, 4),
        utc(2026, 7, 1, 4),
        utc(2026, 10, 1, 4),
    ]


def test_touching_rows_are_one_shift_and_origins_are_kept_apart() -> None:
    rows = [
        row(utc(2026, 5, 4, 9), utc(2026, 5, 4, 12), 1, 2),  # confirmation split at 12:00
        row(utc(2026, 5, 4, 12), utc(2026, 5, 4, 15), 1, origin=Origin.ON_DEMAND),
        row(utc(2026, 5, 4, 15), utc(2026, 5, 4, 17), 1, origin=Origin.SUBSTITUTION),
        row(utc(2026, 5, 4, 9), utc(2026, 5, 4, 17), 1, tier=2),  # a second tier at once
        row(utc(2026, 5, 5, 9), utc(2026, 5, 5, 10), 1),
    ]
    (fig,) = one(rows, zone=UTC, lo=utc(2026, 5, 1), hi=utc(2026, 6, 1))  # type: ignore[arg-type]
    assert fig is not None
    assert fig.shifts == 3  # 9-17 on tier 1, 9-17 on tier 2, the next morning
    assert (fig.hours, fig.on_demand, fig.substitution) == (9 * H, 3 * H, 2 * H)


def rule(
    day: datetime,
    rate: str,
    *,
    per_shift: bool = False,
    night: str = "1",
    weekend: str = "1",
    holiday: str = "1",
) -> PayRule:
    return PayRule(
        day,
        "EUR",
        per_shift,
        Decimal(rate),
        {
            HourClass.NIGHT: Decimal(night),
            HourClass.WEEKEND: Decimal(weekend),
            HourClass.HOLIDAY: Decimal(holiday),
        },
    )


def test_a_rule_change_mid_period_splits_hourly_pay_and_never_rewrites_the_past() -> None:
    shift = person_shifts([row(utc(2026, 3, 31, 18), utc(2026, 4, 1, 6), 1)])
    first = rule(utc(2025, 12, 31, 23), "10", night="1.5")
    second = rule(utc(2026, 3, 31, 22), "20", night="1.5", holiday="3")  # 1 April, Berlin
    args = {"zones": {1: BERLIN}, "holidays": {1: frozenset({date(2026, 4, 1)})}}
    whole = pay(
        shift, start=utc(2026, 3, 1), end=utc(2026, 5, 1), rules={1: [first, second]}, **args
    )  # type: ignore[arg-type]
    # March: 2 h x 10 + 2 h x 10 x 1.5 = 50. April 1 (a holiday: 3 beats 1.5): 8 h x 20 x 3.
    assert whole[(1, 1, "EUR")].amount == Decimal(50) + Decimal(480)
    assert whole[(1, 1, "EUR")].paid_hours == 12
    march_before = pay(
        shift, start=utc(2026, 3, 1), end=utc(2026, 3, 31, 22), rules={1: [first]}, **args
    )  # type: ignore[arg-type]
    march_after = pay(
        shift, start=utc(2026, 3, 1), end=utc(2026, 3, 31, 22), rules={1: [first, second]}, **args
    )  # type: ignore[arg-type]
    assert march_before[(1, 1, "EUR")].amount == march_after[(1, 1, "EUR")].amount == 50


def test_a_per_shift_rate_takes_the_highest_multiplier_among_the_shifts_hours() -> None:
    shift = person_shifts([row(utc(2026, 3, 28, 11), utc(2026, 3, 30, 10), 1)])
    per_shift = rule(utc(2026, 1, 1), "100", per_shift=True, night="1.5", weekend="2")
    found = pay(
        shift,
        start=utc(2026, 3, 1),
        end=utc(2026, 4, 1),
        rules={1: [per_shift]},
        zones={1: BERLIN},
        holidays={},
    )
    assert (found[(1, 1, "EUR")].amount, found[(1, 1, "EUR")].paid_shifts) == (Decimal(200), 1)
    assert found[(1, 1, "EUR")].paid_hours == 0


@given(
    st.lists(
        # Starts inside [lo, hi): 2026-01-01 + 120 days is hi itself (May 1).
        st.tuples(st.integers(0, 24 * 120 - 1), st.integers(1, 24 * 5), st.sampled_from([1, 2])),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from([Period.WEEK, Period.MONTH, Period.QUARTER]),
    st.sampled_from([BERLIN, NEW_YORK]),
)
@settings(max_examples=60, deadline=None)
def test_periods_add_up_to_the_whole_window(
    spans: list[tuple[int, int, int]], period: Period, zone: ZoneInfo
) -> None:
    """Split exactly: every figure summed over the periods equals the figure of the whole
    window, and each shift is counted exactly once."""
    lo, hi = utc(2026, 1, 1), utc(2026, 5, 1)
    rows = [row(lo + a * H, lo + (a + b) * H, 1, tier=t) for a, b, t in spans]
    shifts = person_shifts(rows)
    whole = ledger(
        shifts, windows=[(lo, hi)], zones={1: zone}, holidays={1: frozenset()}, per_schedule=False
    )[(1, 0, None)]
    windows = periods(lo, hi, period, zone)
    parts = ledger(
        shifts, windows=windows, zones={1: zone}, holidays={1: frozenset()}, per_schedule=False
    )
    for name in ("shifts", "hours", "night", "weekend"):
        total = sum((getattr(f, name) for f in parts.values()), type(getattr(whole, name))())
        assert total == getattr(whole, name), name
    assert whole.shifts == len([s for s in shifts if s.start < hi])
