"""On-demand shifts (SPEC §3, §2) through the whole app on each backend."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.on_demand_shifts.helpers import (
    CREATE,
    DELETE,
    GET,
    LIST,
    TIER_LIST,
    UPDATE,
    at,
    create,
    instant,
    on_demand_of_tier,
    other_organization,
    span,
    tier_shifts,
)
from tests.substitutions import factories as subs
from tests.support import Api, table_counts
from tests.timelines.factories import contacts, schedule, set_layers, weekly


def t(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


async def setup(api: Api, *names: str) -> tuple[str, list[str]]:
    """A one-tier schedule whose weekly layer puts the first contact on call all week."""
    people = await contacts(api, *names)
    s = await schedule(api)
    tier = s["tiers"][0]["id"]
    await set_layers(api, tier, [weekly("Week", "2026-03-02T00:00", [people[0]])])
    return tier, people


# 1. Round trips ------------------------------------------------------------------------------


async def test_create_read_update_delete_round_trip(api: Api) -> None:
    tier, (_, bob, cid) = await setup(api, "Ann", "Bob", "Cid")
    window = (at(3, 0), at(4, 0))
    assert await tier_shifts(api, tier, *window) == [(t(3, 0), t(4, 0), "LAYER", ["Ann"])]

    created = await create(api, tier, at(3, 8), at(3, 16), [cid, bob])
    assert span(created) == (t(3, 8), t(3, 16))
    assert [c["name"] for c in created["contacts"]] == ["Cid", "Bob"]  # order kept: Cid primary
    assert created["tier"]["id"] == tier and created["warnings"] == []

    read = (await api.ok(GET, {"id": created["id"]}))["onDemandShift"]
    assert read == created
    node = await api.ok(
        "query($id: ID!) { node(id: $id) { ... on OnDemandShift { id start } } }",
        {"id": created["id"]},
    )
    assert node["node"]["id"] == created["id"]

    # It wins over the layer for exactly its interval, assignees in the given order.
    assert await tier_shifts(api, tier, *window) == [
        (t(3, 0), t(3, 8), "LAYER", ["Ann"]),
        (t(3, 8), t(3, 16), "ON_DEMAND", ["Cid", "Bob"]),
        (t(3, 16), t(4, 0), "LAYER", ["Ann"]),
    ]

    updated = (
        await api.ok(
            UPDATE, {"id": created["id"], "i": {"start": at(3, 10), "contactIds": [bob, cid]}}
        )
    )["updateOnDemandShift"]
    assert updated["id"] == created["id"]
    assert span(updated) == (t(3, 10), t(3, 16))  # end kept
    assert [c["name"] for c in updated["contacts"]] == ["Bob", "Cid"]
    assert await tier_shifts(api, tier, *window) == [
        (t(3, 0), t(3, 10), "LAYER", ["Ann"]),
        (t(3, 10), t(3, 16), "ON_DEMAND", ["Bob", "Cid"]),
        (t(3, 16), t(4, 0), "LAYER", ["Ann"]),
    ]

    # Only times: the contacts stay as they were.
    moved = (await api.ok(UPDATE, {"id": created["id"], "i": {"end": at(3, 18)}}))[
        "updateOnDemandShift"
    ]
    assert span(moved) == (t(3, 10), t(3, 18))
    assert [c["name"] for c in moved["contacts"]] == ["Bob", "Cid"]

    deleted = await api.ok(DELETE, {"id": created["id"]})
    assert deleted["deleteOnDemandShift"]["deletedId"] == created["id"]
    gone = await api.error(GET, {"id": created["id"]})
    assert gone["extensions"]["code"] == "NOT_FOUND"
    assert await tier_shifts(api, tier, *window) == [(t(3, 0), t(4, 0), "LAYER", ["Ann"])]
    again = await api.error(DELETE, {"id": created["id"]})
    assert again["extensions"]["code"] == "NOT_FOUND"


async def test_on_demand_shift_covers_a_tier_without_layers(api: Api) -> None:
    ann, bob = await contacts(api, "Ann", "Bob")
    s = await schedule(api, tiers=2)
    second = s["tiers"][1]["id"]
    await create(api, second, at(3, 8), at(3, 9), [bob, ann])
    assert await tier_shifts(api, second, at(3, 0), at(4, 0)) == [
        (t(3, 8), t(3, 9), "ON_DEMAND", ["Bob", "Ann"])
    ]
    assert await tier_shifts(api, s["tiers"][0]["id"], at(3, 0), at(4, 0)) == []


# 2. Validation -------------------------------------------------------------------------------


async def _refused(api: Api, variables: dict[str, Any], query: str = CREATE) -> dict[str, Any]:
    before = await table_counts()
    error = await api.error(query, variables)
    assert await table_counts() == before
    return error


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"end": at(3, 8)}, ["input.end"]),  # start == end
        ({"end": at(3, 7)}, ["input.end"]),  # end before start
        ({"start": "2026-03-03T08:00:00"}, ["input.start"]),  # no offset
        ({"end": "2026-03-03T16:00:00"}, ["input.end"]),
        ({"end": "2027-03-05T08:00:00Z"}, ["input.end"]),  # longer than 366 days
        ({"contactIds": []}, ["input.contactIds"]),
        ({"contactIds": ["BOB", "BOB"]}, ["input.contactIds.1"]),
        ({"contactIds": ["BOB", "FOREIGN"]}, ["input.contactIds.1"]),
        ({"contactIds": [], "end": at(3, 8)}, ["input.end", "input.contactIds"]),  # all named
        ({"contactIds": ["FOREIGN"], "end": at(3, 8)}, ["input.end", "input.contactIds.0"]),
    ],
)
async def test_bad_input_names_the_field_and_writes_nothing(
    api: Api, change: dict[str, Any], fields: list[str]
) -> None:
    tier, (ann, bob) = await setup(api, "Ann", "Bob")
    other = await other_organization()
    foreign = (
        await api.ok(
            'mutation { createContact(input: {name: "Zed", timezone: "UTC"}) { id } }', token=other
        )
    )["createContact"]["id"]
    await create(api, tier, at(2, 0), at(2, 1), [ann])  # something in the tables already
    names = {"BOB": bob, "FOREIGN": foreign}
    change = {
        k: [names.get(v, v) for v in vals] if k == "contactIds" else vals
        for k, vals in change.items()
    }
    item = {"tierId": tier, "start": at(3, 8), "end": at(3, 16), "contactIds": [bob], **change}
    error = await _refused(api, {"i": item})
    # A contact of another organization alone is NOT_FOUND (SPEC §7); among other mistakes
    # the answer stays BAD_USER_INPUT. Either way every field is named.
    alone = len(fields) == 1 and foreign in change.get("contactIds", [])
    assert error["extensions"]["code"] == ("NOT_FOUND" if alone else "BAD_USER_INPUT"), error
    assert error["extensions"]["fields"] == fields


async def test_naive_datetime_is_accepted_by_the_scalar_and_refused_by_the_service(
    api: Api,
) -> None:
    """Strawberry's DateTime parses an offset-less value into a naive datetime (no GraphQL
    validation error); the service must refuse it rather than guess a zone."""
    tier, (ann,) = await setup(api, "Ann")
    body = await api.post(
        CREATE,
        {
            "i": {
                "tierId": tier,
                "start": "2026-03-03T08:00:00",
                "end": "2026-03-03T09:00:00",
                "contactIds": [ann],
            }
        },
    )
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == ["input.start", "input.end"]
    assert "offset" in error["message"]


async def test_unknown_tier_is_not_found_and_writes_nothing(api: Api) -> None:
    _, (ann,) = await setup(api, "Ann")
    from app.api.relay import encode_id

    error = await _refused(
        api,
        {
            "i": {
                "tierId": encode_id("Tier", 999_999),
                "start": at(3, 8),
                "end": at(3, 9),
                "contactIds": [ann],
            }
        },
    )
    assert error["extensions"]["code"] == "NOT_FOUND"
    # A schedule's id where a tier's is expected is no tier either.
    s = await schedule(api, "Else")
    error = await _refused(
        api, {"i": {"tierId": s["id"], "start": at(3, 8), "end": at(3, 9), "contactIds": [ann]}}
    )
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_update_validates_the_same_way(api: Api) -> None:
    tier, (ann, bob) = await setup(api, "Ann", "Bob")
    shift = await create(api, tier, at(3, 8), at(3, 16), [bob])
    error = await _refused(api, {"id": shift["id"], "i": {"start": at(3, 16)}}, UPDATE)
    assert error["extensions"]["fields"] == ["input.end"]
    error = await _refused(api, {"id": shift["id"], "i": {"contactIds": []}}, UPDATE)
    assert error["extensions"]["fields"] == ["input.contactIds"]
    error = await _refused(api, {"id": shift["id"], "i": {"contactIds": [ann, ann]}}, UPDATE)
    assert error["extensions"]["fields"] == ["input.contactIds.1"]
    assert span((await api.ok(GET, {"id": shift["id"]}))["onDemandShift"]) == (t(3, 8), t(3, 16))


# 3. Overlaps ---------------------------------------------------------------------------------


async def test_overlap_without_sure_is_a_conflict_listing_the_overlapped(api: Api) -> None:
    tier, (ann, bob, cid) = await setup(api, "Ann", "Bob", "Cid")
    first = await create(api, tier, at(3, 8), at(3, 12), [bob])
    second = await create(api, tier, at(3, 14), at(3, 18), [cid])
    await create(api, tier, at(3, 20), at(3, 22), [cid])  # not touched by the new one

    variables: dict[str, Any] = {
        "i": {"tierId": tier, "start": at(3, 10), "end": at(3, 16), "contactIds": [ann]}
    }
    error = await _refused(api, variables)
    assert error["extensions"]["code"] == "CONFLICT"
    listed = error["extensions"]["overlapping"]
    assert [o["id"] for o in listed] == [first["id"], second["id"]]
    assert [(instant(o["start"]), instant(o["end"])) for o in listed] == [
        (t(3, 8), t(3, 12)),
        (t(3, 14), t(3, 18)),
    ]
    # sure defaults to false
    assert (await _refused(api, variables))["extensions"]["code"] == "CONFLICT"
    variables = {"i": {**variables["i"], "sure": False}}
    assert (await _refused(api, variables))["extensions"]["code"] == "CONFLICT"


async def test_touching_shifts_do_not_overlap(api: Api) -> None:
    tier, (ann, bob) = await setup(api, "Ann", "Bob")
    await create(api, tier, at(3, 8), at(3, 12), [bob])
    await create(api, tier, at(3, 12), at(3, 16), [ann])  # starts where the other ends
    await create(api, tier, at(3, 4), at(3, 8), [ann])  # ends where it starts
    assert [s[:2] for s in await on_demand_of_tier(api, tier)] == [
        (t(3, 4), t(3, 8)),
        (t(3, 8), t(3, 12)),
        (t(3, 12), t(3, 16)),
    ]


async def test_sure_splits_a_covering_shift_keeping_its_contacts(api: Api) -> None:
    tier, (ann, bob, cid) = await setup(api, "Ann", "Bob", "Cid")
    old = await create(api, tier, at(3, 8), at(3, 16), [bob, cid])
    new = await create(api, tier, at(3, 10), at(3, 12), [ann], sure=True)
    assert await on_demand_of_tier(api, tier) == [
        (t(3, 8), t(3, 10), ["Bob", "Cid"]),
        (t(3, 10), t(3, 12), ["Ann"]),
        (t(3, 12), t(3, 16), ["Bob", "Cid"]),  # the tail keeps the contacts, in order
    ]
    assert span((await api.ok(GET, {"id": old["id"]}))["onDemandShift"]) == (t(3, 8), t(3, 10))
    assert span((await api.ok(GET, {"id": new["id"]}))["onDemandShift"]) == (t(3, 10), t(3, 12))
    assert await tier_shifts(api, tier, at(3, 0), at(4, 0)) == [
        (t(3, 0), t(3, 8), "LAYER", ["Ann"]),
        (t(3, 8), t(3, 10), "ON_DEMAND", ["Bob", "Cid"]),
        (t(3, 10), t(3, 12), "ON_DEMAND", ["Ann"]),
        (t(3, 12), t(3, 16), "ON_DEMAND", ["Bob", "Cid"]),
        (t(3, 16), t(4, 0), "LAYER", ["Ann"]),
    ]


async def test_sure_deletes_covered_and_trims_partial_overlaps(api: Api) -> None:
    tier, (ann, bob, cid) = await setup(api, "Ann", "Bob", "Cid")
    left = await create(api, tier, at(3, 6), at(3, 10), [bob])  # overlaps the new start
    inside = await create(api, tier, at(3, 11), at(3, 13), [cid])  # covered whole
    same = await create(api, tier, at(3, 13), at(3, 14), [cid])  # covered too
    right = await create(api, tier, at(3, 14), at(3, 20), [bob])  # overlaps the new end
    await create(api, tier, at(3, 20), at(3, 22), [cid])  # touches only: untouched
    new = await create(api, tier, at(3, 8), at(3, 16), [ann], sure=True)

    assert await on_demand_of_tier(api, tier) == [
        (t(3, 6), t(3, 8), ["Bob"]),
        (t(3, 8), t(3, 16), ["Ann"]),
        (t(3, 16), t(3, 20), ["Bob"]),
        (t(3, 20), t(3, 22), ["Cid"]),
    ]
    for gone in (inside, same):
        assert (await api.error(GET, {"id": gone["id"]}))["extensions"]["code"] == "NOT_FOUND"
    assert span((await api.ok(GET, {"id": left["id"]}))["onDemandShift"]) == (t(3, 6), t(3, 8))
    assert span((await api.ok(GET, {"id": right["id"]}))["onDemandShift"]) == (t(3, 16), t(3, 20))
    assert span(new) == (t(3, 8), t(3, 16))


async def test_sure_over_an_identical_interval_replaces_it(api: Api) -> None:
    tier, (ann, bob) = await setup(api, "Ann", "Bob")
    await create(api, tier, at(3, 8), at(3, 16), [bob])
    await create(api, tier, at(3, 8), at(3, 16), [ann], sure=True)
    assert await on_demand_of_tier(api, tier) == [(t(3, 8), t(3, 16), ["Ann"])]


async def test_overlaps_are_per_tier(api: Api) -> None:
    ann, bob = await contacts(api, "Ann", "Bob")
    s = await schedule(api, tiers=2)
    one, two = (x["id"] for x in s["tiers"])
    await create(api, one, at(3, 8), at(3, 16), [ann])
    await create(api, two, at(3, 8), at(3, 16), [bob])  # no conflict with tier 1
    assert len(await on_demand_of_tier(api, one)) == len(await on_demand_of_tier(api, two)) == 1


async def test_sure_rewrites_everything_in_one_transaction(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after the overlapped shifts were trimmed rolls the trimming back too."""
    from app.on_demand_shifts import service

    tier, (ann, bob) = await setup(api, "Ann", "Bob")
    await create(api, tier, at(3, 8), at(3, 16), [bob])
    before = await on_demand_of_tier(api, tier)
    counts = await table_counts()

    async def boom(shift_id: int, contact_ids: Any) -> None:
        raise RuntimeError("disk full")

    real = service._write_contacts
    calls: list[int] = []

    async def failing_after_split(shift_id: int, contact_ids: Any) -> None:
        calls.append(shift_id)
        if len(calls) == 2:  # the tail's contacts were written; now the new shift's fail
            await boom(shift_id, contact_ids)
        await real(shift_id, contact_ids)

    monkeypatch.setattr(service, "_write_contacts", failing_after_split)
    body = await api.post(
        CREATE,
        {
            "i": {
                "tierId": tier,
                "start": at(3, 10),
                "end": at(3, 12),
                "contactIds": [ann],
                "sure": True,
            }
        },
    )
    assert body.get("errors") and body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert len(calls) == 2
    monkeypatch.setattr(service, "_write_contacts", real)
    assert await on_demand_of_tier(api, tier) == before
    assert await table_counts() == counts


