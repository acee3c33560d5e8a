"""The layers service on its own: rule checks agree with the engine, field paths, atomicity."""

from __future__ import annotations

from datetime import datetime

import pytest

from app import engine
from app.auth import service as auth_service
from app.contacts import service as contact_service
from app.errors import BadUserInput
from app.layers import models
from app.layers import service as layer_service
from app.schedules import service as schedule_service
from app.tiers import models as tier_models

ACCEPTED_RULES = [
    "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
    "RRULE:FREQ=MONTHLY;BYMONTHDAY=1,15",
    "FREQ=DAILY;INTERVAL=3;COUNT=10",
    "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24",
    "FREQ=DAILY;UNTIL=20260301",
    "FREQ=DAILY;UNTIL=20260301T090000Z",  # calendar apps write UNTIL in UTC; its date counts
]
REFUSED_RULES = [
    "",
    "FREQ=FORTNIGHTLY",
    "BYDAY=MO",
    "FREQ=DAILY;BYHOUR=9",
    "FREQ=WEEKLY;BYMINUTE=30",
    "FREQ=HOURLY",
    "FREQ=MINUTELY;INTERVAL=15",
    "FREQ=WEEKLY;BYDAY=XX",
    "FREQ=WEEKLY;COUNT=3;UNTIL=20260301",
    "DTSTART:20260101T000000\nRRULE:FREQ=DAILY",
    "FREQ=WEEKLY;BYDAY=MO\nEXDATE:20260112",
]


@pytest.mark.parametrize("rule", ACCEPTED_RULES)
def test_rules_the_service_accepts_are_rules_the_engine_expands(rule: str) -> None:
    assert layer_service.check_rule(rule) is None
    engine.validate_rule(rule)


@pytest.mark.parametrize("rule", REFUSED_RULES)
def test_rules_with_times_or_more_than_one_line_are_refused(rule: str) -> None:
    assert layer_service.check_rule(rule)


def spec(name: str, **fields: object) -> layer_service.LayerSpec:
    return layer_service.LayerSpec(
        name=name,
        start=datetime(2026, 1, 5, 9, 0),
        timezone="UTC",
        **fields,  # type: ignore[arg-type]
    )


async def test_set_tier_layers_checks_every_layer_before_writing(db: str) -> None:
    org = await auth_service.create_organization(name="Acme")
    ada = await contact_service.create_contact(
        org_id=org.id, fields=contact_service.ContactFields(name="Ada")
    )
    schedule = await schedule_service.create_schedule(
        org_id=org.id, fields=schedule_service.ScheduleFields(name="Primary")
    )
    tier = await tier_models.Tier.get(schedule_id=schedule.id)
    await layer_service.create_layer(org_id=org.id, tier_id=tier.id, spec=spec("Kept", index=3))

    with pytest.raises(BadUserInput) as raised:
        await layer_service.set_tier_layers(
            org_id=org.id,
            tier_id=tier.id,
            specs=[
                spec("A", participants=(layer_service.ParticipantSpec(contact_id=ada.id),)),
                spec("B", end=datetime(2026, 1, 5, 9, 0)),
                spec("C", participants=(layer_service.ParticipantSpec(contact_id=ada.id + 100),)),
            ],
        )
    assert raised.value.extensions["fields"] == [
        "layers.1.end",
        "layers.2.participants.0.contactId",
    ]
    # Validation comes first, so even without the mutation's transaction nothing was replaced.
    assert await models.Layer.filter(tier_id=tier.id).values_list("name", flat=True) == ["Kept"]
    assert (await tier_models.Tier.get(id=tier.id)).data_version == 2


async def test_create_layer_on_top_and_refuses_a_taken_index(db: str) -> None:
    org = await auth_service.create_organization(name="Acme")
    schedule = await schedule_service.create_schedule(
        org_id=org.id, fields=schedule_service.ScheduleFields(name="Primary")
    )
    tier = await tier_models.Tier.get(schedule_id=schedule.id)
    first = await layer_service.create_layer(
        org_id=org.id, tier_id=tier.id, spec=spec("A", index=4)
    )
    second = await layer_service.create_layer(org_id=org.id, tier_id=tier.id, spec=spec("B"))
    assert (first.index, second.index) == (4, 5)
    with pytest.raises(BadUserInput) as raised:
        await layer_service.create_layer(org_id=org.id, tier_id=tier.id, spec=spec("C", index=4))
    assert raised.value.extensions["fields"] == ["input.index"]
    assert await models.Layer.filter(tier_id=tier.id).count() == 2
