"""Contacts through the whole app: CRUD, paging, validation, tenancy and roles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.api.relay import encode_id
from app.auth import service as auth_service
from app.auth.roles import Role
from app.contacts import models
from app.contacts import service as contact_service
from app.groups import models as group_models
from app.layers import service as layer_service
from app.schedules import service as schedule_service
from app.tiers import models as tier_models
from tests.support import Api, table_counts

FIELDS = "id name email phone timezone"
CREATE = f"mutation($input: CreateContactInput!) {{ createContact(input: $input) {{ {FIELDS} }} }}"
UPDATE = (
    "mutation($id: ID!, $input: UpdateContactInput!) "
    f"{{ updateContact(id: $id, input: $input) {{ {FIELDS} }} }}"
)
DELETE = "mutation($id: ID!) { deleteContact(id: $id) { deletedId } }"
GET = f"query($id: ID!) {{ contact(id: $id) {{ {FIELDS} }} }}"
LIST = """
query($first: Int, $after: String, $ids: [ID!]) {
  contacts(first: $first, after: $after, ids: $ids) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name } }
  }
}
"""


async def create(api: Api, **fields: Any) -> dict[str, Any]:
    data = await api.ok(CREATE, {"input": {"name": "Ada", **fields}})
    contact: dict[str, Any] = data["createContact"]
    return contact


async def other_org_admin() -> tuple[int, str]:
    org = await auth_service.create_organization(name="Globex")
    _, secret = await auth_service.create_token(org_id=org.id, name="admin", role=Role.ADMIN)
    return org.id, secret


async def expect_bad_input(
    api: Api, query: str, variables: dict[str, Any], fields: list[str]
) -> dict[str, Any]:
    """The mutation fails with BAD_USER_INPUT naming exactly `fields`, and writes nothing."""
    before = await table_counts()
    error = await api.error(query, variables)
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"]["fields"] == fields, error
    assert await table_counts() == before
    return error


async def test_create_then_read_by_id_and_node(api: Api) -> None:
    created = await create(
        api,
        name="  Ada Lovelace ",
        email="ada@example.com",
        phone="+44 20 7946 0000",
        timezone="Europe/London",
    )
    assert created["name"] == "Ada Lovelace"
    assert created["email"] == "ada@example.com"
    assert created["phone"] == "+44 20 7946 0000"
    assert created["timezone"] == "Europe/London"

    read = await api.ok(GET, {"id": created["id"]})
    assert read["contact"] == created
    node = await api.ok(
        "query($id: ID!) { node(id: $id) { id ... on Contact { name } } }", {"id": created["id"]}
    )
    assert node["node"] == {"id": created["id"], "name": "Ada Lovelace"}

    row = await models.Contact.get(organization_id=api.org_id)
    assert encode_id("Contact", row.id) == created["id"]
    assert (row.name, row.timezone) == ("Ada Lovelace", "Europe/London")


async def test_create_defaults_to_utc_and_no_email_or_phone(api: Api) -> None:
    created = await create(api, name="Bob")
    assert (created["email"], created["phone"], created["timezone"]) == (None, None, "UTC")


async def test_update_leaves_omitted_fields_and_null_clears_email_and_phone(api: Api) -> None:
    created = await create(
        api, email="ada@example.com", phone="+1 555 0100", timezone="America/New_York"
    )

    renamed = await api.ok(UPDATE, {"id": created["id"], "input": {"name": "Ada L."}})
    assert renamed["updateContact"] == {**created, "name": "Ada L."}

    cleared = await api.ok(UPDATE, {"id": created["id"], "input": {"email": None, "phone": None}})
    assert cleared["updateContact"] == {
        **created,
        "name": "Ada L.",
        "email": None,
        "phone": None,
    }
    row = await models.Contact.get(name="Ada L.")
    assert (row.email, row.phone, row.timezone) == (None, None, "America/New_York")

    moved = await api.ok(UPDATE, {"id": created["id"], "input": {"timezone": "Asia/Tokyo"}})
    assert moved["updateContact"]["timezone"] == "Asia/Tokyo"
    assert moved["updateContact"]["name"] == "Ada L."


async def test_update_refuses_null_or_empty_name_and_bad_fields_and_changes_nothing(
    api: Api,
) -> None:
    created = await create(api, email="ada@example.com", timezone="Europe/Paris")
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"name": None}, ["input.name"]),
        ({"name": "   "}, ["input.name"]),
        ({"timezone": None}, ["input.timezone"]),
        ({"timezone": ""}, ["input.timezone"]),
        ({"timezone": "PST"}, ["input.timezone"]),
        ({"email": "not-an-email"}, ["input.email"]),
        ({"phone": "call me"}, ["input.phone"]),
        ({"name": "", "email": "x@"}, ["input.name", "input.email"]),
    ]
    for patch, fields in cases:
        await expect_bad_input(api, UPDATE, {"id": created["id"], "input": patch}, fields)
    read = await api.ok(GET, {"id": created["id"]})
    assert read["contact"] == created


async def test_create_bad_input_names_the_field_and_writes_nothing(api: Api) -> None:
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"name": ""}, ["input.name"]),
        ({"name": "   "}, ["input.name"]),
        ({"name": "x" * 201}, ["input.name"]),
        ({"email": "ada"}, ["input.email"]),
        ({"email": "ada@example"}, ["input.email"]),
        ({"email": "a da@example.com"}, ["input.email"]),
        ({"phone": "phone me"}, ["input.phone"]),
        (
            {"name": "", "email": "nope", "timezone": "PST"},
            ["input.name", "input.email", "input.timezone"],
        ),
    ]
    for fields, named in cases:
        await expect_bad_input(api, CREATE, {"input": {"name": "Ada", **fields}}, named)
    assert await models.Contact.all().count() == 0


async def test_timezone_must_be_an_iana_name(api: Api) -> None:
    # Names of the tz database are accepted, including its legacy POSIX-style zones such as
    # EST5EDT; abbreviations that are not zones (PST, CEST), offsets, wrong case and invented
    # names are refused.
    for zone in ("Europe/London", "America/Argentina/Buenos_Aires", "UTC", "EST5EDT"):
        created = await create(api, name=f"In {zone}", timezone=zone)
        assert created["timezone"] == zone
    for zone in ("Mars/Olympus", "PST", "CEST", "+05:00", "UTC+2", "europe/london", ""):
        error = await expect_bad_input(
            api, CREATE, {"input": {"name": "Zed", "timezone": zone}}, ["input.timezone"]
        )
        assert "IANA" in error["extensions"]["errors"][0]["message"]


async def test_delete_removes_the_contact_and_its_group_memberships(api: Api) -> None:
    ada = await create(api, name="Ada")
    bob = await create(api, name="Bob")
    group = await api.ok(
        'mutation($m: [ID!]!) { createGroup(input: {name: "Ops", memberIds: $m}) { id } }',
        {"m": [ada["id"], bob["id"]]},
    )
    deleted = await api.ok(DELETE, {"id": ada["id"]})
    assert deleted["deleteContact"] == {"deletedId": ada["id"]}

    error = await api.error(GET, {"id": ada["id"]})
    assert error["extensions"]["code"] == "NOT_FOUND"
    members = await api.ok(
        "query($id: ID!) { group(id: $id) { members { name } } }",
        {"id": group["createGroup"]["id"]},
    )
    assert members["group"]["members"] == [{"name": "Bob"}]
    assert await group_models.GroupMember.all().count() == 1

    again = await api.error(DELETE, {"id": ada["id"]})
    assert again["extensions"]["code"] == "NOT_FOUND"


async def test_delete_contact_named_by_a_layer_is_a_conflict(api: Api) -> None:
    contact = await contact_service.create_contact(
        org_id=api.org_id, fields=contact_service.ContactFields(name="Ada")
    )
    schedule = await schedule_service.create_schedule(
        org_id=api.org_id, fields=schedule_service.ScheduleFields(name="Ops")
    )
    tier = await tier_models.Tier.get(schedule_id=schedule.id, number=1)
    await layer_service.create_layer(
        org_id=api.org_id,
        tier_id=tier.id,
        spec=layer_service.LayerSpec(
            name="Weekly",
            start=datetime(2026, 1, 5, 9, 0),
            timezone="UTC",
            participants=(layer_service.ParticipantSpec(contact_id=contact.id),),
        ),
    )
    contact_id = encode_id("Contact", contact.id)
    before = await table_counts()
    error = await api.error(DELETE, {"id": contact_id})
    assert error["extensions"]["code"] == "CONFLICT"
    assert "Weekly" in error["message"]
    assert await table_counts() == before
    read = await api.ok(GET, {"id": contact_id})
    assert read["contact"]["name"] == "Ada"


async def test_contacts_is_a_paged_connection_by_name(api: Api) -> None:
    for name in ("Eve", "Ada", "Dan", "Bob", "Cy"):
        await create(api, name=name)

    first = (await api.ok(LIST, {"first": 2}))["contacts"]
    assert first["totalCount"] == 5
    assert [e["node"]["name"] for e in first["edges"]] == ["Ada", "Bob"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]

    second = (await api.ok(LIST, {"first": 2, "after": first["pageInfo"]["endCursor"]}))["contacts"]
    assert [e["node"]["name"] for e in second["edges"]] == ["Cy", "Dan"]
    assert second["pageInfo"]["hasPreviousPage"] is True

    last = (await api.ok(LIST, {"first": 2, "after": second["pageInfo"]["endCursor"]}))["contacts"]
    assert [e["node"]["name"] for e in last["edges"]] == ["Eve"]
    assert last["pageInfo"]["hasNextPage"] is False
    assert last["totalCount"] == 5

    everyone = (await api.ok(LIST))["contacts"]
    assert len(everyone["edges"]) == 5

    at_cap = (await api.ok(LIST, {"first": 100}))["contacts"]
    assert len(at_cap["edges"]) == 5

    picked = [everyone["edges"][0]["node"]["id"], everyone["edges"][3]["node"]["id"]]
    by_ids = (await api.ok(LIST, {"ids": picked}))["contacts"]
    assert by_ids["totalCount"] == 2
    assert [e["node"]["name"] for e in by_ids["edges"]] == ["Ada", "Dan"]
    none = (await api.ok(LIST, {"ids": []}))["contacts"]
    assert none["totalCount"] == 0


async def test_page_size_above_the_cap_or_negative_names_first(api: Api) -> None:
    for first in (101, -1):
        error = await api.error(LIST, {"first": first})
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["fields"] == ["first"]
    error = await api.error(LIST, {"first": 1, "after": "not a cursor"})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == ["after"]


async def test_another_organizations_contact_is_not_found(api: Api) -> None:
    other_org, other_token = await other_org_admin()
    theirs = await contact_service.create_contact(
        org_id=other_org, fields=contact_service.ContactFields(name="Their Ada")
    )
    their_id = encode_id("Contact", theirs.id)
    before = await table_counts()
    for query, variables in (
        (GET, {"id": their_id}),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": their_id}),
        (UPDATE, {"id": their_id, "input": {"name": "Mine now"}}),
        (DELETE, {"id": their_id}),
    ):
        error = await api.error(query, variables)
        assert error["extensions"]["code"] == "NOT_FOUND", (query, error)
    assert await table_counts() == before
    assert (await models.Contact.get(id=theirs.id)).name == "Their Ada"

    listed = await api.ok(LIST)
    assert listed["contacts"]["totalCount"] == 0
    theirs_listed = await api.ok(LIST, token=other_token)
    assert theirs_listed["contacts"]["totalCount"] == 1


async def test_malformed_or_wrongly_typed_id(api: Api) -> None:
    error = await api.error(GET, {"id": "%%%"})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == ["id"]
    error = await api.error(GET, {"id": encode_id("Group", 1)})
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_viewer_cannot_write_contacts_and_editor_can(api: Api) -> None:
    created = await create(api, name="Ada")
    viewer = api.tokens["VIEWER"]
    before = await table_counts()
    for query, variables in (
        (CREATE, {"input": {"name": "Bob"}}),
        (UPDATE, {"id": created["id"], "input": {"name": "Eve"}}),
        (DELETE, {"id": created["id"]}),
    ):
        error = await api.error(query, variables, token=viewer)
        assert error["extensions"]["code"] == "FORBIDDEN"
    assert await table_counts() == before
    assert (await api.ok(GET, {"id": created["id"]}, token=viewer))["contact"] == created

    editor = api.tokens["EDITOR"]
    made = await api.ok(CREATE, {"input": {"name": "Bob"}}, token=editor)
    await api.ok(UPDATE, {"id": created["id"], "input": {"name": "Eve"}}, token=editor)
    await api.ok(DELETE, {"id": made["createContact"]["id"]}, token=editor)
    assert [c.name for c in await models.Contact.all()] == ["Eve"]
