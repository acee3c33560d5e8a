"""Layers through the whole app: every field, validation naming its field, atomic replacement."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest_asyncio

from app.api.relay import encode_id
from app.auth import service as auth_service
from app.auth.roles import Role
from app.contacts import service as contact_service
from app.groups import service as group_service
from app.layers import models
from app.schedules import service as schedule_service
from app.tiers import models as tier_models
from tests.support import Api, table_counts

LAYER_FIELDS = """
id name index start end timezone
rotation { unit length }
staffRotation { numberOfStaffOnCall numberOfStaffToRotate direction }
participants { position weekdays contact { id name } group { id name members { name } } }
restrictions { kind startWeekday startTime durationMinutes }
recurrence { type datesApplicable { from to } everyN rule }
minStaff skipUnavailable
tier { id }
"""
CREATE = (
    "mutation($tier: ID!, $input: LayerInput!) "
    f"{{ createLayer(tierId: $tier, input: $input) {{ {LAYER_FIELDS} }} }}"
)
UPDATE = (
    "mutation($id: ID!, $input: LayerInput!) "
    f"{{ updateLayer(id: $id, input: $input) {{ {LAYER_FIELDS} }} }}"
)
DELETE = "mutation($id: ID!) { deleteLayer(id: $id) { deletedId } }"
SET = (
    "mutation($tier: ID!, $layers: [LayerInput!]!) "
    "{ setTierLayers(tierId: $tier, layers: $layers) { id name index } }"
)
GET = f"query($id: ID!) {{ layer(id: $id) {{ {LAYER_FIELDS} }} }}"
TIER_LAYERS = "query($id: ID!) { tier(id: $id) { layers { id name index } } }"


@dataclass
class World:
    """Four contacts, a group of two of them, and a schedule with two tiers."""

    api: Api
    ada: str
    bob: str
    cy: str
    dan: str
    ops: str
    tier: str
    tier2: str
    foreign_contact: str = ""
    foreign_group: str = ""


@pytest_asyncio.fixture
async def world(api: Api) -> World:
    ids = {}
    for name in ("Ada", "Bob", "Cy", "Dan"):
        row = await contact_service.create_contact(
            org_id=api.org_id, fields=contact_service.ContactFields(name=name)
        )
        ids[name] = row.id
    group = await group_service.create_group(
        org_id=api.org_id, name="Ops", member_ids=[ids["Bob"], ids["Cy"]]
    )
    schedule = await schedule_service.create_schedule(
        org_id=api.org_id, fields=schedule_service.ScheduleFields(name="Primary"), tier_count=2
    )
    tiers = await tier_models.Tier.filter(schedule_id=schedule.id).order_by("number")
    return World(
        api=api,
        ada=encode_id("Contact", ids["Ada"]),
        bob=encode_id("Contact", ids["Bob"]),
        cy=encode_id("Contact", ids["Cy"]),
        dan=encode_id("Contact", ids["Dan"]),
        ops=encode_id("Group", group.id),
        tier=encode_id("Tier", tiers[0].id),
        tier2=encode_id("Tier", tiers[1].id),
    )


def simple(w: World, name: str = "Weekly", **fields: Any) -> dict[str, Any]:
    """A small valid layer input: a weekly rotation of Ada and Dan."""
    return {
        "name": name,
        "start": "2026-01-05T09:00",
        "timezone": "Europe/London",
        "rotation": {"unit": "WEEK", "length": 1},
        "participants": [{"contactId": w.ada}, {"contactId": w.dan}],
        **fields,
    }


async def create(w: World, layer: dict[str, Any], tier: str | None = None) -> dict[str, Any]:
    data = await w.api.ok(CREATE, {"tier": tier or w.tier, "input": layer})
    created: dict[str, Any] = data["createLayer"]
    return created


async def tier_layers(w: World, tier: str | None = None) -> list[tuple[str, int]]:
    data = await w.api.ok(TIER_LAYERS, {"id": tier or w.tier})
    return [(layer["name"], layer["index"]) for layer in data["tier"]["layers"]]


async def test_create_with_every_field_and_read_it_back(world: World) -> None:
    w = world
    layer = {
        "name": "Follow the sun",
        "index": 7,
        "start": "2026-01-05T09:30",
        "end": "2026-12-31T18:00",
        "timezone": "America/New_York",
        "rotation": {"unit": "DAY", "length": 2},
        "staffRotation": {
            "numberOfStaffOnCall": 2,
            "numberOfStaffToRotate": 1,
            "direction": "BACKWARD",
        },
        "participants": [
            {"contactId": w.ada, "weekdays": ["FRIDAY", "MONDAY", "TUESDAY"]},
            {"groupId": w.ops},
            {"contactId": w.dan},
        ],
        "restrictions": [
            {"kind": "DAILY", "startTime": "08:00", "durationMinutes": 600},
            {
                "kind": "WEEKLY",
                "startWeekday": "SATURDAY",
                "startTime": "22:15",
                "durationMinutes": 2880,
            },
        ],
        "recurrence": {"type": "PERIODIC", "from": "2026-01-05", "to": "2026-06-30", "everyN": 2},
        "minStaff": 1,
        "skipUnavailable": False,
    }
    created = await create(w, layer)
    expected = {
        "id": created["id"],
        "name": "Follow the sun",
        "index": 7,
        "start": "2026-01-05T09:30",
        "end": "2026-12-31T18:00",
        "timezone": "America/New_York",
        "rotation": {"unit": "DAY", "length": 2},
        "staffRotation": {
            "numberOfStaffOnCall": 2,
            "numberOfStaffToRotate": 1,
            "direction": "BACKWARD",
        },
        "participants": [
            {
                "position": 0,
                "weekdays": ["MONDAY", "TUESDAY", "FRIDAY"],
                "contact": {"id": w.ada, "name": "Ada"},
                "group": None,
            },
            {
                "position": 1,
                "weekdays": None,
                "contact": None,
                "group": {"id": w.ops, "name": "Ops", "members": [{"name": "Bob"}, {"name": "Cy"}]},
            },
            {
                "position": 2,
                "weekdays": None,
                "contact": {"id": w.dan, "name": "Dan"},
                "group": None,
            },
        ],
        "restrictions": [
            {"kind": "DAILY", "startWeekday": None, "startTime": "08:00", "durationMinutes": 600},
            {
                "kind": "WEEKLY",
                "startWeekday": "SATURDAY",
                "startTime": "22:15",
                "durationMinutes": 2880,
            },
        ],
        "recurrence": {
            "type": "PERIODIC",
            "datesApplicable": {"from": "2026-01-05", "to": "2026-06-30"},
            "everyN": 2,
            "rule": None,
        },
        "minStaff": 1,
        "skipUnavailable": False,
        "tier": {"id": w.tier},
    }
    assert created == expected
    assert (await w.api.ok(GET, {"id": created["id"]}))["layer"] == expected
    node = await w.api.ok(
        "query($id: ID!) { node(id: $id) { ... on Layer { name start } } }", {"id": created["id"]}
    )
    assert node["node"] == {"name": "Follow the sun", "start": "2026-01-05T09:30"}

    row = await models.Layer.get()
    # The handoff time travels with start, as wall-clock time in the layer's zone.
    assert (row.start_local, row.end_local, row.timezone) == (
        "2026-01-05T09:30:00",
        "2026-12-31T18:00:00",
        "America/New_York",
    )
    assert await models.LayerParticipant.filter(layer_id=row.id).count() == 3


async def test_defaults_of_an_optional_field_free_layer(world: World) -> None:
    w = world
    created = await create(w, {"name": "Bare", "start": "2026-01-05T00:00:30", "timezone": "UTC"})
    assert created["start"] == "2026-01-05T00:00:30"
    assert created["end"] is None
    assert created["index"] == 1
    assert created["rotation"] == {"unit": "WEEK", "length": 1}
    assert created["staffRotation"] == {
        "numberOfStaffOnCall": 1,
        "numberOfStaffToRotate": 1,
        "direction": "FORWARD",
    }
    assert (created["participants"], created["restrictions"]) == ([], [])
    assert created["recurrence"] is None
    assert (created["minStaff"], created["skipUnavailable"]) == (1, True)


async def test_each_rotation_unit_and_each_recurrence_type(world: World) -> None:
    w = world
    layers = [
        simple(
            w,
            "Hourly",
            rotation={"unit": "HOUR", "length": 12},
            recurrence={"type": "REPEAT", "from": "2026-01-05"},
        ),
        simple(
            w,
            "Daily",
            rotation={"unit": "DAY", "length": 1},
            recurrence={"type": "PERIODIC", "from": "2026-01-05", "everyN": 3},
        ),
        simple(
            w,
            "Weekly",
            rotation={"unit": "WEEK", "length": 2},
            recurrence={
                "type": "ICAL",
                "from": "2026-01-05",
                "to": "2026-12-31",
                "rule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            },
        ),
        simple(
            w,
            "Monthly",
            rotation={"unit": "MONTH", "length": 1},
            recurrence={"type": "OCCURRENCE", "from": "2026-12-24", "to": "2026-12-26"},
        ),
    ]
    data = await w.api.ok(SET, {"tier": w.tier, "layers": layers})
    ids = [layer["id"] for layer in data["setTierLayers"]]
    read = [(await w.api.ok(GET, {"id": i}))["layer"] for i in ids]
    assert [(r["name"], r["rotation"]) for r in read] == [
        ("Hourly", {"unit": "HOUR", "length": 12}),
        ("Daily", {"unit": "DAY", "length": 1}),
        ("Weekly", {"unit": "WEEK", "length": 2}),
        ("Monthly", {"unit": "MONTH", "length": 1}),
    ]
    assert [r["recurrence"] for r in read] == [
        {
            "type": "REPEAT",
            "datesApplicable": {"from": "2026-01-05", "to": None},
            "everyN": 1,
            "rule": None,
        },
        {
            "type": "PERIODIC",
            "datesApplicable": {"from": "2026-01-05", "to": None},
            "everyN": 3,
            "rule": None,
        },
        {
            "type": "ICAL",
            "datesApplicable": {"from": "2026-01-05", "to": "2026-12-31"},
            "everyN": 1,
            "rule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        },
        {
            "type": "OCCURRENCE",
            "datesApplicable": {"from": "2026-12-24", "to": "2026-12-26"},
            "everyN": 1,
            "rule": None,
        },
    ]


async def test_num_intervals_is_days_per_turn(world: World) -> None:
    w = world
    layer = simple(w, staffRotation={"numIntervals": 3, "numberOfStaffOnCall": 2})
    del layer["rotation"]
    created = await create(w, layer)
    assert created["rotation"] == {"unit": "DAY", "length": 3}
    assert created["staffRotation"]["numberOfStaffOnCall"] == 2
    row = await models.Layer.get()
    assert (row.rotation_unit, row.rotation_length) == ("DAY", 3)


async def test_groups_count_their_members_towards_staff_on_call(world: World) -> None:
    w = world
    # Ada + Ops (Bob, Cy) + Bob again: three distinct people.
    participants = [{"contactId": w.ada}, {"groupId": w.ops}, {"contactId": w.bob}]
    created = await create(
        w, simple(w, participants=participants, staffRotation={"numberOfStaffOnCall": 3})
    )
    assert created["staffRotation"]["numberOfStaffOnCall"] == 3
    before = await table_counts()
    error = await w.api.error(
        CREATE,
        {
            "tier": w.tier,
            "input": simple(
                w, "Too many", participants=participants, staffRotation={"numberOfStaffOnCall": 4}
            ),
        },
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == ["input.staffRotation.numberOfStaffOnCall"]
    assert "3 contacts" in error["extensions"]["errors"][0]["message"]
    assert await table_counts() == before


def _set(path: str, value: Any) -> Callable[[World, dict[str, Any]], None]:
    """A change to a layer input: set the dotted `path` (list indexes allowed) to `value`."""

    def change(w: World, layer: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = layer
        for key in parents:
            target = target[int(key)] if key.isdigit() else target.setdefault(key, {})
        resolved = value(w) if callable(value) else value
        if last.isdigit():
            target[int(last)] = resolved
        else:
            target[last] = resolved

    return change


async def _foreign_contact() -> str:
    other = await auth_service.create_organization(name="Globex")
    row = await contact_service.create_contact(
        org_id=other.id, fields=contact_service.ContactFields(name="Zed")
    )
    return encode_id("Contact", row.id)


async def _foreign_group() -> str:
    other = await auth_service.create_organization(name="Globex")
    row = await group_service.create_group(org_id=other.id, name="Theirs", member_ids=[])
    return encode_id("Group", row.id)


DAILY = {"kind": "DAILY", "startTime": "09:00", "durationMinutes": 60}
ICAL = {"type": "ICAL", "from": "2026-01-05"}
BAD_LAYERS: list[tuple[str, list[Callable[[World, dict[str, Any]], None]], list[str]]] = [
    ("unknown zone", [_set("timezone", "Mars/Olympus")], ["input.timezone"]),
    ("abbreviated zone", [_set("timezone", "PST")], ["input.timezone"]),
    ("empty name", [_set("name", " ")], ["input.name"]),
    (
        "bad rrule",
        [_set("recurrence", {**ICAL, "rule": "FREQ=FORTNIGHTLY"})],
        ["input.recurrence.rule"],
    ),
    (
        "rrule without freq",
        [_set("recurrence", {**ICAL, "rule": "BYDAY=MO"})],
        ["input.recurrence.rule"],
    ),
    (
        "rrule with byhour",
        [_set("recurrence", {**ICAL, "rule": "FREQ=DAILY;BYHOUR=9"})],
        ["input.recurrence.rule"],
    ),
    (
        "rrule hourly",
        [_set("recurrence", {**ICAL, "rule": "FREQ=HOURLY"})],
        ["input.recurrence.rule"],
    ),
    (
        "rrule with dtstart",
        [_set("recurrence", {**ICAL, "rule": "DTSTART:20260101\nRRULE:FREQ=DAILY"})],
        ["input.recurrence.rule"],
    ),
    (
        "rrule count and until",
        [_set("recurrence", {**ICAL, "rule": "FREQ=WEEKLY;COUNT=3;UNTIL=20260301"})],
        ["input.recurrence.rule"],
    ),
    ("ical without rule", [_set("recurrence", ICAL)], ["input.recurrence.rule"]),
    (
        "rule on repeat",
        [_set("recurrence", {"type": "REPEAT", "from": "2026-01-05", "rule": "FREQ=DAILY"})],
        ["input.recurrence.rule"],
    ),
    (
        "from after to",
        [_set("recurrence", {"type": "REPEAT", "from": "2026-02-01", "to": "2026-01-31"})],
        ["input.recurrence.to"],
    ),
    (
        "occurrence without to",
        [_set("recurrence", {"type": "OCCURRENCE", "from": "2026-02-01"})],
        ["input.recurrence.to"],
    ),
    (
        "recurrence without from",
        [_set("recurrence", {"type": "REPEAT"})],
        ["input.recurrence.from"],
    ),
    (
        "every 0 weeks",
        [_set("recurrence", {"type": "PERIODIC", "from": "2026-01-05", "everyN": 0})],
        ["input.recurrence.everyN"],
    ),
    (
        "hour 25",
        [_set("restrictions", [{**DAILY, "startTime": "25:00"}])],
        ["input.restrictions.0.startTime"],
    ),
    (
        "one-digit hour",
        [_set("restrictions", [DAILY, {**DAILY, "startTime": "9:00"}])],
        ["input.restrictions.1.startTime"],
    ),
    (
        "minute 60",
        [_set("restrictions", [{**DAILY, "startTime": "09:60"}])],
        ["input.restrictions.0.startTime"],
    ),
    (
        "zero duration",
        [_set("restrictions", [{**DAILY, "durationMinutes": 0}])],
        ["input.restrictions.0.durationMinutes"],
    ),
    (
        "daily window over a day",
        [_set("restrictions", [{**DAILY, "durationMinutes": 1441}])],
        ["input.restrictions.0.durationMinutes"],
    ),
    (
        "weekly without weekday",
        [_set("restrictions", [{**DAILY, "kind": "WEEKLY"}])],
        ["input.restrictions.0.startWeekday"],
    ),
    (
        "daily with weekday",
        [_set("restrictions", [{**DAILY, "startWeekday": "MONDAY"}])],
        ["input.restrictions.0.startWeekday"],
    ),
    (
        "more on call than participants",
        [_set("staffRotation", {"numberOfStaffOnCall": 3})],
        ["input.staffRotation.numberOfStaffOnCall"],
    ),
    (
        "nobody on call",
        [_set("staffRotation", {"numberOfStaffOnCall": 0})],
        ["input.staffRotation.numberOfStaffOnCall"],
    ),
    (
        "rotate zero",
        [_set("staffRotation", {"numberOfStaffToRotate": 0})],
        ["input.staffRotation.numberOfStaffToRotate"],
    ),
    ("min staff above on call", [_set("minStaff", 2)], ["input.minStaff"]),
    (
        "rotation length 0",
        [_set("rotation", {"unit": "DAY", "length": 0})],
        ["input.rotation.length"],
    ),
    (
        "num intervals 0",
        [_set("rotation", None), _set("staffRotation", {"numIntervals": 0})],
        ["input.staffRotation.numIntervals"],
    ),
    (
        "rotation and num intervals",
        [_set("staffRotation", {"numIntervals": 2})],
        ["input.staffRotation.numIntervals"],
    ),
    ("end at start", [_set("end", "2026-01-05T09:00")], ["input.end"]),
    ("end before start", [_set("end", "2025-12-31T09:00")], ["input.end"]),
    (
        "foreign contact",
        [_set("participants.1", lambda w: {"contactId": w.foreign_contact})],
        ["input.participants.1.contactId"],
    ),
    (
        "unknown contact",
        [_set("participants.0", {"contactId": encode_id("Contact", 9999)})],
        ["input.participants.0.contactId"],
    ),
    (
        "malformed contact id",
        [_set("participants.1", {"contactId": "@@@"})],
        ["input.participants.1.contactId"],
    ),
    (
        "group id as contact id",
        [_set("participants.1", lambda w: {"contactId": w.ops})],
        ["input.participants.1.contactId"],
    ),
    (
        "foreign group",
        [_set("participants.0", lambda w: {"groupId": w.foreign_group})],
        ["input.participants.0.groupId"],
    ),
    (
        "contact and group at once",
        [_set("participants.0", lambda w: {"contactId": w.ada, "groupId": w.ops})],
        ["input.participants.0.contactId"],
    ),
    (
        "neither contact nor group",
        [_set("participants.0", {"weekdays": ["MONDAY"]})],
        ["input.participants.0.contactId"],
    ),
    (
        "no weekdays",
        [_set("participants.0", lambda w: {"contactId": w.ada, "weekdays": []})],
        ["input.participants.0.weekdays"],
    ),
    ("taken index", [_set("index", 5)], ["input.index"]),
    (
        "several at once",
        [
            _set("timezone", "Nowhere"),
            _set("end", "2026-01-01T00:00"),
            _set("restrictions", [{**DAILY, "startTime": "7"}]),
        ],
        ["input.timezone", "input.end", "input.restrictions.0.startTime"],
    ),
]


MISSING_REFERENCES = {
    "foreign contact",
    "unknown contact",
    "group id as contact id",
    "foreign group",
}


async def test_each_bad_layer_names_its_field_and_writes_nothing(world: World) -> None:
    # One app for all cases keeps the suite fast; every failing case is reported at once.
    w = world
    w.foreign_contact = await _foreign_contact()
    w.foreign_group = await _foreign_group()
    await create(w, simple(w, "Existing", index=5))
    before = await table_counts()
    versions = await tier_models.Tier.all().order_by("id").values_list("data_version", flat=True)
    problems = []
    for name, changes, fields in BAD_LAYERS:
        layer = simple(w)
        for change in changes:
            change(w, layer)
        error = await w.api.error(CREATE, {"tier": w.tier, "input": layer})
        got = (error["extensions"]["code"], error["extensions"].get("fields"))
        # Ids of nothing in the caller's organization are NOT_FOUND (SPEC §7), fields named.
        code = "NOT_FOUND" if name in MISSING_REFERENCES else "BAD_USER_INPUT"
        if got != (code, fields):
            problems.append((name, got, error["message"]))
        if await table_counts() != before:
            problems.append((name, "wrote rows", await table_counts()))
            before = await table_counts()
    assert not problems
    assert (
        await tier_models.Tier.all().order_by("id").values_list("data_version", flat=True)
        == versions
    )
    assert await tier_layers(w) == [("Existing", 5)]


async def test_a_start_with_an_offset_or_garbage_is_bad_input(world: World) -> None:
    w = world
    before = await table_counts()
    for start in ("2026-01-05T09:00+01:00", "next monday"):
        error = await w.api.error(CREATE, {"tier": w.tier, "input": simple(w, start=start)})
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert await table_counts() == before


async def test_set_tier_layers_replaces_every_layer(world: World) -> None:
    w = world
    old = await create(w, simple(w, "Old A", index=1))
    await create(w, simple(w, "Old B", index=2))
    other_tier = await create(w, simple(w, "Elsewhere", index=1), tier=w.tier2)

    data = await w.api.ok(
        SET,
        {
            "tier": w.tier,
            "layers": [
                simple(w, "Top", index=5),
                simple(w, "Unnumbered"),
                simple(w, "Bottom", index=1, participants=[{"groupId": w.ops}]),
            ],
        },
    )
    assert [(x["name"], x["index"]) for x in data["setTierLayers"]] == [
        ("Bottom", 1),
        ("Unnumbered", 2),
        ("Top", 5),
    ]
    assert await tier_layers(w) == [("Bottom", 1), ("Unnumbered", 2), ("Top", 5)]
    assert old["id"] not in {x["id"] for x in data["setTierLayers"]}
    error = await w.api.error(GET, {"id": old["id"]})
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert await tier_layers(w, w.tier2) == [("Elsewhere", 1)]
    assert (await w.api.ok(GET, {"id": other_tier["id"]}))["layer"]["name"] == "Elsewhere"
    assert await models.LayerParticipant.all().count() == 2 + 2 + 2 + 1

    cleared = await w.api.ok(SET, {"tier": w.tier, "layers": []})
    assert cleared["setTierLayers"] == []
    assert await tier_layers(w) == []
    assert await models.Layer.all().count() == 1


async def test_set_tier_layers_with_a_bad_item_changes_nothing(world: World) -> None:
    w = world
    kept = await create(w, simple(w, "Kept", index=3))
    before = await table_counts()
    for bad, fields in (
        ({"timezone": "Mars/Olympus"}, ["layers.2.timezone"]),
        ({"participants": [{"contactId": "@@@"}]}, ["layers.2.participants.0.contactId"]),
        (
            {"restrictions": [{**DAILY, "durationMinutes": 0}]},
            ["layers.2.restrictions.0.durationMinutes"],
        ),
        ({"index": 1}, ["layers.2.index"]),
    ):
        error = await w.api.error(
            SET,
            {
                "tier": w.tier,
                "layers": [
                    simple(w, "A", index=1),
                    simple(w, "B", index=2),
                    simple(w, "C", **bad),
                ],
            },
        )
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert error["extensions"]["fields"] == fields, error
        assert await table_counts() == before
    assert await tier_layers(w) == [("Kept", 3)]
    assert (await w.api.ok(GET, {"id": kept["id"]}))["layer"]["name"] == "Kept"


async def test_set_tier_layers_names_the_item_even_alone_and_a_foreign_contact(
    world: World,
) -> None:
    w = world
    foreign = await _foreign_contact()
    before = await table_counts()
    error = await w.api.error(SET, {"tier": w.tier, "layers": [simple(w, timezone="Nowhere")]})
    assert error["extensions"]["fields"] == ["layers.0.timezone"]
    error = await w.api.error(
        SET,
        {
            "tier": w.tier,
            "layers": [
                simple(w, "A"),
                simple(w, "B"),
                simple(w, "C", participants=[{"contactId": w.ada}, {"contactId": foreign}]),
            ],
        },
    )
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["extensions"]["fields"] == ["layers.2.participants.1.contactId"]
    assert await table_counts() == before


async def test_update_keeps_the_id_and_replaces_the_definition(world: World) -> None:
    w = world
    created = await create(w, simple(w, "Weekly", index=4))
    changed = simple(
        w,
        "Daily",
        rotation={"unit": "DAY", "length": 1},
        participants=[{"groupId": w.ops}, {"contactId": w.ada, "weekdays": ["SUNDAY"]}],
        recurrence={"type": "REPEAT", "from": "2026-02-01"},
    )
    updated = (await w.api.ok(UPDATE, {"id": created["id"], "input": changed}))["updateLayer"]
    assert updated["id"] == created["id"]
    assert updated["index"] == 4  # no index given: it stays
    assert updated["name"] == "Daily"
    assert updated["rotation"] == {"unit": "DAY", "length": 1}
    assert [(p["group"] or p["contact"])["name"] for p in updated["participants"]] == ["Ops", "Ada"]
    assert updated["participants"][1]["weekdays"] == ["SUNDAY"]
    assert updated["recurrence"]["type"] == "REPEAT"
    assert (await w.api.ok(GET, {"id": created["id"]}))["layer"] == updated
    assert await models.Layer.all().count() == 1
    assert await models.LayerParticipant.all().count() == 2

    moved = (await w.api.ok(UPDATE, {"id": created["id"], "input": {**changed, "index": 9}}))[
        "updateLayer"
    ]
    assert (moved["id"], moved["index"]) == (created["id"], 9)


async def test_update_with_bad_input_changes_nothing(world: World) -> None:
    w = world
    await create(w, simple(w, "Other", index=1))
    created = await create(w, simple(w, "Mine", index=2))
    before = await table_counts()
    for layer, fields in (
        (simple(w, "Mine", index=1), ["input.index"]),
        (simple(w, "Mine", timezone="PST"), ["input.timezone"]),
        (
            simple(w, "Mine", participants=[{"contactId": w.ada, "weekdays": []}]),
            ["input.participants.0.weekdays"],
        ),
    ):
        error = await w.api.error(UPDATE, {"id": created["id"], "input": layer})
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["fields"] == fields
    assert await table_counts() == before
    assert (await w.api.ok(GET, {"id": created["id"]}))["layer"] == created


async def test_delete_layer_frees_its_contacts(world: World) -> None:
    w = world
    created = await create(w, simple(w))
    deleted = await w.api.ok(DELETE, {"id": created["id"]})
    assert deleted["deleteLayer"] == {"deletedId": created["id"]}
    assert await models.Layer.all().count() == 0
    assert await models.LayerParticipant.all().count() == 0
    error = await w.api.error(DELETE, {"id": created["id"]})
    assert error["extensions"]["code"] == "NOT_FOUND"
    # No layer names Ada any more, so she can go.
    await w.api.ok("mutation($id: ID!) { deleteContact(id: $id) { deletedId } }", {"id": w.ada})


async def test_a_tiers_layers_come_by_index(world: World) -> None:
    w = world
    for name, index in (("Middle", 20), ("Top", 30), ("Bottom", 10)):
        await create(w, simple(w, name, index=index))
    on_top = await create(w, simple(w, "Unnumbered"))
    assert on_top["index"] == 31
    assert await tier_layers(w) == [("Bottom", 10), ("Middle", 20), ("Top", 30), ("Unnumbered", 31)]
    listed = await w.api.ok("{ layers(first: 2) { totalCount edges { node { name } } } }")
    assert listed["layers"]["totalCount"] == 4
    assert [e["node"]["name"] for e in listed["layers"]["edges"]] == ["Bottom", "Middle"]
    # The same index may be used again in another tier.
    assert (await create(w, simple(w, "Other tier", index=10), tier=w.tier2))["index"] == 10


async def test_writing_a_layer_bumps_its_tiers_data_version(world: World) -> None:
    w = world

    async def version() -> int:
        return (await tier_models.Tier.get(number=1)).data_version

    start = await version()
    created = await create(w, simple(w))
    assert await version() == start + 1
    await w.api.ok(UPDATE, {"id": created["id"], "input": simple(w, "Renamed")})
    assert await version() == start + 2
    await w.api.ok(SET, {"tier": w.tier, "layers": [simple(w)]})
    assert await version() == start + 3
    await w.api.ok(DELETE, {"id": encode_id("Layer", (await models.Layer.get()).id)})
    assert await version() == start + 4
    assert (await tier_models.Tier.get(number=2)).data_version == 1


async def test_another_organizations_tier_and_layer_are_not_found(world: World) -> None:
    w = world
    other = await auth_service.create_organization(name="Globex")
    _, token = await auth_service.create_token(org_id=other.id, name="a", role=Role.ADMIN)
    mine = await create(w, simple(w))
    before = await table_counts()
    for query, variables in (
        (GET, {"id": mine["id"]}),
        (
            UPDATE,
            {
                "id": mine["id"],
                "input": {"name": "x", "start": "2026-01-05T09:00", "timezone": "UTC"},
            },
        ),
        (DELETE, {"id": mine["id"]}),
        (
            CREATE,
            {
                "tier": w.tier,
                "input": {"name": "x", "start": "2026-01-05T09:00", "timezone": "UTC"},
            },
        ),
        (SET, {"tier": w.tier, "layers": []}),
    ):
        error = await w.api.error(query, variables, token=token)
        assert error["extensions"]["code"] == "NOT_FOUND", (query, error)
    assert await table_counts() == before
    theirs = await w.api.ok("{ layers { totalCount } }", token=token)
    assert theirs["layers"]["totalCount"] == 0


async def test_viewer_cannot_write_layers_and_editor_can(world: World) -> None:
    w = world
    created = await create(w, simple(w))
    viewer = w.api.tokens["VIEWER"]
    before = await table_counts()
    for query, variables in (
        (CREATE, {"tier": w.tier, "input": simple(w, "More")}),
        (UPDATE, {"id": created["id"], "input": simple(w, "Renamed")}),
        (DELETE, {"id": created["id"]}),
        (SET, {"tier": w.tier, "layers": []}),
    ):
        error = await w.api.error(query, variables, token=viewer)
        assert error["extensions"]["code"] == "FORBIDDEN"
    assert await table_counts() == before
    assert (await w.api.ok(GET, {"id": created["id"]}, token=viewer))["layer"] == created

    editor = w.api.tokens["EDITOR"]
    await w.api.ok(UPDATE, {"id": created["id"], "input": simple(w, "Renamed")}, token=editor)
    await w.api.ok(SET, {"tier": w.tier, "layers": [simple(w, "A"), simple(w, "B")]}, token=editor)
    assert await tier_layers(w) == [("A", 1), ("B", 2)]