async def test_update_follows_the_overlap_rule_excluding_itself(api: Api) -> None:
    tier, (ann, bob, cid) = await setup(api, "Ann", "Bob", "Cid")
    moving = await create(api, tier, at(3, 8), at(3, 10), [ann])
    other = await create(api, tier, at(3, 12), at(3, 16), [bob])
    # Growing over its own old interval is no overlap.
    grown = await api.ok(UPDATE, {"id": moving["id"], "i": {"start": at(3, 7), "end": at(3, 12)}})
    assert span(grown["updateOnDemandShift"]) == (t(3, 7), t(3, 12))

    error = await _refused(api, {"id": moving["id"], "i": {"end": at(3, 14)}}, UPDATE)
    assert error["extensions"]["code"] == "CONFLICT"
    assert [o["id"] for o in error["extensions"]["overlapping"]] == [other["id"]]

    # With sure the other one is trimmed; a split of the other keeps its contacts.
    await api.ok(UPDATE, {"id": moving["id"], "i": {"end": at(3, 14), "sure": True}})
    assert await on_demand_of_tier(api, tier) == [
        (t(3, 7), t(3, 14), ["Ann"]),
        (t(3, 14), t(3, 16), ["Bob"]),
    ]
    await api.ok(
        UPDATE,
        {
            "id": moving["id"],
            "i": {"start": at(3, 14, 30), "end": at(3, 15), "contactIds": [cid], "sure": True},
        },
    )
    assert await on_demand_of_tier(api, tier) == [
        (t(3, 14), datetime(2026, 3, 3, 14, 30, tzinfo=UTC), ["Bob"]),
        (datetime(2026, 3, 3, 14, 30, tzinfo=UTC), t(3, 15), ["Cid"]),
        (t(3, 15), t(3, 16), ["Bob"]),
    ]


