"""Request cost stays constant as lists grow: DataLoaders batch every level."""

from __future__ import annotations

from datetime import datetime

from app.contacts import service as contact_service
from app.groups import service as group_service
from app.layers import service as layer_service
from app.schedules import service as schedule_service
from app.tiers import models as tier_models
from tests.support import Api, count_sql

QUERY = """{ schedules(first: 50) { edges { node { tiers { layers { participants {
  contact { name } group { name members { name } } } } } } } } }"""


async def seed(org_id: int, schedules: int) -> None:
    contacts = [
        await contact_service.create_contact(
            org_id=org_id, fields=contact_service.ContactFields(name=f"P{i}")
        )
        for i in range(4)
    ]
    group = await group_service.create_group(
        org_id=org_id, name="G", member_ids=[c.id for c in contacts[:2]]
    )
    for s in range(schedules):
        schedule = await schedule_service.create_schedule(
            org_id=org_id, fields=schedule_service.ScheduleFields(name=f"S{s:02d}"), tier_count=2
        )
        for tier in await tier_models.Tier.filter(schedule_id=schedule.id):
            await layer_service.set_tier_layers(
                org_id=org_id,
                tier_id=tier.id,
                specs=[
                    layer_service.LayerSpec(
                        name=f"L{n}",
                        start=datetime(2026, 1, 5, 9),
                        timezone="Europe/London",
                        unit="WEEK",
                        participants=(
                            layer_service.ParticipantSpec(contact_id=contacts[n].id),
                            layer_service.ParticipantSpec(group_id=group.id),
                        ),
                    )
                    for n in range(2)
                ],
            )


async def statements_for(api: Api, schedules: int) -> tuple[int, int]:
    await seed(api.org_id, schedules)
    await api.ok("{ viewer { role } }")  # the token's lastUsedAt is written on first use only
    with count_sql() as statements:
        data = await api.ok(QUERY)
    edges = data["schedules"]["edges"]
    assert len(edges) == schedules
    names = {
        p["contact"]["name"]
        for e in edges
        for t in e["node"]["tiers"]
        for layer in t["layers"]
        for p in layer["participants"]
        if p["contact"]
    }
    assert names == {"P0", "P1"}
    return len(statements), len(edges)


async def test_nested_query_costs_the_same_sql_for_5_and_50_schedules(api: Api) -> None:
    few, _ = await statements_for(api, 5)
    from app.schedules import models

    await models.Schedule.all().delete()
    many, _ = await statements_for(api, 50)
    assert few == many, (few, many)
    # count, page, tiers, layers, participants, contacts, groups, members (the token was
    # looked up by the warm-up request and is remembered for a second)
    assert many == 8
