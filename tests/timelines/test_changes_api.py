"""Changes elsewhere that alter a tier's inputs: groups, contact deletion, substitutions."""

from __future__ import annotations

from tests.support import Api, table_counts
from tests.timelines.factories import contacts, schedule, set_layers, weekly

SHIFTS = """query($t: ID!) { tier(id: $t) { shifts(from: "2026-03-02T09:00:00Z", to: "2026-03-05T09:00:00Z") {
  start end origin assignees { name } } } }"""


async def names(api: Api, tier: str) -> list[str]:
    data = await api.ok(SHIFTS, {"t": tier})
    return [", ".join(a["name"] for a in s["assignees"]) for s in data["tier"]["shifts"]]


async def group_layer(api: Api, members: list[str], k: int = 1) -> tuple[str, str]:
    group = await api.ok(
        'mutation($m: [ID!]!) { createGroup(input: {name: "G", memberIds: $m}) { id } }',
        {"m": members},
    )
    gid = group["createGroup"]["id"]
    s = await schedule(api)
    tier = s["tiers"][0]["id"]
    layer = weekly("Daily", "2026-03-02T09:00", [], unit="DAY")
    layer["participants"] = [{"groupId": gid}]
    layer["staffRotation"] = {"numberOfStaffOnCall": k}
    await set_layers(api, tier, [layer])
    return gid, tier


async def test_changing_a_groups_members_changes_the_rotation(api: Api) -> None:
    a, b, c = await contacts(api, "Ann", "Bob", "Cid")
    gid, tier = await group_layer(api, [a, b])
    assert await names(api, tier) == ["Ann", "Bob", "Ann"]
    await api.ok(
        "mutation($g: ID!, $m: [ID!]!) { updateGroup(id: $g, input: {memberIds: $m}) { id } }",
        {"g": gid, "m": [c, a]},
    )
    # A roster change (SPEC §9): Ann keeps today's turn; from the next handoff the rotation
    # goes on with whoever was next (Bob left, so Ann), then Cid.
    assert await names(api, tier) == ["Ann", "Cid"]
    await api.ok(
        "mutation($g: ID!, $m: [ID!]!) { updateGroup(id: $g, input: {memberIds: $m}, "
        "effective: {mode: IMMEDIATELY}) { id } }",
        {"g": gid, "m": [c, b]},
    )
    # IMMEDIATELY at 12:00 splits Ann's turn: Ann left, and Bob (her successor) takes over.
    assert await names(api, tier) == ["Ann", "Bob", "Cid", "Bob"]


async def test_a_group_cannot_shrink_below_the_staff_on_call(api: Api) -> None:
    a, b = await contacts(api, "Ann", "Bob")
    gid, _ = await group_layer(api, [a, b], k=2)
    before = await table_counts()
    error = await api.error(
        "mutation($g: ID!, $m: [ID!]!) { updateGroup(id: $g, input: {memberIds: $m}) { id } }",
        {"g": gid, "m": [a]},
    )
    assert error["extensions"]["code"] == "CONFLICT" and error["extensions"]["layers"] == ["Daily"]
    error = await api.error("mutation($c: ID!) { deleteContact(id: $c) { deletedId } }", {"c": b})
    assert error["extensions"]["code"] == "CONFLICT"
    assert await table_counts() == before


async def test_deleting_a_group_member_changes_the_rotation(api: Api) -> None:
    a, b, c = await contacts(api, "Ann", "Bob", "Cid")
    _, tier = await group_layer(api, [a, b, c])
    assert await names(api, tier) == ["Ann", "Bob", "Cid"]
    await api.ok("mutation($c: ID!) { deleteContact(id: $c) { deletedId } }", {"c": b})
    assert await names(api, tier) == ["Ann", "Cid", "Ann"]


async def test_a_contact_on_an_on_demand_shift_or_substitution_is_not_deleted(api: Api) -> None:
    a, b = await contacts(api, "Ann", "Bob")
    s = await schedule(api)
    tier = s["tiers"][0]["id"]
    await api.ok(
        'mutation($t: ID!, $c: [ID!]!) { createOnDemandShift(input: {tierId: $t, start: "2026-03-03T00:00:00Z", end: "2026-03-03T06:00:00Z", contactIds: $c}) { id } }',
        {"t": tier, "c": [a]},
    )
    await api.ok(
        "mutation($i: [CreateSubstitutionInput!]!) { createSubstitutions(inputs: $i) { id } }",
        {
            "i": [
                {
                    "contactId": b,
                    "scheduleId": s["id"],
                    "recurrence": {"type": "OCCURRENCE", "from": "2026-03-03", "to": "2026-03-03"},
                }
            ]
        },
    )
    before = await table_counts()
    for contact in (a, b):
        error = await api.error(
            "mutation($c: ID!) { deleteContact(id: $c) { deletedId } }", {"c": contact}
        )
        assert error["extensions"]["code"] == "CONFLICT", error
    assert await table_counts() == before
