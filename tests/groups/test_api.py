"""Groups through the whole app: ordered members, validation, delete rules, tenancy, roles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.api.relay import encode_id
from app.auth import service as auth_service
from app.auth.roles import Role
from app.contacts import service as contact_service
from app.groups import models
from app.layers import service as layer_service
from app.schedules import service as schedule_service
from app.tiers import models as tier_models
from tests.support import Api, table_counts

FIELDS = "id name members { id name }"
CREATE = f"mutation($input: CreateGroupInput!) {{ createGroup(input: $input) {{ {FIELDS} }} }}"
UPDATE = (
    "mutation($id: ID!, $input: UpdateGroupInput!) "
    f"{{ updateGroup(id: $id, input: $input) {{ {FIELDS} }} }}"
)
DELETE = "mutation($id: ID!) { deleteGroup(id: $id) { deletedId } }"
GET = f"query($id: ID!) {{ group(id: $id) {{ {FIELDS} }} }}"


async def contacts(api: Api, *names: str, org_id: int | None = None) -> list[str]:
    """Global ids of new contacts, in the order named."""
    out = []
    for name in names:
        row = await contact_service.create_contact(
            org_id=org_id or api.org_id, fields=contact_service.ContactFields(name=name)
        )
        out.append(encode_id("Contact", row.id))
    return out


def names(group: dict[str, Any]) -> list[str]:
    return [m["name"] for m in group["members"]]


async def expect_bad_input(
    api: Api,
    query: str,
    variables: dict[str, Any],
    fields: list[str],
    *,
    code: str = "BAD_USER_INPUT",
) -> None:
    before = await table_counts()
    error = await api.error(query, variables)
    assert error["extensions"]["code"] == code, error
    assert error["extensions"]["fields"] == fields, error
    assert await table_counts() == before


async def test_members_keep_the_order_given(api: Api) -> None:
    ada, bob, cy = await contacts(api, "Ada", "Bob", "Cy")
    created = (await api.ok(CREATE, {"input": {"name": "Ops", "memberIds": [cy, ada, bob]}}))[
        "createGroup"
    ]
    assert created["name"] == "Ops"
    assert [m["id"] for m in created["members"]] == [cy, ada, bob]

    read = (await api.ok(GET, {"id": created["id"]}))["group"]
    assert names(read) == ["Cy", "Ada", "Bob"]
    listed = await api.ok("{ groups { totalCount edges { node { name members { name } } } } }")
    assert listed["groups"]["totalCount"] == 1
    assert names(listed["groups"]["edges"][0]["node"]) == ["Cy", "Ada", "Bob"]


async def test_a_group_may_start_empty(api: Api) -> None:
    created = (await api.ok(CREATE, {"input": {"name": "Later"}}))["createGroup"]
    assert created["members"] == []


async def test_update_replaces_members_in_order_and_omitted_fields_stay(api: Api) -> None:
    ada, bob, cy = await contacts(api, "Ada", "Bob", "Cy")
    group = (await api.ok(CREATE, {"input": {"name": "Ops", "memberIds": [ada, bob]}}))[
        "createGroup"
    ]

    replaced = (await api.ok(UPDATE, {"id": group["id"], "input": {"memberIds": [bob, cy, ada]}}))[
        "updateGroup"
    ]
    assert replaced["name"] == "Ops"
    assert names(replaced) == ["Bob", "Cy", "Ada"]
    positions = (
        await models.GroupMember.all().order_by("position").values_list("position", flat=True)
    )
    assert positions == [0, 1, 2]

    renamed = (await api.ok(UPDATE, {"id": group["id"], "input": {"name": "Night"}}))["updateGroup"]
    assert renamed["name"] == "Night"
    assert names(renamed) == ["Bob", "Cy", "Ada"]

    emptied = (await api.ok(UPDATE, {"id": group["id"], "input": {"memberIds": []}}))["updateGroup"]
    assert emptied["members"] == []
    assert await models.GroupMember.all().count() == 0

    await api.ok(UPDATE, {"id": group["id"], "input": {"memberIds": [cy]}})
    nulled = (await api.ok(UPDATE, {"id": group["id"], "input": {"memberIds": None}}))[
        "updateGroup"
    ]
    assert (nulled["name"], nulled["members"]) == ("Night", [])


async def test_duplicate_member_names_its_index_and_writes_nothing(api: Api) -> None:
    ada, bob = await contacts(api, "Ada", "Bob")
    await expect_bad_input(
        api, CREATE, {"input": {"name": "Ops", "memberIds": [ada, ada]}}, ["input.memberIds.1"]
    )
    await expect_bad_input(
        api,
        CREATE,
        {"input": {"name": "Ops", "memberIds": [ada, bob, ada, bob]}},
        ["input.memberIds.2", "input.memberIds.3"],
    )
    group = (await api.ok(CREATE, {"input": {"name": "Ops", "memberIds": [bob, ada]}}))[
        "createGroup"
    ]
    await expect_bad_input(
        api, UPDATE, {"id": group["id"], "input": {"memberIds": [ada, ada]}}, ["input.memberIds.1"]
    )
    assert names((await api.ok(GET, {"id": group["id"]}))["group"]) == ["Bob", "Ada"]


async def test_foreign_or_unknown_member_names_its_index(api: Api) -> None:
    """An id of nothing in the caller's organization is NOT_FOUND (SPEC §7), field named."""
    other = await auth_service.create_organization(name="Globex")
    (theirs,) = await contacts(api, "Zed", org_id=other.id)
    ada, bob = await contacts(api, "Ada", "Bob")
    missing = encode_id("Contact", 99_999)
    await expect_bad_input(
        api,
        CREATE,
        {"input": {"name": "Ops", "memberIds": [ada, bob, theirs]}},
        ["input.memberIds.2"],
        code="NOT_FOUND",
    )
    await expect_bad_input(
        api,
        CREATE,
        {"input": {"name": "Ops", "memberIds": [missing, ada]}},
        ["input.memberIds.0"],
        code="NOT_FOUND",
    )
    await expect_bad_input(
        api,
        CREATE,
        {"input": {"name": "Ops", "memberIds": [ada, "@@not-an-id"]}},
        ["input.memberIds.1"],
    )
    await expect_bad_input(
        api,
        CREATE,
        {"input": {"name": "Ops", "memberIds": [ada, encode_id("Group", 1)]}},
        ["input.memberIds.1"],
        code="NOT_FOUND",
    )
    group = (await api.ok(CREATE, {"input": {"name": "Ops", "memberIds": [ada]}}))["createGroup"]
    await expect_bad_input(
        api,
        UPDATE,
        {"id": group["id"], "input": {"memberIds": [bob, theirs]}},
        ["input.memberIds.1"],
        code="NOT_FOUND",
    )
    assert names((await api.ok(GET, {"id": group["id"]}))["group"]) == ["Ada"]