# 4. Lists and filters ------------------------------------------------------------------------


async def test_filters_and_paging(api: Api) -> None:
    ann, bob, cid = await contacts(api, "Ann", "Bob", "Cid")
    s1 = await schedule(api, "One", tiers=2)
    s2 = await schedule(api, "Two")
    t11, t12 = (x["id"] for x in s1["tiers"])
    t21 = s2["tiers"][0]["id"]
    rows = {
        "a": await create(api, t11, at(3, 0), at(3, 4), [ann]),
        "b": await create(api, t11, at(3, 4), at(3, 8), [bob, ann]),
        "c": await create(api, t12, at(3, 2), at(3, 6), [cid]),
        "d": await create(api, t21, at(4, 0), at(4, 4), [ann, cid]),
        "e": await create(api, t21, at(5, 0), at(5, 4), [bob]),
    }
    other = await other_organization()
    z = (
        await api.ok(
            'mutation { createContact(input: {name: "Zed", timezone: "UTC"}) { id } }', token=other
        )
    )["createContact"]["id"]
    zs = (
        await api.ok(
            'mutation { createSchedule(input: {name: "Z", timezone: "UTC"}) { tiers { id } } }',
            token=other,
        )
    )["createSchedule"]
    await create(api, zs["tiers"][0]["id"], at(3, 0), at(3, 4), [z], token=other)
    key = {v["id"]: k for k, v in rows.items()}

    async def listed(f: dict[str, Any] | None) -> tuple[list[str], int]:
        page = (await api.ok(LIST, {"f": f}))["onDemandShifts"]
        return [key[n["id"]] for n in page["nodes"]], page["totalCount"]

    assert await listed(None) == (["a", "c", "b", "d", "e"], 5)  # by start, this org only
    assert await listed({"tierIds": [t11]}) == (["a", "b"], 2)
    assert await listed({"tierIds": [t11, t12]}) == (["a", "c", "b"], 3)
    assert await listed({"scheduleIds": [s2["id"]]}) == (["d", "e"], 2)
    assert await listed({"scheduleIds": [s1["id"], s2["id"]]}) == (["a", "c", "b", "d", "e"], 5)
    # A contact in any position; a shift naming two of the wanted contacts counts once.
    assert await listed({"contactIds": [ann]}) == (["a", "b", "d"], 3)
    assert await listed({"contactIds": [ann, bob]}) == (["a", "b", "d", "e"], 4)
    assert await listed({"contactIds": [cid]}) == (["c", "d"], 2)
    # AND across fields.
    assert await listed({"scheduleIds": [s1["id"]], "contactIds": [ann, cid]}) == (
        ["a", "c", "b"],
        3,
    )
    assert await listed({"tierIds": [t12], "contactIds": [ann]}) == ([], 0)
    # from/to select overlap with [from, to): touching is out.
    assert await listed({"from": at(3, 4), "to": at(4, 0)}) == (["c", "b"], 2)
    assert await listed({"from": at(3, 5)}) == (["c", "b", "d", "e"], 4)
    assert await listed({"to": at(3, 2)}) == (["a"], 1)
    assert await listed({"from": at(3, 3), "to": at(3, 5), "contactIds": [ann, bob]}) == (
        ["a", "b"],
        2,
    )

    # Paging keeps totalCount for the whole list, with a filter that joins contacts too.
    seen: list[str] = []
    after = None
    while True:
        page = (
            await api.ok(LIST, {"f": {"contactIds": [ann, bob, cid]}, "first": 2, "after": after})
        )["onDemandShifts"]
        assert page["totalCount"] == 5
        seen += [key[n["id"]] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["a", "c", "b", "d", "e"]

    # Tier.onDemandShifts pages the tier's own.
    page = (await api.ok(TIER_LIST, {"t": t11, "first": 1}))["tier"]["onDemandShifts"]
    assert page["totalCount"] == 2 and [key[n["id"]] for n in page["nodes"]] == ["a"]
    assert page["pageInfo"]["hasNextPage"] is True
    page = (
        await api.ok(TIER_LIST, {"t": t11, "first": 1, "after": page["pageInfo"]["endCursor"]})
    )["tier"]["onDemandShifts"]
    assert [key[n["id"]] for n in page["nodes"]] == ["b"] and page["pageInfo"][
        "hasNextPage"
    ] is False


async def test_filter_with_foreign_or_bad_ids(api: Api) -> None:
    (ann,) = await contacts(api, "Ann")
    s = await schedule(api)
    await create(api, s["tiers"][0]["id"], at(3, 0), at(3, 4), [ann])
    other = await other_organization()
    zs = (
        await api.ok(
            'mutation { createSchedule(input: {name: "Z", timezone: "UTC"}) { tiers { id } } }',
            token=other,
        )
    )["createSchedule"]
    # Another organization's tier filters to nothing (never leaks, never errors).
    page = (await api.ok(LIST, {"f": {"tierIds": [zs["tiers"][0]["id"]]}}))["onDemandShifts"]
    assert page == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "nodes": [],
    }
    error = await api.error(LIST, {"f": {"tierIds": ["not-an-id"]}})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == ["filter.tierIds.0"]


