"""`Schedule.stats` through the whole app, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support import Api, count_sql
from tests.timelines.factories import contacts, schedule, set_layers, weekly

STATS = """query($s: ID!, $days: Int, $from: DateTime, $to: DateTime, $order: [StatsOrder!],
  $first: Int, $after: String) {
  schedule(id: $s) {
    stats(timeframeDays: $days, from: $from, to: $to, orderBy: $order, first: $first,
      after: $after) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage endCursor }
      nodes { shiftCount hours nightHours weekendHours tierNumbers contact { name timezone } }
    }
  }
}"""

ON_DEMAND = """mutation($i: CreateOnDemandShiftInput!) { createOnDemandShift(input: $i) { id } }"""

# Monday 2026-03-02 09:00 UTC: a daily 09:00 rotation started a week earlier has had 7 turns.
MONDAY_HANDOFF = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def stats(
    api: Api, schedule_id: str, *, token: str | None = None, **args: Any
) -> dict[str, Any]:
    variables = {"s": schedule_id, **{("from" if k == "from_" else k): v for k, v in args.items()}}
    data = await api.ok(STATS, variables, token=token)
    result: dict[str, Any] = data["schedule"]["stats"]
    return result


def by_name(page: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["contact"]["name"]: n for n in page["nodes"]}


def names(page: dict[str, Any]) -> list[str]:
    return [n["contact"]["name"] for n in page["nodes"]]


async def daily_three(api: Api) -> str:
    """Ann, Bob, Cid (UTC) on a daily 09:00 rotation from Monday 2026-02-23."""
    a, b, c = await contacts(api, "Ann", "Bob", "Cid")
    s = await schedule(api)
    await set_layers(
        api, s["tiers"][0]["id"], [weekly("Daily", "2026-02-23T09:00", [a, b, c], unit="DAY")]
    )
    sid: str = s["id"]
    return sid


async def test_a_week_of_a_daily_rotation_is_counted_exactly(api: Api) -> None:
    sid = await daily_three(api)
    api.clock.set(MONDAY_HANDOFF)  # the last 7 days are exactly 7 turns: A B C A B C A
    page = await stats(api, sid)
    assert page["totalCount"] == 3
    assert names(page) == ["Ann", "Bob", "Cid"]  # most shifts first, ties by name
    found = by_name(page)
    assert found["Ann"] == {
        "shiftCount": 3,
        "hours": 72.0,
        "nightHours": 24.0,
        # Sunday 09:00 to Monday 00:00 (the Friday and Saturday turns are Bob's and Cid's)
        "weekendHours": 15.0,
        "tierNumbers": [1],
        "contact": {"name": "Ann", "timezone": "UTC"},
    }
    assert (found["Bob"]["shiftCount"], found["Bob"]["hours"], found["Bob"]["nightHours"]) == (
        2,
        48.0,
        16.0,
    )
    assert found["Bob"]["weekendHours"] == 9.0  # Friday 09:00 to Saturday 09:00
    assert (found["Cid"]["shiftCount"], found["Cid"]["hours"], found["Cid"]["weekendHours"]) == (
        2,
        48.0,
        24.0,
    )


async def test_shifts_crossing_the_window_edges_count_once(api: Api) -> None:
    sid = await daily_three(api)
    # now = Monday 12:00 (the fixture's clock): the window is [Feb 23 12:00, Mar 2 12:00).
    page = await stats(api, sid)
    found = by_name(page)
    assert (found["Ann"]["shiftCount"], found["Ann"]["hours"]) == (3, 21.0 + 24 + 24)
    assert (found["Bob"]["shiftCount"], found["Bob"]["hours"]) == (3, 24.0 + 24 + 3)
    assert (found["Cid"]["shiftCount"], found["Cid"]["hours"]) == (2, 48.0)
    # A one-day window inside a turn: one shift, 24 hours.
    one = await stats(api, sid, days=1)
    assert [(n["contact"]["name"], n["shiftCount"], n["hours"]) for n in one["nodes"]] == [
        ("Ann", 1, 21.0),
        ("Bob", 1, 3.0),
    ]


async def test_explicit_window_and_nobody_on_call(api: Api) -> None:
    sid = await daily_three(api)
    page = await stats(api, sid, from_="2026-02-24T09:00:00Z", to="2026-02-26T09:00:00Z")
    assert [(n["contact"]["name"], n["shiftCount"], n["hours"]) for n in page["nodes"]] == [
        ("Bob", 1, 24.0),
        ("Cid", 1, 24.0),
    ]
    before = await stats(api, sid, from_="2026-01-01T00:00:00Z", to="2026-02-01T00:00:00Z")
    assert before["totalCount"] == 0 and before["nodes"] == []


async def test_night_and_weekend_hours_in_each_contacts_zone(api: Api) -> None:
    (ann,) = await contacts(api, "Ann", timezone="America/New_York")
    (bob,) = await contacts(api, "Bob", timezone="Asia/Tokyo")
    (cid,) = await contacts(api, "Cid", timezone="Europe/London")
    s = await schedule(api, tiers=2)
    tier1, tier2 = (t["id"] for t in s["tiers"])
    # Friday 12:00 EST to Monday 12:00 EDT, across New York's spring-forward night (Mar 8).
    start, end = "2026-03-06T17:00:00Z", "2026-03-09T16:00:00Z"
    for tier, who in ((tier1, [ann]), (tier2, [bob])):
        await api.ok(
            ON_DEMAND, {"i": {"tierId": tier, "start": start, "end": end, "contactIds": who}}
        )
    # Cid: on both tiers for a while, partly at the same time.
    await api.ok(
        ON_DEMAND,
        {
            "i": {
                "tierId": tier1,
                "start": "2026-03-10T00:00:00Z",
                "end": "2026-03-10T12:00:00Z",
                "contactIds": [cid],
            }
        },
    )
    await api.ok(
        ON_DEMAND,
        {
            "i": {
                "tierId": tier2,
                "start": "2026-03-10T06:00:00Z",
                "end": "2026-03-10T18:00:00Z",
                "contactIds": [cid],
            }
        },
    )

    page = await stats(api, s["id"], from_="2026-03-06T00:00:00Z", to="2026-03-11T00:00:00Z")
    found = by_name(page)
    assert found["Ann"]["hours"] == 71.0 and found["Bob"]["hours"] == 71.0
    # New York: 8 h + 7 h (spring forward) + 8 h; the weekend is 47 h and wholly inside.
    assert found["Ann"]["nightHours"] == 23.0
    assert found["Ann"]["weekendHours"] == 47.0
    assert found["Ann"]["tierNumbers"] == [1]
    # Tokyo (UTC+9): Saturday 02:00 to Tuesday 01:00 local: 4 + 8 + 8 + 3 night hours;
    # the weekend from Saturday 02:00: 46 hours.
    assert found["Bob"]["nightHours"] == 23.0
    assert found["Bob"]["weekendHours"] == 46.0
    assert found["Bob"]["tierNumbers"] == [2]
    # London (GMT): 00:00-18:00 on a Tuesday; two tiers' shifts, time counted once.
    assert found["Cid"] == {
        "shiftCount": 2,
        "hours": 18.0,
        "nightHours": 6.0,
        "weekendHours": 0.0,
        "tierNumbers": [1, 2],
        "contact": {"name": "Cid", "timezone": "Europe/London"},
    }


async def test_stats_of_the_past_read_confirmed_history(api: Api) -> None:
    a, b, c = await contacts(api, "Ann", "Bob", "Cid")
    s = await schedule(api)
    tier = s["tiers"][0]["id"]
    await set_layers(api, tier, [weekly("Daily", "2026-02-23T09:00", [a, b], unit="DAY")])
    confirm = "mutation($s: ID!) { confirmAssignments(scheduleId: $s) { newAssignment } }"
    await api.ok(confirm, {"s": s["id"]})  # Monday 12:00
    api.clock.advance(timedelta(days=3))
    await api.ok(confirm, {"s": s["id"]})
    await set_layers(api, tier, [weekly("Daily", "2026-02-23T09:00", [c], unit="DAY")])
    page = await stats(api, s["id"], days=3)  # [Mon 12:00, Thu 12:00): all confirmed
    assert [(n["contact"]["name"], n["shiftCount"], n["hours"]) for n in page["nodes"]] == [
        ("Ann", 2, 24.0 + 3),
        ("Bob", 2, 21.0 + 24),
    ]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        # Ann 3 shifts / 72 h / 24 night / 15 weekend; Bob 2 / 48 / 16 / 9; Cid 2 / 48 / 16 / 24
        ([{"field": "SHIFT_COUNT", "direction": "DESC"}], ["Ann", "Bob", "Cid"]),
        ([{"field": "SHIFT_COUNT", "direction": "ASC"}], ["Bob", "Cid", "Ann"]),
        ([{"field": "HOURS", "direction": "DESC"}], ["Ann", "Bob", "Cid"]),
        ([{"field": "HOURS"}], ["Bob", "Cid", "Ann"]),  # direction defaults to ASC
        ([{"field": "NIGHT_HOURS", "direction": "ASC"}], ["Bob", "Cid", "Ann"]),
        ([{"field": "WEEKEND_HOURS", "direction": "DESC"}], ["Cid", "Ann", "Bob"]),
        ([{"field": "WEEKEND_HOURS", "direction": "ASC"}], ["Bob", "Ann", "Cid"]),
        ([{"field": "NAME", "direction": "DESC"}], ["Cid", "Bob", "Ann"]),
        (
            [
                {"field": "SHIFT_COUNT", "direction": "ASC"},
                {"field": "WEEKEND_HOURS", "direction": "DESC"},
            ],
            ["Cid", "Bob", "Ann"],
        ),
        (
            [{"field": "NIGHT_HOURS", "direction": "DESC"}, {"field": "NAME", "direction": "DESC"}],
            ["Ann", "Cid", "Bob"],
        ),
    ],
)
async def test_order_by_each_field_and_combined(
    api: Api, order: list[dict[str, str]], expected: list[str]
) -> None:
    sid = await daily_three(api)
    api.clock.set(MONDAY_HANDOFF)
    assert names(await stats(api, sid, order=order)) == expected


async def test_equal_names_are_ordered_by_id(api: Api) -> None:
    first, second = await contacts(api, "Sam", "Sam")
    s = await schedule(api)
    await set_layers(
        api,
        s["tiers"][0]["id"],
        [
            weekly(
                "Pair",
                "2026-02-23T09:00",
                [first, second],
                unit="DAY",
                staffRotation={"numberOfStaffOnCall": 2},
            )
        ],
    )
    data = await api.ok(
        "query($s: ID!) { schedule(id: $s) { stats(orderBy: [{field: NAME, direction: DESC}]) { nodes { contact { id } } } } }",
        {"s": s["id"]},
    )
    assert [n["contact"]["id"] for n in data["schedule"]["stats"]["nodes"]] == [first, second]


async def test_paging(api: Api) -> None:
    sid = await daily_three(api)
    api.clock.set(MONDAY_HANDOFF)
    order = [{"field": "NAME", "direction": "ASC"}]
    one = await stats(api, sid, order=order, first=2)
    assert names(one) == ["Ann", "Bob"] and one["totalCount"] == 3
    assert one["pageInfo"]["hasNextPage"] is True and one["pageInfo"]["hasPreviousPage"] is False
    two = await stats(api, sid, order=order, first=2, after=one["pageInfo"]["endCursor"])
    assert names(two) == ["Cid"] and two["totalCount"] == 3
    assert two["pageInfo"]["hasNextPage"] is False and two["pageInfo"]["hasPreviousPage"] is True
    error = await api.error(STATS, {"s": sid, "first": 101})
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["extensions"]["fields"] == [
        "first"
    ]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"from": "2026-02-01T00:00:00Z"}, "to"),
        ({"to": "2026-02-01T00:00:00Z"}, "from"),
        ({"days": 0}, "timeframeDays"),
        ({"days": 367}, "timeframeDays"),
        ({"days": -3}, "timeframeDays"),
        ({"from": "2025-01-01T00:00:00Z", "to": "2026-01-03T00:00:00Z"}, "to"),
        ({"from": "2026-02-02T00:00:00Z", "to": "2026-02-01T00:00:00Z"}, "to"),
        ({"from": "2026-02-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"}, "to"),
    ],
)
async def test_window_validation(api: Api, args: dict[str, Any], field: str) -> None:
    sid = await daily_three(api)
    error = await api.error(STATS, {"s": sid, **args})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == [field]


async def test_longest_windows_are_accepted(api: Api) -> None:
    sid = await daily_three(api)
    assert (await stats(api, sid, days=366))["totalCount"] == 3
    year = await stats(api, sid, from_="2026-01-01T00:00:00Z", to="2027-01-02T00:00:00Z")
    assert year["totalCount"] == 3


async def test_viewer_can_read_and_a_token_is_required(api: Api) -> None:
    sid = await daily_three(api)
    api.clock.set(MONDAY_HANDOFF)
    page = await stats(api, sid, token=api.tokens["VIEWER"])
    assert names(page) == ["Ann", "Bob", "Cid"]
    error = await api.error(STATS, {"s": sid}, token="")
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_sql_count_does_not_grow_with_contacts(api: Api) -> None:
    small = await daily_three(api)
    people = await contacts(api, "P1", "P2", "P3", "P4", "P5", "P6")
    s = await schedule(api, "Big")
    await set_layers(
        api, s["tiers"][0]["id"], [weekly("Daily", "2026-02-23T09:00", people, unit="DAY")]
    )
    counts = []
    for sid in (small, s["id"]):
        with count_sql() as statements:
            page = await stats(api, sid)
        counts.append(len(statements))
        assert page["totalCount"] in (3, 6)
    assert counts[0] == counts[1]
