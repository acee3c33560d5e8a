"""Substitution.occurrences: recurrences expanded into UTC intervals, windows, zones and DST."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tests.substitutions.factories import (
    OCCURRENCES,
    contact,
    create_one,
    occurrences,
    schedule,
)
from tests.support import Api


def day(d: str) -> str:
    return f"{d}T00:00:00+00:00"


async def test_reference_ical_weekly_on_monday_tuesday_thursday(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    sub = await create_one(
        api,
        ada,
        recurrence={
            "type": "ICAL",
            "rule": "FREQ=WEEKLY;WKST=MO;BYDAY=MO,TU,TH",
            "from": "2017-02-01",
            "to": "2017-02-28",
        },
    )
    got = await occurrences(api, sub["id"], "2017-02-01T00:00:00Z", "2017-03-10T00:00:00Z")
    # Wednesday Feb 1 itself does not match; Monday and Tuesday touch and are joined.
    assert got == [
        (day("2017-02-02"), day("2017-02-03")),
        (day("2017-02-06"), day("2017-02-08")),
        (day("2017-02-09"), day("2017-02-10")),
        (day("2017-02-13"), day("2017-02-15")),
        (day("2017-02-16"), day("2017-02-17")),
        (day("2017-02-20"), day("2017-02-22")),
        (day("2017-02-23"), day("2017-02-24")),
        (day("2017-02-27"), day("2017-03-01")),  # to (Feb 28) is inclusive
    ]
    covered: set[int] = set()
    for start, end in got:
        d = datetime.fromisoformat(start).date()
        while d < datetime.fromisoformat(end).date():
            covered.add(d.isoweekday())
            d += timedelta(days=1)
    assert covered == {1, 2, 4}  # Monday, Tuesday, Thursday


async def test_until_ends_the_rule_and_to_constrains_but_never_extends(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    rule = {"type": "ICAL", "rule": "FREQ=DAILY;UNTIL=20170225", "from": "2017-02-01"}
    window = ("2017-01-01T00:00:00Z", "2017-04-01T00:00:00Z")

    own_end = await create_one(api, ada, recurrence=rule)
    assert own_end["endsOn"] == "2017-02-25"
    assert await occurrences(api, own_end["id"], *window) == [
        (day("2017-02-01"), day("2017-02-26"))
    ]

    constrained = await create_one(api, ada, recurrence={**rule, "to": "2017-02-15"})
    assert constrained["endsOn"] == "2017-02-15"
    assert await occurrences(api, constrained["id"], *window) == [
        (day("2017-02-01"), day("2017-02-16"))
    ]

    not_extended = await create_one(api, ada, recurrence={**rule, "to": "2017-03-05"})
    assert not_extended["endsOn"] == "2017-02-25"
    assert await occurrences(api, not_extended["id"], *window) == [
        (day("2017-02-01"), day("2017-02-26"))
    ]


async def test_count_ends_the_rule_without_to(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    sub = await create_one(
        api,
        ada,
        recurrence={"type": "ICAL", "rule": "FREQ=WEEKLY;COUNT=3", "from": "2026-03-02"},
    )
    assert sub["endsOn"] == "2026-03-16"
    got = await occurrences(api, sub["id"], "2026-03-01T00:00:00Z", "2026-04-30T00:00:00Z")
    assert [start for start, _ in got] == [day("2026-03-02"), day("2026-03-09"), day("2026-03-16")]


async def test_periodic_every_second_week_and_occurrence_dates(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    periodic = await create_one(
        api,
        ada,
        recurrence={"type": "PERIODIC", "from": "2026-03-02", "to": "2026-03-29", "everyN": 2},
    )
    assert await occurrences(
        api, periodic["id"], "2026-03-01T00:00:00Z", "2026-04-30T00:00:00Z"
    ) == [
        (day("2026-03-02"), day("2026-03-09")),
        (day("2026-03-16"), day("2026-03-23")),
    ]
    dates = await create_one(
        api, ada, recurrence={"type": "OCCURRENCE", "from": "2026-03-05", "to": "2026-03-06"}
    )
    # The asked window clips: only the part of the dates inside it is returned.
    assert await occurrences(api, dates["id"], "2026-03-05T12:00:00Z", "2026-03-31T00:00:00Z") == [
        ("2026-03-05T12:00:00+00:00", day("2026-03-07"))
    ]


async def test_a_midday_window_across_spring_forward_in_new_york(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    new_york = await schedule(api.org_id, timezone="America/New_York")
    sub = await create_one(
        api,
        ada,
        scheduleId=new_york,
        timezone=None,  # the schedule's zone
        recurrence={"type": "REPEAT", "from": "2026-03-07", "to": "2026-03-09"},
        window={"start": "12:00", "end": "14:00"},
    )
    got = await occurrences(api, sub["id"], "2026-03-01T00:00:00Z", "2026-03-31T00:00:00Z")
    assert got == [
        ("2026-03-07T17:00:00+00:00", "2026-03-07T19:00:00+00:00"),  # EST, UTC-5
        ("2026-03-08T16:00:00+00:00", "2026-03-08T18:00:00+00:00"),  # EDT from 2026-03-08
        ("2026-03-09T16:00:00+00:00", "2026-03-09T18:00:00+00:00"),
    ]


async def test_an_overnight_window_across_both_dst_changes(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    overnight = {"start": "22:00", "end": "06:00"}
    spring = await create_one(
        api,
        ada,
        timezone="America/New_York",
        recurrence={"type": "OCCURRENCE", "from": "2026-03-07", "to": "2026-03-07"},
        window=overnight,
    )
    got = await occurrences(api, spring["id"], "2026-03-01T00:00:00Z", "2026-03-31T00:00:00Z")
    assert got == [("2026-03-08T03:00:00+00:00", "2026-03-08T10:00:00+00:00")]  # 7 hours

    autumn = await create_one(
        api,
        ada,
        timezone="America/New_York",
        recurrence={"type": "OCCURRENCE", "from": "2026-10-31", "to": "2026-10-31"},
        window=overnight,
    )
    got = await occurrences(api, autumn["id"], "2026-10-01T00:00:00Z", "2026-11-30T00:00:00Z")
    assert got == [("2026-11-01T02:00:00+00:00", "2026-11-01T11:00:00+00:00")]  # 9 hours

    nights = await create_one(
        api,
        ada,
        timezone="America/New_York",
        recurrence={"type": "REPEAT", "from": "2026-03-06", "to": "2026-03-08"},
        window=overnight,
    )
    got = await occurrences(api, nights["id"], "2026-03-01T00:00:00Z", "2026-03-31T00:00:00Z")
    lengths = [datetime.fromisoformat(end) - datetime.fromisoformat(start) for start, end in got]
    assert lengths == [timedelta(hours=8), timedelta(hours=7), timedelta(hours=8)]


async def test_whole_days_follow_local_midnight_across_dst(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    sub = await create_one(
        api,
        ada,
        timezone="America/New_York",
        recurrence={"type": "OCCURRENCE", "from": "2026-03-08", "to": "2026-03-08"},
    )
    got = await occurrences(api, sub["id"], "2026-03-01T00:00:00Z", "2026-03-31T00:00:00Z")
    assert got == [("2026-03-08T05:00:00+00:00", "2026-03-09T04:00:00+00:00")]  # 23 hours


async def test_occurrence_windows_are_checked(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    sub = await create_one(api, ada)
    cases = [
        ("2026-03-01T00:00:00", "2026-03-02T00:00:00Z", ["from"]),
        ("2026-03-02T00:00:00Z", "2026-03-01T00:00:00Z", ["to"]),
        ("2026-01-01T00:00:00Z", "2027-01-03T00:00:00Z", ["to"]),
    ]
    for start, end, fields in cases:
        error = await api.error(OCCURRENCES, {"id": sub["id"], "from": start, "to": end})
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert error["extensions"]["fields"] == fields, error
    year = await occurrences(api, sub["id"], "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z")
    assert year == [(day("2026-03-02"), day("2026-03-09"))]
    assert date.fromisoformat(year[0][0][:10]).weekday() == 0
