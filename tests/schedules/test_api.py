"""Schedules through the whole app: fields, tiers made with them, validation, cascade, roles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.api.relay import encode_id
from app.auth import service as auth_service
from app.auth.roles import Role
from app.contacts import service as contact_service
from app.layers import models as layer_models
from app.layers import service as layer_service
from app.schedules import models
from app.schedules import service as schedule_service
from app.tiers import models as tier_models
from tests.support import Api, table_counts

FIELDS = """
id customer name defaultEmail defaultPhone timezone assignmentHorizonDays
tiers { id number name }
"""
CREATE = (
    f"mutation($input: CreateScheduleInput!) {{ createSchedule(input: $input) {{ {FIELDS} }} }}"
)
UPDATE = (
    "mutation($id: ID!, $input: UpdateScheduleInput!) "
    f"{{ updateSchedule(id: $id, input: $input) {{ {FIELDS} }} }}"
)
DELETE = "mutation($id: ID!) { deleteSchedule(id: $id) { deletedId } }"
GET = f"query($id: ID!) {{ schedule(id: $id) {{ {FIELDS} }} }}"


async def create(api: Api, **fields: Any) -> dict[str, Any]:
    data = await api.ok(CREATE, {"input": {"name": "Primary", **fields}})
    schedule: dict[str, Any] = data["createSchedule"]
    return schedule


async def expect_bad_input(
    api: Api, query: str, variables: dict[str, Any], fields: list[str]
) -> None:
    before = await table_counts()
    error = await api.error(query, variables)
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"]["fields"] == fields, error
    assert await table_counts() == before


async def test_create_with_every_field_and_tiers_numbered_from_one(api: Api) -> None:
    created = await create(
        api,
        customer="Acme Retail",
        name="Store support",
        defaultEmail="oncall@example.com",
        defaultPhone="+1 555 0100",
        timezone="America/Chicago",
        assignmentHorizonDays=14,
        tierCount=3,
    )
    assert {k: v for k, v in created.items() if k not in ("id", "tiers")} == {
        "customer": "Acme Retail",
        "name": "Store support",
        "defaultEmail": "oncall@example.com",
        "defaultPhone": "+1 555 0100",
        "timezone": "America/Chicago",
        "assignmentHorizonDays": 14,
    }
    assert [t["number"] for t in created["tiers"]] == [1, 2, 3]
    assert (await api.ok(GET, {"id": created["id"]}))["schedule"] == created
    tier = await api.ok(
        "query($id: ID!) { tier(id: $id) { schedule { id } } }", {"id": created["tiers"][1]["id"]}
    )
    assert tier["tier"]["schedule"]["id"] == created["id"]


async def test_defaults(api: Api) -> None:
    created = await create(api)
    assert created["customer"] == ""
    assert created["defaultEmail"] is None
    assert created["defaultPhone"] is None
    assert created["timezone"] == "UTC"
    assert created["assignmentHorizonDays"] == 28
    assert [t["number"] for t in created["tiers"]] == [1]
    without_tiers = await create(api, name="Empty", tierCount=0)
    assert without_tiers["tiers"] == []


async def test_create_bad_input_names_the_field_and_writes_nothing(api: Api) -> None:
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"assignmentHorizonDays": 0}, ["input.assignmentHorizonDays"]),
        ({"assignmentHorizonDays": 367}, ["input.assignmentHorizonDays"]),
        ({"timezone": "Mars/Olympus"}, ["input.timezone"]),
        ({"timezone": "PST"}, ["input.timezone"]),
        ({"name": " "}, ["input.name"]),
        ({"defaultEmail": "oncall"}, ["input.defaultEmail"]),
        ({"defaultPhone": "ring ring"}, ["input.defaultPhone"]),
        ({"customer": "c" * 201}, ["input.customer"]),
        ({"tierCount": -1}, ["input.tierCount"]),
        ({"tierCount": 21}, ["input.tierCount"]),
    ]
    for fields, named in cases:
        await expect_bad_input(api, CREATE, {"input": {"name": "Primary", **fields}}, named)
    assert await models.Schedule.all().count() == 0


async def test_horizon_bounds_are_inclusive(api: Api) -> None:
    assert (await create(api, assignmentHorizonDays=1))["assignmentHorizonDays"] == 1
    assert (await create(api, assignmentHorizonDays=366))["assignmentHorizonDays"] == 366


async def test_update_leaves_omitted_fields_and_null_clears_optional_ones(api: Api) -> None:
    created = await create(
        api,
        customer="Acme",
        defaultEmail="a@example.com",
        defaultPhone="+1 555 0100",
        timezone="Europe/Berlin",
        tierCount=2,
    )
    horizon = (await api.ok(UPDATE, {"id": created["id"], "input": {"assignmentHorizonDays": 60}}))[
        "updateSchedule"
    ]
    assert horizon == {**created, "assignmentHorizonDays": 60}

    cleared = (
        await api.ok(
            UPDATE, {"id": created["id"], "input": {"defaultEmail": None, "defaultPhone": None}}
        )
    )["updateSchedule"]
    assert cleared == {
        **created,
        "assignmentHorizonDays": 60,
        "defaultEmail": None,
        "defaultPhone": None,
    }
    row = await models.Schedule.get()
    assert (row.default_email, row.default_phone, row.timezone) == (None, None, "Europe/Berlin")


async def test_update_bad_input_names_the_field_and_changes_nothing(api: Api) -> None:
    created = await create(api, timezone="Europe/Berlin")
    for patch, fields in (
        ({"name": None}, ["input.name"]),
        ({"name": ""}, ["input.name"]),
        ({"timezone": None}, ["input.timezone"]),
        ({"timezone": "CEST"}, ["input.timezone"]),
        ({"assignmentHorizonDays": None}, ["input.assignmentHorizonDays"]),
        ({"assignmentHorizonDays": 0}, ["input.assignmentHorizonDays"]),
        ({"customer": None}, ["input.customer"]),
        ({"defaultEmail": "@"}, ["input.defaultEmail"]),
    ):
        await expect_bad_input(api, UPDATE, {"id": created["id"], "input": patch}, fields)
    assert (await api.ok(GET, {"id": created["id"]}))["schedule"] == created


async def test_delete_takes_its_tiers_and_layers_along(api: Api) -> None:
    contact = await contact_service.create_contact(
        org_id=api.org_id, fields=contact_service.ContactFields(name="Ada")
    )
    kept = await schedule_service.create_schedule(
        org_id=api.org_id, fields=schedule_service.ScheduleFields(name="Kept"), tier_count=1
    )
    doomed = await create(api, name="Doomed", tierCount=2)
    for schedule_pk in (kept.id, (await models.Schedule.get(name="Doomed")).id):
        for tier in await tier_models.Tier.filter(schedule_id=schedule_pk):
            await layer_service.create_layer(
                org_id=api.org_id,
                tier_id=tier.id,
                spec=layer_service.LayerSpec(
                    name=f"Layer of tier {tier.number}",
                    start=datetime(2026, 1, 5, 9, 0),
                    timezone="UTC",
                    participants=(layer_service.ParticipantSpec(contact_id=contact.id),),
                ),
            )
    before = await table_counts()
    assert (before["schedule"], before["tier"], before["layer"]) == (2, 3, 3)

    deleted = await api.ok(DELETE, {"id": doomed["id"]})
    assert deleted["deleteSchedule"] == {"deletedId": doomed["id"]}

    after = await table_counts()
    assert after == {
        **before,
        "schedule": 1,
        "tier": 1,
        "layer": 1,
        "layer_participant": 1,
        "audit_entry": before["audit_entry"] + 1,  # the deletion is recorded
    }
    assert await tier_models.Tier.filter(schedule_id=kept.id).count() == 1
    assert await layer_models.Layer.filter(tier__schedule_id=kept.id).count() == 1
    for tier in doomed["tiers"]:
        error = await api.error("query($id: ID!) { tier(id: $id) { id } }", {"id": tier["id"]})
        assert error["extensions"]["code"] == "NOT_FOUND"
    error = await api.error(GET, {"id": doomed["id"]})
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert (await api.ok(GET, {"id": encode_id("Schedule", kept.id)}))["schedule"]["name"] == "Kept"


async def test_schedules_is_a_paged_connection_by_name(api: Api) -> None:
    for name in ("Gamma", "Alpha", "Beta"):
        await create(api, name=name)
    page = await api.ok(
        "{ schedules(first: 2) { totalCount pageInfo { hasNextPage endCursor } "
        "edges { node { name tiers { number } } } } }"
    )
    assert page["schedules"]["totalCount"] == 3
    assert [e["node"]["name"] for e in page["schedules"]["edges"]] == ["Alpha", "Beta"]
    assert page["schedules"]["pageInfo"]["hasNextPage"] is True
    rest = await api.ok(
        "query($after: String) { schedules(first: 2, after: $after) { edges { node { name } } } }",
        {"after": page["schedules"]["pageInfo"]["endCursor"]},
    )
    assert [e["node"]["name"] for e in rest["schedules"]["edges"]] == ["Gamma"]
    error = await api.error("{ schedules(first: 101) { totalCount } }")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == ["first"]


async def test_another_organizations_schedule_is_not_found(api: Api) -> None:
    other = await auth_service.create_organization(name="Globex")
    _, other_token = await auth_service.create_token(org_id=other.id, name="a", role=Role.ADMIN)
    theirs = (
        await api.ok(CREATE, {"input": {"name": "Theirs", "tierCount": 2}}, token=other_token)
    )["createSchedule"]
    before = await table_counts()
    for query, variables in (
        (GET, {"id": theirs["id"]}),
        (UPDATE, {"id": theirs["id"], "input": {"name": "Mine"}}),
        (DELETE, {"id": theirs["id"]}),
    ):
        error = await api.error(query, variables)
        assert error["extensions"]["code"] == "NOT_FOUND"
    assert await table_counts() == before
    assert (await api.ok("{ schedules { totalCount } }"))["schedules"]["totalCount"] == 0


async def test_viewer_cannot_write_schedules_and_editor_can(api: Api) -> None:
    created = await create(api)
    viewer = api.tokens["VIEWER"]
    before = await table_counts()
    for query, variables in (
        (CREATE, {"input": {"name": "More"}}),
        (UPDATE, {"id": created["id"], "input": {"name": "Renamed"}}),
        (DELETE, {"id": created["id"]}),
    ):
        error = await api.error(query, variables, token=viewer)
        assert error["extensions"]["code"] == "FORBIDDEN"
    assert await table_counts() == before
    assert (await api.ok(GET, {"id": created["id"]}, token=viewer))["schedule"] == created

    editor = api.tokens["EDITOR"]
    await api.ok(UPDATE, {"id": created["id"], "input": {"name": "Renamed"}}, token=editor)
    await api.ok(DELETE, {"id": created["id"]}, token=editor)
    assert await models.Schedule.all().count() == 0