async def test_name_must_not_be_empty(api: Api) -> None:
    (ada,) = await contacts(api, "Ada")
    await expect_bad_input(
        api, CREATE, {"input": {"name": "  ", "memberIds": [ada]}}, ["input.name"]
    )
    group = (await api.ok(CREATE, {"input": {"name": "Ops"}}))["createGroup"]
    await expect_bad_input(api, UPDATE, {"id": group["id"], "input": {"name": ""}}, ["input.name"])
    await expect_bad_input(
        api, UPDATE, {"id": group["id"], "input": {"name": None}}, ["input.name"]
    )
    assert (await api.ok(GET, {"id": group["id"]}))["group"]["name"] == "Ops"


async def test_delete_group_named_by_a_layer_is_a_conflict(api: Api) -> None:
    ada, bob = await contacts(api, "Ada", "Bob")
    group = (await api.ok(CREATE, {"input": {"name": "Ops", "memberIds": [ada, bob]}}))[
        "createGroup"
    ]
    schedule = await schedule_service.create_schedule(
        org_id=api.org_id, fields=schedule_service.ScheduleFields(name="Primary")
    )
    tier = await tier_models.Tier.get(schedule_id=schedule.id)
    group_pk = (await models.Group.get()).id
    await layer_service.create_layer(
        org_id=api.org_id,
        tier_id=tier.id,
        spec=layer_service.LayerSpec(
            name="Weekly",
            start=datetime(2026, 1, 5, 9, 0),
            timezone="UTC",
            participants=(layer_service.ParticipantSpec(group_id=group_pk),),
        ),
    )
    before = await table_counts()
    error = await api.error(DELETE, {"id": group["id"]})
    assert error["extensions"]["code"] == "CONFLICT"
    assert error["extensions"]["layers"] == ["Weekly"]
    assert await table_counts() == before
    assert names((await api.ok(GET, {"id": group["id"]}))["group"]) == ["Ada", "Bob"]


async def test_delete_removes_the_group_and_its_memberships_not_the_contacts(api: Api) -> None:
    ada, bob = await contacts(api, "Ada", "Bob")
    group = (await api.ok(CREATE, {"input": {"name": "Ops", "memberIds": [ada, bob]}}))[
        "createGroup"
    ]
    before = await table_counts()
    deleted = await api.ok(DELETE, {"id": group["id"]})
    assert deleted["deleteGroup"] == {"deletedId": group["id"]}
    after = await table_counts()
    assert after["contact_group"] == before["contact_group"] - 1
    assert after["group_member"] == before["group_member"] - 2
    assert after["contact"] == before["contact"]
    error = await api.error(GET, {"id": group["id"]})
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_another_organizations_group_is_not_found(api: Api) -> None:
    other = await auth_service.create_organization(name="Globex")
    _, other_token = await auth_service.create_token(org_id=other.id, name="a", role=Role.ADMIN)
    (zed,) = await contacts(api, "Zed", org_id=other.id)
    theirs = (
        await api.ok(CREATE, {"input": {"name": "Theirs", "memberIds": [zed]}}, token=other_token)
    )["createGroup"]
    before = await table_counts()
    for query, variables in (
        (GET, {"id": theirs["id"]}),
        (UPDATE, {"id": theirs["id"], "input": {"name": "Mine"}}),
        (DELETE, {"id": theirs["id"]}),
    ):
        error = await api.error(query, variables)
        assert error["extensions"]["code"] == "NOT_FOUND"
    assert await table_counts() == before
    assert (await api.ok("{ groups { totalCount } }"))["groups"]["totalCount"] == 0


async def test_viewer_cannot_write_groups_and_editor_can(api: Api) -> None:
    (ada,) = await contacts(api, "Ada")
    group = (await api.ok(CREATE, {"input": {"name": "Ops", "memberIds": [ada]}}))["createGroup"]
    viewer = api.tokens["VIEWER"]
    before = await table_counts()
    for query, variables in (
        (CREATE, {"input": {"name": "More"}}),
        (UPDATE, {"id": group["id"], "input": {"memberIds": []}}),
        (DELETE, {"id": group["id"]}),
    ):
        error = await api.error(query, variables, token=viewer)
        assert error["extensions"]["code"] == "FORBIDDEN"
    assert await table_counts() == before

    editor = api.tokens["EDITOR"]
    await api.ok(UPDATE, {"id": group["id"], "input": {"name": "Night"}}, token=editor)
    await api.ok(CREATE, {"input": {"name": "Day", "memberIds": [ada]}}, token=editor)
    assert sorted(g.name for g in await models.Group.all()) == ["Day", "Night"]
