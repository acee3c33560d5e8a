"""Tiers through the whole app: both lookups, numbering 1..n without holes, roles, tenancy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.api.relay import encode_id
from app.auth import service as auth_service
from app.auth.roles import Role
from app.layers import models as layer_models
from app.layers import service as layer_service
from app.schedules import service as schedule_service
from app.tiers import models
from tests.support import Api, table_counts

TIER_FIELDS = "id number name schedule { id }"
BY_ID = f"query($id: ID) {{ tier(id: $id) {{ {TIER_FIELDS} }} }}"
BY_NUMBER = f"query($s: ID, $n: Int) {{ tier(scheduleId: $s, number: $n) {{ {TIER_FIELDS} }} }}"
CREATE = (
    'mutation($s: ID!, $n: Int, $name: String! = "") '
    f"{{ createTier(scheduleId: $s, number: $n, name: $name) {{ {TIER_FIELDS} }} }}"
)
UPDATE = (
    f"mutation($id: ID!, $name: String!) {{ updateTier(id: $id, name: $name) {{ {TIER_FIELDS} }} }}"
)
DELETE = "mutation($id: ID!) { deleteTier(id: $id) { deletedId } }"
TIERS = "query($id: ID!) { schedule(id: $id) { tiers { id number name } } }"


async def schedule(api: Api, tiers: int, org_id: int | None = None) -> str:
    row = await schedule_service.create_schedule(
        org_id=org_id or api.org_id,
        fields=schedule_service.ScheduleFields(name="Primary"),
        tier_count=tiers,
    )
    return encode_id("Schedule", row.id)


async def tiers_of(api: Api, schedule_id: str) -> list[tuple[int, str]]:
    data = await api.ok(TIERS, {"id": schedule_id})
    return [(t["number"], t["name"]) for t in data["schedule"]["tiers"]]


async def name_tiers(api: Api, schedule_id: str) -> list[str]:
    """Names each tier after its number (T1, T2, …) and returns their ids in number order."""
    data = await api.ok(TIERS, {"id": schedule_id})
    ids = []
    for t in data["schedule"]["tiers"]:
        await api.ok(UPDATE, {"id": t["id"], "name": f"T{t['number']}"})
        ids.append(t["id"])
    return ids


async def expect_error(
    api: Api, query: str, variables: dict[str, Any], code: str, fields: list[str] | None = None
) -> None:
    before = await table_counts()
    error = await api.error(query, variables)
    assert error["extensions"]["code"] == code, error
    if fields is not None:
        assert error["extensions"]["fields"] == fields, error
    assert await table_counts() == before


async def test_a_tier_by_id_and_by_schedule_and_number(api: Api) -> None:
    schedule_id = await schedule(api, 3)
    ids = await name_tiers(api, schedule_id)

    by_id = (await api.ok(BY_ID, {"id": ids[1]}))["tier"]
    assert by_id == {"id": ids[1], "number": 2, "name": "T2", "schedule": {"id": schedule_id}}
    for number in (1, 2, 3):
        by_number = (await api.ok(BY_NUMBER, {"s": schedule_id, "n": number}))["tier"]
        assert by_number["id"] == ids[number - 1]
        assert by_number["number"] == number
    node = await api.ok(
        "query($id: ID!) { node(id: $id) { ... on Tier { number } } }", {"id": ids[2]}
    )
    assert node["node"] == {"number": 3}


async def test_tier_lookup_needs_id_or_schedule_and_number(api: Api) -> None:
    schedule_id = await schedule(api, 1)
    tier_id = (await api.ok(BY_NUMBER, {"s": schedule_id, "n": 1}))["tier"]["id"]
    both = "query($id: ID, $s: ID, $n: Int) { tier(id: $id, scheduleId: $s, number: $n) { id } }"
    for variables in (
        {},
        {"s": schedule_id},
        {"n": 1},
        {"id": tier_id, "s": schedule_id, "n": 1},
        {"id": tier_id, "n": 1},
    ):
        error = await api.error(both, variables)
        assert error["extensions"]["code"] == "BAD_USER_INPUT", variables
        assert error["extensions"]["fields"], variables
    for number in (0, 2, -1):
        error = await api.error(BY_NUMBER, {"s": schedule_id, "n": number})
        assert error["extensions"]["code"] == "NOT_FOUND", number


async def test_create_appends_by_default(api: Api) -> None:
    schedule_id = await schedule(api, 2)
    await name_tiers(api, schedule_id)
    created = (await api.ok(CREATE, {"s": schedule_id, "name": "Managers"}))["createTier"]
    assert created["number"] == 3
    assert created["schedule"] == {"id": schedule_id}
    assert await tiers_of(api, schedule_id) == [(1, "T1"), (2, "T2"), (3, "Managers")]
    empty = await schedule(api, 0)
    first = (await api.ok(CREATE, {"s": empty}))["createTier"]
    assert first["number"] == 1


async def test_create_with_a_number_inserts_and_moves_the_rest_down(api: Api) -> None:
    schedule_id = await schedule(api, 3)
    ids = await name_tiers(api, schedule_id)

    await api.ok(CREATE, {"s": schedule_id, "n": 1, "name": "New primary"})
    assert await tiers_of(api, schedule_id) == [(1, "New primary"), (2, "T1"), (3, "T2"), (4, "T3")]
    await api.ok(CREATE, {"s": schedule_id, "n": 3, "name": "Middle"})
    await api.ok(CREATE, {"s": schedule_id, "n": 6, "name": "Last"})
    assert await tiers_of(api, schedule_id) == [
        (1, "New primary"),
        (2, "T1"),
        (3, "Middle"),
        (4, "T2"),
        (5, "T3"),
        (6, "Last"),
    ]
    # The tiers that moved kept their ids.
    assert (await api.ok(BY_ID, {"id": ids[0]}))["tier"]["number"] == 2
    assert (await api.ok(BY_ID, {"id": ids[2]}))["tier"]["number"] == 5


async def test_create_with_a_number_out_of_range_names_number(api: Api) -> None:
    schedule_id = await schedule(api, 2)
    for number in (0, -1, 4):
        await expect_error(
            api, CREATE, {"s": schedule_id, "n": number}, "BAD_USER_INPUT", ["number"]
        )
    await expect_error(
        api, CREATE, {"s": schedule_id, "name": "x" * 201}, "BAD_USER_INPUT", ["name"]
    )
    assert [n for n, _ in await tiers_of(api, schedule_id)] == [1, 2]


async def test_delete_renumbers_the_later_tiers_and_takes_its_layers(api: Api) -> None:
    schedule_id = await schedule(api, 4)
    ids = await name_tiers(api, schedule_id)
    for tier_pk in await models.Tier.all().order_by("number").values_list("id", flat=True):
        await layer_service.create_layer(
            org_id=api.org_id,
            tier_id=tier_pk,
            spec=layer_service.LayerSpec(
                name="Nobody yet", start=datetime(2026, 1, 5, 9, 0), timezone="UTC"
            ),
        )
    deleted = await api.ok(DELETE, {"id": ids[1]})
    assert deleted["deleteTier"] == {"deletedId": ids[1]}
    assert await tiers_of(api, schedule_id) == [(1, "T1"), (2, "T3"), (3, "T4")]
    assert await layer_models.Layer.all().count() == 3
    error = await api.error(BY_ID, {"id": ids[1]})
    assert error["extensions"]["code"] == "NOT_FOUND"

    await api.ok(DELETE, {"id": ids[0]})
    assert await tiers_of(api, schedule_id) == [(1, "T3"), (2, "T4")]
    await api.ok(DELETE, {"id": ids[3]})
    assert await tiers_of(api, schedule_id) == [(1, "T3")]
    assert (await api.ok(BY_NUMBER, {"s": schedule_id, "n": 1}))["tier"]["id"] == ids[2]


async def test_numbers_stay_one_to_n_across_inserts_and_deletes(api: Api) -> None:
    schedule_id = await schedule(api, 1)
    for number in (1, 2, 1, 4, 3):
        await api.ok(CREATE, {"s": schedule_id, "n": number})
    for position in (2, 5, 1):
        tier_id = (await api.ok(BY_NUMBER, {"s": schedule_id, "n": position}))["tier"]["id"]
        await api.ok(DELETE, {"id": tier_id})
    assert [n for n, _ in await tiers_of(api, schedule_id)] == [1, 2, 3]
    rows = await models.Tier.all().order_by("number").values_list("number", flat=True)
    assert rows == [1, 2, 3]


async def test_update_renames_a_tier(api: Api) -> None:
    schedule_id = await schedule(api, 1)
    tier_id = (await api.ok(BY_NUMBER, {"s": schedule_id, "n": 1}))["tier"]["id"]
    updated = (await api.ok(UPDATE, {"id": tier_id, "name": "  Primary  "}))["updateTier"]
    assert (updated["name"], updated["number"]) == ("Primary", 1)
    await expect_error(api, UPDATE, {"id": tier_id, "name": "n" * 201}, "BAD_USER_INPUT", ["name"])
    assert (await api.ok(BY_ID, {"id": tier_id}))["tier"]["name"] == "Primary"


async def test_another_organizations_tier_is_not_found(api: Api) -> None:
    other = await auth_service.create_organization(name="Globex")
    await auth_service.create_token(org_id=other.id, name="a", role=Role.ADMIN)
    their_schedule = await schedule(api, 2, org_id=other.id)
    their_tier = encode_id("Tier", (await models.Tier.get(number=1)).id)
    for query, variables in (
        (BY_ID, {"id": their_tier}),
        (BY_NUMBER, {"s": their_schedule, "n": 1}),
        (CREATE, {"s": their_schedule}),
        (UPDATE, {"id": their_tier, "name": "Mine"}),
        (DELETE, {"id": their_tier}),
    ):
        await expect_error(api, query, variables, "NOT_FOUND")
    assert await models.Tier.all().order_by("number").values_list("number", "name") == [
        (1, ""),
        (2, ""),
    ]


async def test_viewer_cannot_write_tiers_and_editor_can(api: Api) -> None:
    schedule_id = await schedule(api, 2)
    tier_id = (await api.ok(BY_NUMBER, {"s": schedule_id, "n": 1}))["tier"]["id"]
    viewer = api.tokens["VIEWER"]
    before = await table_counts()
    for query, variables in (
        (CREATE, {"s": schedule_id}),
        (UPDATE, {"id": tier_id, "name": "x"}),
        (DELETE, {"id": tier_id}),
    ):
        error = await api.error(query, variables, token=viewer)
        assert error["extensions"]["code"] == "FORBIDDEN"
    assert await table_counts() == before
    assert (await api.ok(BY_ID, {"id": tier_id}, token=viewer))["tier"]["number"] == 1

    editor = api.tokens["EDITOR"]
    await api.ok(CREATE, {"s": schedule_id, "n": 1, "name": "Top"}, token=editor)
    await api.ok(DELETE, {"id": tier_id}, token=editor)
    assert await tiers_of(api, schedule_id) == [(1, "Top"), (2, "")]
