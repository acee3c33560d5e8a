"""Parsing iCalendar into busy intervals: recurrences, overrides, all-day and floating times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.calendars import parsing
from tests.calendars.ics_server import vcalendar

START = datetime(2026, 3, 1, tzinfo=UTC)
END = START + timedelta(days=367)


def busy(text: str, zone: str = "UTC", filter: str = "ALL_BUSY") -> list[tuple[str, str]]:
    spans = parsing.busy_intervals(
        [parsing.read(text)], zone=zone, start=START, end=END, filter=filter
    )
    return [(s.strftime("%m-%dT%H:%M"), e.strftime("%m-%dT%H:%M")) for s, e in spans]


def test_recurring_event_with_exdate_and_moved_and_cancelled_overrides() -> None:
    text = vcalendar(
        """UID:daily
        DTSTART;TZID=Europe/Berlin:20260302T100000
        DTEND;TZID=Europe/Berlin:20260302T150000
        RRULE:FREQ=DAILY;COUNT=5
        EXDATE;TZID=Europe/Berlin:20260303T100000
        SUMMARY:Secret project""",
        """UID:daily
        RECURRENCE-ID;TZID=Europe/Berlin:20260304T100000
        DTSTART;TZID=Europe/Berlin:20260304T160000
        DTEND;TZID=Europe/Berlin:20260304T200000""",
        """UID:daily
        RECURRENCE-ID;TZID=Europe/Berlin:20260305T100000
        DTSTART;TZID=Europe/Berlin:20260305T100000
        DTEND;TZID=Europe/Berlin:20260305T150000
        STATUS:CANCELLED""",
    )
    assert busy(text) == [
        ("03-02T09:00", "03-02T14:00"),
        ("03-04T15:00", "03-04T19:00"),  # moved by its override
        ("03-06T09:00", "03-06T14:00"),
    ]


def test_all_day_events_are_whole_local_days_across_dst() -> None:
    # 2026-03-08 is the US spring-forward day: that local day lasts 23 hours.
    text = vcalendar(
        """UID:off
        DTSTART;VALUE=DATE:20260307
        DTEND;VALUE=DATE:20260309"""
    )
    assert busy(text, zone="America/New_York") == [("03-07T05:00", "03-09T04:00")]
    assert busy(text, zone="UTC") == [("03-07T00:00", "03-09T00:00")]


def test_floating_times_are_read_in_the_contact_zone() -> None:
    text = vcalendar(
        """UID:float
        DTSTART:20260310T090000
        DTEND:20260310T170000"""
    )
    assert busy(text, zone="Europe/London") == [("03-10T09:00", "03-10T17:00")]
    assert busy(text, zone="America/New_York") == [("03-10T13:00", "03-10T21:00")]


def test_transparent_cancelled_and_free_events_are_skipped() -> None:
    text = vcalendar(
        """UID:t
        DTSTART:20260310T090000Z
        DTEND:20260310T170000Z
        TRANSP:TRANSPARENT""",
        """UID:c
        DTSTART:20260311T090000Z
        DTEND:20260311T170000Z
        STATUS:CANCELLED""",
        """UID:f
        DTSTART:20260312T090000Z
        DTEND:20260312T170000Z
        X-MICROSOFT-CDO-BUSYSTATUS:FREE""",
        """UID:b
        DTSTART:20260313T090000Z
        DTEND:20260313T170000Z
        TRANSP:OPAQUE""",
    )
    assert busy(text) == [("03-13T09:00", "03-13T17:00")]


def test_filters() -> None:
    text = vcalendar(
        """UID:meeting
        DTSTART:20260310T090000Z
        DTEND:20260310T100000Z""",
        """UID:long
        DTSTART:20260311T090000Z
        DTEND:20260311T130000Z""",
        """UID:trip
        DTSTART:20260312T200000Z
        DURATION:P2D""",
        """UID:day
        DTSTART;VALUE=DATE:20260320""",
    )
    assert busy(text, filter="ALL_BUSY") == [
        ("03-10T09:00", "03-10T10:00"),
        ("03-11T09:00", "03-11T13:00"),
        ("03-12T20:00", "03-14T20:00"),
        ("03-20T00:00", "03-21T00:00"),
    ]
    assert busy(text, filter="LONG_OR_ALL_DAY") == [
        ("03-11T09:00", "03-11T13:00"),  # exactly 4 hours counts
        ("03-12T20:00", "03-14T20:00"),
        ("03-20T00:00", "03-21T00:00"),
    ]
    assert busy(text, filter="ALL_DAY_ONLY") == [("03-20T00:00", "03-21T00:00")]


def test_window_clips_and_merges() -> None:
    text = vcalendar(
        """UID:a
        DTSTART:20260228T000000Z
        DTEND:20260302T000000Z""",
        """UID:b
        DTSTART:20260301T120000Z
        DTEND:20260303T000000Z""",
    )
    assert busy(text) == [("03-01T00:00", "03-03T00:00")]


def test_runaway_rules_are_dropped_and_huge_calendars_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    minutely = vcalendar(
        """UID:m
        DTSTART:20260301T000000Z
        DTEND:20260301T050000Z
        RRULE:FREQ=MINUTELY""",
        """UID:ok
        DTSTART:20260310T090000Z
        DTEND:20260310T170000Z""",
    )
    assert busy(minutely) == [("03-10T09:00", "03-10T17:00")]
    monkeypatch.setattr(parsing, "MAX_OCCURRENCES", 100)
    many = vcalendar(
        """UID:daily
        DTSTART:20260302T090000Z
        DTEND:20260302T093000Z
        RRULE:FREQ=DAILY"""
    )
    with pytest.raises(parsing.ParseError, match="more than"):
        busy(many)


@pytest.mark.parametrize(
    "text",
    [
        "<html><body>Sign in</body></html>",
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20260101\r\nEND:VCALENDAR\r\n",
    ],
)
def test_not_a_calendar(text: str) -> None:
    with pytest.raises(parsing.ParseError):
        parsing.read(text)


def test_broken_event_is_an_error_without_its_text() -> None:
    text = vcalendar(
        """UID:x
        SUMMARY:Top secret title
        DTSTART:2026garbage"""
    )
    with pytest.raises(parsing.ParseError) as caught:
        busy(text)
    assert "secret" not in str(caught.value) and "garbage" not in str(caught.value)