# 5. Warnings ---------------------------------------------------------------------------------


async def test_busy_time_is_a_warning_and_the_shift_stands(api: Api) -> None:
    tier, (ann, bob) = await setup(api, "Ann", "Bob")
    shift = await create(api, tier, at(3, 8), at(3, 16), [bob])
    assert shift["warnings"] == []

    await subs.create_one(
        api,
        bob,
        recurrence=subs.repeat("2026-03-03", "2026-03-03"),
        window={"start": "10:00", "end": "12:00"},
    )
    warnings = (await api.ok(GET, {"id": shift["id"]}))["onDemandShift"]["warnings"]
    assert len(warnings) == 1
    assert "Bob" in warnings[0]
    assert "2026-03-03T10:00:00+00:00" in warnings[0] and "2026-03-03T12:00:00+00:00" in warnings[0]

    # The shift is not altered by availability: Bob stays on call for all of it.
    assert await tier_shifts(api, tier, at(3, 0), at(4, 0)) == [
        (t(3, 0), t(3, 8), "LAYER", ["Ann"]),
        (t(3, 8), t(3, 16), "ON_DEMAND", ["Bob"]),
        (t(3, 16), t(4, 0), "LAYER", ["Ann"]),
    ]
    # Busy time outside the shift is no warning; Ann's busy time is not Bob's.
    other = await create(api, tier, at(4, 8), at(4, 9), [bob])
    assert other["warnings"] == []
    await subs.create_one(api, ann, recurrence=subs.repeat("2026-03-04", "2026-03-04"))
    assert (await api.ok(GET, {"id": other["id"]}))["onDemandShift"]["warnings"] == []


