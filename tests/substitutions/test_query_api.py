"""Substitution reads through the whole app: filters, sorts, pages, nested lists, tenancy."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.api.relay import decode_id, encode_id
from app.auth import service as auth_service
from app.layers.service import RecurrenceSpec
from app.substitutions import service, specs
from tests.substitutions.factories import (
    DELETE,
    contact,
    create,
    create_one,
    item,
    listed,
    schedule,
)
from tests.support import Api, count_sql


async def seed(api: Api) -> dict[str, Any]:
    """Three contacts, two schedules and six substitutions (s6 DELETED)."""
    ada = await contact(api.org_id, "Ada")
    bob = await contact(api.org_id, "Bob")
    cy = await contact(api.org_id, "Cy")
    first = await schedule(api.org_id, name="A")
    second = await schedule(api.org_id, name="B")
    subs = await create(
        api,
        item(ada, recurrence={"type": "REPEAT", "from": "2026-03-02", "to": "2026-03-08"}),
        item(
            ada,
            replacementId=cy,
            scheduleId=first,
            recurrence={"type": "OCCURRENCE", "from": "2026-03-10", "to": "2026-03-10"},
        ),
        item(
            bob,
            scheduleId=second,
            recurrence={"type": "ICAL", "from": "2026-03-01", "rule": "FREQ=WEEKLY;COUNT=3"},
        ),
        item(
            bob,
            replacementId=ada,
            recurrence={"type": "REPEAT", "from": "2026-04-01", "to": "2026-04-30"},
        ),
        item(
            cy,
            scheduleId=first,
            recurrence={"type": "PERIODIC", "from": "2026-03-01", "to": "2026-06-30", "everyN": 2},
        ),
        item(ada, recurrence={"type": "REPEAT", "from": "2026-03-20", "to": "2026-03-21"}),
    )
    await api.ok(DELETE, {"ids": [subs[5]["id"]]})
    names = {sub["id"]: f"s{i + 1}" for i, sub in enumerate(subs)}
    return {
        "ada": ada,
        "bob": bob,
        "cy": cy,
        "A": first,
        "B": second,
        "ids": [s["id"] for s in subs],
        "names": names,
    }


async def found(api: Api, world: dict[str, Any], **filter: Any) -> set[str]:
    page = await listed(api, filter=filter, first=100)
    assert page["totalCount"] == len(page["nodes"])
    return {world["names"][n["id"]] for n in page["nodes"]}


async def test_filters_or_inside_a_field_and_across_fields(api: Api) -> None:
    w = await seed(api)
    ada, bob, a, b = w["ada"], w["bob"], w["A"], w["B"]
    assert await found(api, w) == {"s1", "s2", "s3", "s4", "s5"}
    assert await found(api, w, contact=[ada, bob]) == {"s1", "s2", "s3", "s4"}
    assert await found(api, w, contact=[ada, bob], kind=["REPLACEMENT"]) == {"s2", "s4"}
    assert await found(api, w, contact=[ada, bob], kind=["REPLACEMENT"], schedule=[a]) == {"s2"}
    assert await found(api, w, kind=["UNAVAILABLE", "REPLACEMENT"]) == {
        "s1",
        "s2",
        "s3",
        "s4",
        "s5",
    }
    assert await found(api, w, kind=["UNAVAILABLE"]) == {"s1", "s3", "s5"}
    assert await found(api, w, schedule=[None]) == {"s1", "s4"}
    assert await found(api, w, schedule=[b, None]) == {"s1", "s3", "s4"}
    assert await found(api, w, appliesToSchedule=[a]) == {"s1", "s2", "s4", "s5"}
    assert await found(api, w, replacement=[ada]) == {"s4"}
    assert await found(api, w, recurrenceType=["ICAL", "PERIODIC"]) == {"s3", "s5"}
    assert await found(api, w, id=[w["ids"][0], w["ids"][2]], kind=["UNAVAILABLE"]) == {"s1", "s3"}
    assert await found(api, w, contact=[ada], status=["ACTIVE", "DELETED"]) == {"s1", "s2", "s6"}
    assert await found(api, w, contact=[]) == set()


async def test_active_between_overlaps_dates_including_a_rule_s_own_end(api: Api) -> None:
    w = await seed(api)
    # s3 is ICAL COUNT=3 weekly from Mar 1: it ends on Mar 15 without a `to`.
    assert await found(api, w, activeBetween={"from": "2026-03-09", "to": "2026-03-12"}) == {
        "s2",
        "s3",
        "s5",
    }
    assert await found(api, w, activeBetween={"from": "2026-03-16", "to": "2026-03-31"}) == {"s5"}
    assert await found(api, w, activeBetween={"from": "2026-03-08", "to": "2026-03-08"}) == {
        "s1",
        "s3",
        "s5",
    }
    error = await api.error(
        'query { substitutions(filter: {activeBetween: {from: "2026-03-09", to: "2026-03-01"}})'
        " { totalCount } }"
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == ["filter.activeBetween.to"]


async def test_sort_by_status_ascending_then_created_descending(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    made = [await create_one(api, ada) for _ in range(4)]
    await api.ok(DELETE, {"ids": [made[1]["id"], made[3]["id"]]})
    page = await listed(
        api,
        filter={"status": ["ACTIVE", "DELETED"]},
        sort=[
            {"field": "STATUS", "direction": "ASC"},
            {"field": "CREATED_AT", "direction": "DESC"},
        ],
    )
    assert [n["id"] for n in page["nodes"]] == [made[i]["id"] for i in (2, 0, 3, 1)]
    assert [n["status"] for n in page["nodes"]] == ["ACTIVE", "ACTIVE", "DELETED", "DELETED"]


async def test_default_sort_is_by_from_and_other_sorts_apply(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    late, early, middle = await create(
        api,
        item(ada, recurrence={"type": "REPEAT", "from": "2026-05-01", "to": "2026-05-02"}),
        item(ada, recurrence={"type": "REPEAT", "from": "2026-01-01", "to": "2026-09-30"}),
        item(ada, recurrence={"type": "REPEAT", "from": "2026-03-01", "to": "2026-03-02"}),
    )
    page = await listed(api)
    assert [n["id"] for n in page["nodes"]] == [early["id"], middle["id"], late["id"]]
    page = await listed(api, sort=[{"field": "ENDS_ON", "direction": "DESC"}])
    assert [n["id"] for n in page["nodes"]] == [early["id"], late["id"], middle["id"]]
    page = await listed(api, sort=[{"field": "ID"}])
    assert [n["id"] for n in page["nodes"]] == [late["id"], early["id"], middle["id"]]
    error = await api.error(
        "query { substitutions(sort: [{field: ID}, {field: ID, direction: DESC}]) { totalCount } }"
    )
    assert error["extensions"]["fields"] == ["sort"]


async def test_pages_default_to_ten_with_total_count_and_a_cap(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    made = await create(api, *[item(ada) for _ in range(12)])
    page = await listed(api)
    assert page["totalCount"] == 12
    assert len(page["nodes"]) == 10
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await listed(api, after=page["pageInfo"]["endCursor"])
    assert rest["totalCount"] == 12
    assert len(rest["nodes"]) == 2
    assert rest["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "endCursor": rest["pageInfo"]["endCursor"],
    }
    seen = [n["id"] for n in page["nodes"] + rest["nodes"]]
    assert sorted(seen) == sorted(m["id"] for m in made)
    assert len((await listed(api, first=100))["nodes"]) == 12
    error = await api.error("query { substitutions(first: 101) { totalCount } }")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == ["first"]


async def test_contact_and_schedule_list_their_substitutions(api: Api) -> None:
    w = await seed(api)
    data = await api.ok(
        """query($a: ID!, $ada: ID!) {
          schedule(id: $a) {
            substitutions { totalCount nodes { id } }
            replacements: substitutions(filter: {kind: [REPLACEMENT]}, first: 1) {
              totalCount nodes { id } pageInfo { hasNextPage }
            }
          }
          contact(id: $ada) {
            substitutions(sort: [{field: FROM, direction: DESC}]) { totalCount nodes { id } }
            all: substitutions(filter: {status: [ACTIVE, DELETED]}) { totalCount }
          }
        }""",
        {"a": w["A"], "ada": w["ada"]},
    )
    names = w["names"]
    own = data["schedule"]["substitutions"]
    assert own["totalCount"] == 4
    assert {names[n["id"]] for n in own["nodes"]} == {"s1", "s2", "s4", "s5"}
    replacements = data["schedule"]["replacements"]
    assert replacements["totalCount"] == 2 and len(replacements["nodes"]) == 1
    assert replacements["pageInfo"]["hasNextPage"] is True
    mine = data["contact"]["substitutions"]
    assert [names[n["id"]] for n in mine["nodes"]] == ["s2", "s1"]
    assert data["contact"]["all"]["totalCount"] == 3


async def test_nested_substitutions_cost_the_same_for_more_contacts(api: Api) -> None:
    query = """{ contacts(first: 50) { nodes { name substitutions { totalCount nodes {
      replacement { name } schedule { name } } } } } }"""

    async def statements(contacts: int) -> int:
        first = await schedule(api.org_id, name=f"S{contacts}")
        ids = [await contact(api.org_id, f"C{contacts}-{i}") for i in range(contacts)]
        await create(api, *[item(c, replacementId=ids[0], scheduleId=first) for c in ids[1:]])
        with count_sql() as sql:
            await api.ok(query)
        return len(sql)

    assert await statements(2) == await statements(6)


async def test_another_organization_s_substitutions_stay_invisible(api: Api) -> None:
    ada = await contact(api.org_id, "Ada")
    await create_one(api, ada)
    other = await auth_service.create_organization(name="Other")
    eve = await contact(other.id, "Eve")
    theirs = await service.create_substitutions(
        org_id=other.id,
        specs=[
            specs.SubstitutionSpec(
                contact_id=decode_id(eve, "Contact"),
                recurrence=RecurrenceSpec(
                    type="REPEAT", start=date(2026, 3, 2), end=date(2026, 3, 3)
                ),
                timezone="UTC",
            )
        ],
    )
    page = await listed(api, filter={"contact": [eve]})
    assert page["totalCount"] == 0
    assert (await listed(api))["totalCount"] == 1
    error = await api.error(
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": encode_id("Substitution", theirs[0].id)},
    )
    assert error["extensions"]["code"] == "NOT_FOUND"
