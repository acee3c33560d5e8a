"""The `layers(filter, sort)` query over the staffing fields."""

from __future__ import annotations

from typing import Any

from tests.support import Api
from tests.timelines.factories import contacts, schedule, set_layers, weekly

QUERY = """query($f: LayerFilter, $s: [LayerSort!], $first: Int) {
  layers(filter: $f, sort: $s, first: $first) { totalCount nodes { name participantType } } }"""


async def world(api: Api) -> dict[str, Any]:
    a, b, c = await contacts(api, "Ann", "Bob", "Cid")
    group = (
        await api.ok(
            'mutation($m: [ID!]!) { createGroup(input: {name: "G", memberIds: $m}) { id } }',
            {"m": [a, b]},
        )
    )["createGroup"]["id"]
    ops = await schedule(api, "Ops", tiers=2)
    web = await schedule(api, "Web")
    await set_layers(
        api,
        ops["tiers"][0]["id"],
        [
            weekly(
                "Weekdays",
                "2026-03-02T09:00",
                [a, b],
                recurrence={"type": "REPEAT", "from": "2026-03-01", "to": "2026-06-30"},
                staffRotation={"numberOfStaffOnCall": 2, "numberOfStaffToRotate": 1},
            ),
            {
                **weekly("Groups", "2026-03-02T09:00", []),
                "participants": [{"groupId": group}],
                "index": 2,
            },
        ],
    )
    await set_layers(
        api,
        ops["tiers"][1]["id"],
        [
            {
                **weekly("Mixed", "2026-03-02T09:00", [c]),
                "participants": [{"contactId": c}, {"groupId": group}],
                "recurrence": {"type": "PERIODIC", "from": "2026-04-01", "everyN": 2},
                "staffRotation": {"direction": "BACKWARD"},
            },
        ],
    )
    await set_layers(
        api,
        web["tiers"][0]["id"],
        [
            weekly(
                "Nights",
                "2026-03-02T21:00",
                [a, b, c],
                unit="DAY",
                minStaff=0,
                recurrence={
                    "type": "ICAL",
                    "from": "2026-03-02",
                    "rule": "FREQ=WEEKLY;BYDAY=MO,TU,TH",
                },
            ),
        ],
    )
    return {"ops": ops, "web": web}


async def names(
    api: Api, f: dict[str, Any] | None = None, s: list[dict[str, str]] | None = None
) -> list[str]:
    data = await api.ok(QUERY, {"f": f, "s": s})
    conn = data["layers"]
    assert conn["totalCount"] == len(conn["nodes"])
    return [n["name"] for n in conn["nodes"]]


async def test_filters_or_inside_a_field_and_across_fields(api: Api) -> None:
    w = await world(api)
    assert await names(api) == ["Weekdays", "Groups", "Mixed", "Nights"]
    assert await names(api, {"recurrenceType": ["REPEAT", "ICAL"]}) == ["Weekdays", "Nights"]
    assert await names(
        api, {"recurrenceType": ["REPEAT", "ICAL"], "schedule": [w["ops"]["id"]]}
    ) == ["Weekdays"]
    assert await names(api, {"participantType": ["GROUP", "MIXED"]}) == ["Groups", "Mixed"]
    assert await names(api, {"numberOfStaffOnCall": [2]}) == ["Weekdays"]
    assert await names(api, {"numberOfStaffToRotate": [1], "direction": ["FORWARD"]}) == [
        "Weekdays",
        "Groups",
        "Nights",
    ]
    assert await names(api, {"direction": ["BACKWARD"]}) == ["Mixed"]
    assert await names(api, {"everyN": [2]}) == ["Mixed"]
    assert await names(api, {"minStaff": [0]}) == ["Nights"]
    assert await names(api, {"tierNumber": [2]}) == ["Mixed"]
    assert await names(api, {"recurrenceFrom": {"from": "2026-03-01", "to": "2026-03-31"}}) == [
        "Weekdays",
        "Nights",
    ]
    assert await names(api, {"activeBetween": {"from": "2026-07-01", "to": "2026-07-31"}}) == [
        "Groups",
        "Mixed",
        "Nights",
    ]
    assert await names(api, {"nameContains": ["ght", "GROUP"]}) == ["Groups", "Nights"]


async def test_sorts_apply_in_order(api: Api) -> None:
    await world(api)
    assert await names(api, s=[{"field": "NAME", "direction": "DESC"}]) == [
        "Weekdays",
        "Nights",
        "Mixed",
        "Groups",
    ]
    assert await names(
        api, s=[{"field": "SCHEDULE_NAME", "direction": "DESC"}, {"field": "NAME"}]
    ) == ["Nights", "Groups", "Mixed", "Weekdays"]
    assert await names(
        api,
        s=[{"field": "STAFF_ON_CALL", "direction": "DESC"}, {"field": "NAME", "direction": "DESC"}],
    ) == ["Weekdays", "Nights", "Mixed", "Groups"]


async def test_paging_and_bad_ids(api: Api) -> None:
    await world(api)
    data = await api.ok(QUERY, {"first": 2})
    assert data["layers"]["totalCount"] == 4 and len(data["layers"]["nodes"]) == 2
    error = await api.error(QUERY, {"f": {"schedule": ["not-an-id"]}})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