# 6. Permissions and tenancy ------------------------------------------------------------------


async def test_viewer_cannot_write(api: Api) -> None:
    tier, (ann,) = await setup(api, "Ann")
    shift = await create(api, tier, at(3, 8), at(3, 9), [ann])
    viewer = api.tokens["VIEWER"]
    before = await table_counts()
    item = {"tierId": tier, "start": at(4, 8), "end": at(4, 9), "contactIds": [ann]}
    for query, variables in [
        (CREATE, {"i": item}),
        (UPDATE, {"id": shift["id"], "i": {"end": at(3, 10)}}),
        (DELETE, {"id": shift["id"]}),
    ]:
        error = await api.error(query, variables, token=viewer)
        assert error["extensions"]["code"] == "FORBIDDEN"
    assert await table_counts() == before
    # ... but can read.
    assert (await api.ok(GET, {"id": shift["id"]}, token=viewer))["onDemandShift"]["id"] == shift[
        "id"
    ]
    editor = api.tokens["EDITOR"]
    await create(api, tier, at(4, 8), at(4, 9), [ann], token=editor)


async def test_other_organizations_shift_is_not_found(api: Api) -> None:
    tier, (ann,) = await setup(api, "Ann")
    mine = await create(api, tier, at(3, 8), at(3, 9), [ann])
    other = await other_organization()
    for query, variables in [
        (GET, {"id": mine["id"]}),
        (UPDATE, {"id": mine["id"], "i": {"end": at(3, 10)}}),
        (DELETE, {"id": mine["id"]}),
    ]:
        error = await api.error(query, variables, token=other)
        assert error["extensions"]["code"] == "NOT_FOUND", error
    # Their view of node(id) is empty too, and my tier is not theirs to write on.
    node = await api.post(
        "query($id: ID!) { node(id: $id) { id } }", {"id": mine["id"]}, token=other
    )
    assert (node.get("data") or {}).get("node") is None
    zed = (
        await api.ok(
            'mutation { createContact(input: {name: "Zed", timezone: "UTC"}) { id } }', token=other
        )
    )["createContact"]["id"]
    error = await api.error(
        CREATE,
        {"i": {"tierId": tier, "start": at(4, 8), "end": at(4, 9), "contactIds": [zed]}},
        token=other,
    )
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert span((await api.ok(GET, {"id": mine["id"]}))["onDemandShift"]) == (t(3, 8), t(3, 9))
