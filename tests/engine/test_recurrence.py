"""REPEAT / PERIODIC / ICAL / OCCURRENCE -> active local dates, and what they do to layers."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from app.engine import (
    Recurrence,
    RecurrenceType,
    RotationUnit,
    validate_recurrence,
    validate_rule,
)
from app.engine.recurrence import _expansion, active_runs, is_active
from tests.engine.helpers import NEW_YORK, at, layer, timeline, utc


def dates(rec: Recurrence | None, first: date, last: date) -> list[date]:
    found = []
    for a, b in active_runs(rec, first, last):
        day = a
        while day <= b:
            found.append(day)
            day += timedelta(days=1)
    return found


def test_no_recurrence_means_every_day() -> None:
    assert active_runs(None, date(2026, 1, 1), date(2026, 1, 31)) == [
        (date(2026, 1, 1), date(2026, 1, 31))
    ]


def test_repeat_runs_from_to_inclusive_and_forever_without_to() -> None:
    rec = Recurrence(RecurrenceType.REPEAT, date(2026, 1, 10), date(2026, 1, 12))
    assert dates(rec, date(2026, 1, 1), date(2026, 1, 31)) == [
        date(2026, 1, 10),
        date(2026, 1, 11),
        date(2026, 1, 12),
    ]
    forever = Recurrence(RecurrenceType.REPEAT, date(2026, 1, 10))
    assert active_runs(forever, date(2030, 1, 1), date(2030, 1, 2)) == [
        (date(2030, 1, 1), date(2030, 1, 2))
    ]
    assert active_runs(forever, date(2026, 1, 1), date(2026, 1, 9)) == []


def test_periodic_is_every_nth_week_counted_from_its_start() -> None:
    rec = Recurrence(RecurrenceType.PERIODIC, date(2026, 1, 7), every_n=2)  # a Wednesday
    assert active_runs(rec, date(2026, 1, 1), date(2026, 2, 10)) == [
        (date(2026, 1, 7), date(2026, 1, 13)),
        (date(2026, 1, 21), date(2026, 1, 27)),
        (date(2026, 2, 4), date(2026, 2, 10)),
    ]
    assert is_active(rec, date(2026, 1, 20)) is False
    assert is_active(rec, date(2026, 1, 21)) is True
    assert is_active(rec, date(2026, 1, 6)) is False  # before the start
    bounded = Recurrence(RecurrenceType.PERIODIC, date(2026, 1, 7), date(2026, 1, 23), every_n=2)
    assert active_runs(bounded, date(2026, 1, 1), date(2026, 2, 10))[-1] == (
        date(2026, 1, 21),
        date(2026, 1, 23),
    )


def test_ical_rule_of_weekdays_from_its_start() -> None:
    rec = Recurrence(
        RecurrenceType.ICAL, date(2017, 2, 1), rule="FREQ=WEEKLY;WKST=MO;BYDAY=MO,TU,TH"
    )
    assert dates(rec, date(2017, 1, 1), date(2017, 2, 10)) == [
        date(2017, 2, 2),
        date(2017, 2, 6),
        date(2017, 2, 7),
        date(2017, 2, 9),
    ]


def test_ical_to_constrains_but_never_extends() -> None:
    rule = "RRULE:FREQ=DAILY;UNTIL=20170225T000000Z"
    constrained = Recurrence(RecurrenceType.ICAL, date(2017, 2, 1), date(2017, 2, 15), rule=rule)
    assert dates(constrained, date(2017, 1, 1), date(2017, 3, 31))[-1] == date(2017, 2, 15)
    not_extended = Recurrence(RecurrenceType.ICAL, date(2017, 2, 1), date(2017, 3, 15), rule=rule)
    assert dates(not_extended, date(2017, 1, 1), date(2017, 3, 31))[-1] == date(2017, 2, 25)
    counted = Recurrence(RecurrenceType.ICAL, date(2017, 2, 1), rule="FREQ=WEEKLY;COUNT=3")
    assert dates(counted, date(2017, 1, 1), date(2017, 12, 31)) == [
        date(2017, 2, 1),
        date(2017, 2, 8),
        date(2017, 2, 15),
    ]


def test_ical_expansions_are_cached_per_rule_and_start() -> None:
    rec = Recurrence(RecurrenceType.ICAL, date(2015, 3, 1), rule="FREQ=MONTHLY;BYMONTHDAY=1,15")
    dates(rec, date(2026, 1, 1), date(2026, 12, 31))
    hits = _expansion.cache_info().hits
    assert dates(rec, date(2026, 1, 1), date(2026, 1, 31)) == [date(2026, 1, 1), date(2026, 1, 15)]
    assert _expansion.cache_info().hits == hits + 1
    assert _expansion.cache_info().maxsize is not None


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=DAILY;BYHOUR=9", "BYHOUR is refused"),
        ("FREQ=DAILY;BYMINUTE=30", "BYMINUTE is refused"),
        ("FREQ=WEEKLY;BYSECOND=1", "BYSECOND is refused"),
        ("FREQ=HOURLY", "FREQ=HOURLY is refused"),
        ("FREQ=minutely", "FREQ=MINUTELY is refused"),
        ("RRULE:FREQ=SECONDLY", "FREQ=SECONDLY is refused"),
        ("BYDAY=MO", "needs a FREQ"),
        ("FREQ=WEEKLY;BYDAY=XX", "invalid RRULE"),
        ("FREQ=SOMETIMES", "invalid RRULE"),
        ("FREQ", "malformed"),
        ("", "empty"),
        ("FREQ=DAILY;UNTIL=tomorrow", "not a date"),
        ("FREQ=DAILY\nRRULE:FREQ=WEEKLY", "single RRULE line"),
        ("FREQ=DAILY;DTSTART=20170101", "DTSTART is refused"),
    ],
)
def test_validate_rule_refuses_with_a_clear_message(rule: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_rule(rule)


def test_validate_rule_accepts_date_rules() -> None:
    validate_rule("FREQ=WEEKLY;WKST=MO;BYDAY=MO,TU,TH")
    validate_rule("RRULE:FREQ=MONTHLY;BYSETPOS=-1;BYDAY=FR;UNTIL=20300101")
    validate_rule("freq=yearly;count=3")


def test_validate_recurrence_names_fields() -> None:
    bad = Recurrence(RecurrenceType.PERIODIC, date(2026, 1, 2), date(2026, 1, 1), every_n=0)
    assert {field for field, _ in validate_recurrence(bad)} == {
        "recurrence.end",
        "recurrence.every_n",
    }
    missing = Recurrence(RecurrenceType.ICAL, date(2026, 1, 1))
    assert [f for f, _ in validate_recurrence(missing)] == ["recurrence.rule"]
    stray = Recurrence(RecurrenceType.REPEAT, date(2026, 1, 1), rule="FREQ=DAILY")
    assert [f for f, _ in validate_recurrence(stray)] == ["recurrence.rule"]


def test_occurrence_is_from_to_or_the_single_start_date() -> None:
    rec = Recurrence(RecurrenceType.OCCURRENCE, date(2024, 9, 24), date(2024, 9, 30))
    assert len(dates(rec, date(2024, 9, 1), date(2024, 10, 31))) == 7
    single = Recurrence(RecurrenceType.OCCURRENCE, date(2024, 9, 24))
    assert dates(single, date(2024, 9, 1), date(2024, 10, 31)) == [date(2024, 9, 24)]


def test_recurrence_selects_whole_layer_days_from_handoff_to_handoff() -> None:
    rec = Recurrence(RecurrenceType.REPEAT, date(2026, 1, 7), date(2026, 1, 8))
    rota = layer(start=datetime(2026, 1, 5, 9), recurrence=rec, contacts=(1, 2, 3, 4, 5))
    result = timeline(rota, start=utc(2026, 1, 1), end=utc(2026, 1, 15))
    assert [(s.start, s.end, s.assignees) for s in result.shifts] == [
        (at(NEW_YORK, 2026, 1, 7, 9), at(NEW_YORK, 2026, 1, 8, 9), (3,)),  # turns kept going
        (at(NEW_YORK, 2026, 1, 8, 9), at(NEW_YORK, 2026, 1, 9, 9), (4,)),
    ]


def test_periodic_layer_every_other_week() -> None:
    rec = Recurrence(RecurrenceType.PERIODIC, date(2026, 1, 5), every_n=2)
    rota = layer(
        start=datetime(2026, 1, 5, 0), unit=RotationUnit.WEEK, recurrence=rec, contacts=(1, 2)
    )
    result = timeline(rota, start=utc(2026, 1, 1), end=utc(2026, 2, 10))
    assert [(s.start, s.end, s.assignees) for s in result.shifts] == [
        (at(NEW_YORK, 2026, 1, 5), at(NEW_YORK, 2026, 1, 12), (1,)),
        (at(NEW_YORK, 2026, 1, 19), at(NEW_YORK, 2026, 1, 26), (1,)),  # turn 2: back to 1
        (at(NEW_YORK, 2026, 2, 2), at(NEW_YORK, 2026, 2, 9), (1,)),
    ]
