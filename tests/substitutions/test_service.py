"""The substitution service on its own: the engine seam, affected tiers, contact deletion."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest

from app.auth import service as auth_service
from app.contacts import models as contact_models
from app.contacts import service as contact_service
from app.engine import Recurrence, RecurrenceType, SubstitutionInput
from app.errors import BadUserInput, Conflict
from app.layers.service import RecurrenceSpec
from app.schedules import service as schedule_service
from app.substitutions import models, occurrences, service
from app.substitutions import specs as substitution_specs
from app.tiers import models as tier_models
from tests.support import count_sql

WEEK = RecurrenceSpec(type="REPEAT", start=date(2026, 3, 2), end=date(2026, 3, 8))


async def _org() -> int:
    return (await auth_service.create_organization(name="Acme")).id


async def _contact(org_id: int, name: str) -> int:
    row = await contact_service.create_contact(
        org_id=org_id, fields=contact_service.ContactFields(name=name)
    )
    return row.id


async def _schedule(org_id: int, name: str, zone: str, tiers: int = 1) -> int:
    row = await schedule_service.create_schedule(
        org_id=org_id,
        fields=schedule_service.ScheduleFields(name=name, timezone=zone),
        tier_count=tiers,
    )
    return row.id


async def _create(org_id: int, **fields: Any) -> models.Substitution:
    spec = substitution_specs.SubstitutionSpec(**{"recurrence": WEEK, **fields})
    return (await service.create_substitutions(org_id=org_id, specs=[spec]))[0]


async def test_engine_inputs_gives_each_schedule_its_own_and_org_wide_ones(db: str) -> None:
    org = await _org()
    ada, bob = await _contact(org, "Ada"), await _contact(org, "Bob")
    ny = await _schedule(org, "NY", "America/New_York")
    ldn = await _schedule(org, "LDN", "Europe/London")
    own = await _create(org, contact_id=ada, schedule_id=ny)
    tokyo = await _create(
        org,
        contact_id=ada,
        replacement_id=bob,
        schedule_id=ny,
        timezone="Asia/Tokyo",
        window=substitution_specs.WindowSpec("22:00", "06:00"),
    )
    everywhere = await _create(org, contact_id=bob, timezone="UTC")
    london = await _create(org, contact_id=bob, schedule_id=ldn)
    deleted = await _create(org, contact_id=ada, schedule_id=ny)
    await service.delete_substitutions(org_id=org, ids=[deleted.id])
    other = await _org()
    eve = await _contact(other, "Eve")
    await _create(other, contact_id=eve, timezone="UTC")

    with count_sql() as sql:
        inputs = await occurrences.engine_inputs(org_id=org, schedule_ids={ny, ldn, 999})
    assert len(sql) == 2
    assert set(inputs) == {ny, ldn}
    assert [(s.id, s.zone) for s in inputs[ny]] == [
        (own.id, "America/New_York"),
        (tokyo.id, "Asia/Tokyo"),
        (everywhere.id, "UTC"),
    ]
    assert [(s.id, s.zone) for s in inputs[ldn]] == [
        (everywhere.id, "UTC"),
        (london.id, "Europe/London"),
    ]
    assert inputs[ny][1] == SubstitutionInput(
        id=tokyo.id,
        contact_id=ada,
        replacement_id=bob,
        recurrence=Recurrence(
            type=RecurrenceType.REPEAT, start=date(2026, 3, 2), end=date(2026, 3, 8)
        ),
        zone="Asia/Tokyo",
        window_start=time(22, 0),
        window_end=time(6, 0),
    )
    with count_sql() as sql:
        assert await occurrences.engine_inputs(org_id=org, schedule_ids=set()) == {}
    assert sql == []


async def test_affected_tier_ids_of_a_schedule_or_the_whole_organization(db: str) -> None:
    org = await _org()
    first = await _schedule(org, "A", "UTC", tiers=2)
    second = await _schedule(org, "B", "UTC", tiers=1)
    other = await _org()
    await _schedule(other, "C", "UTC", tiers=3)
    tiers_a = set(await tier_models.Tier.filter(schedule_id=first).values_list("id", flat=True))
    tiers_b = set(await tier_models.Tier.filter(schedule_id=second).values_list("id", flat=True))
    assert await service.affected_tier_ids(org_id=org, schedule_id=first) == tiers_a
    assert await service.affected_tier_ids(org_id=org, schedule_id=None) == tiers_a | tiers_b
    assert await service.affected_tier_ids(org_id=other, schedule_id=first) == set()


async def test_prepare_contact_delete_refuses_active_and_removes_deleted(db: str) -> None:
    org = await _org()
    ada, bob, cy = [await _contact(org, n) for n in ("Ada", "Bob", "Cy")]
    off = await _create(org, contact_id=ada, timezone="UTC")
    cover = await _create(org, contact_id=cy, replacement_id=bob, timezone="UTC")
    for contact_id in (ada, bob):
        with pytest.raises(Conflict) as caught:
            await service.prepare_contact_delete(org_id=org, contact_id=contact_id)
        assert caught.value.extensions == {"code": "CONFLICT", "activeSubstitutions": 1}
    await service.delete_substitutions(org_id=org, ids=[off.id, cover.id])
    await service.prepare_contact_delete(org_id=org, contact_id=bob)
    assert await models.Substitution.filter(id=cover.id).count() == 0
    assert await models.Substitution.filter(id=off.id).count() == 1
    await contact_models.Contact.filter(id=bob).delete()  # nothing refers to Bob any more


async def test_ends_on_is_the_earliest_of_to_until_and_count(db: str) -> None:
    org = await _org()
    ada = await _contact(org, "Ada")

    async def ends(rule: str, to: date | None = None) -> date | None:
        rec = RecurrenceSpec(type="ICAL", start=date(2017, 2, 1), end=to, rule=rule)
        return (await _create(org, contact_id=ada, timezone="UTC", recurrence=rec)).ends_on

    assert await ends("FREQ=DAILY;UNTIL=20170225") == date(2017, 2, 25)
    assert await ends("FREQ=DAILY;UNTIL=20170225T235959Z", date(2017, 2, 15)) == date(2017, 2, 15)
    assert await ends("FREQ=DAILY;UNTIL=20170225", date(2017, 3, 15)) == date(2017, 2, 25)
    assert await ends("FREQ=WEEKLY;BYDAY=MO;COUNT=2") == date(2017, 2, 13)
    assert await ends("FREQ=WEEKLY;BYDAY=MO;COUNT=5", date(2017, 2, 10)) == date(2017, 2, 6)
    assert await ends("FREQ=MONTHLY", date(2017, 6, 30)) == date(2017, 6, 30)


async def test_service_errors_name_the_item_and_field(db: str) -> None:
    org = await _org()
    ada = await _contact(org, "Ada")
    specs = [
        substitution_specs.SubstitutionSpec(contact_id=ada, recurrence=WEEK, timezone="UTC"),
        substitution_specs.SubstitutionSpec(contact_id=ada, recurrence=None),
    ]
    with pytest.raises(BadUserInput) as caught:
        await service.create_substitutions(org_id=org, specs=specs)
    assert [e.field for e in caught.value.errors] == ["inputs.1.timezone", "inputs.1.recurrence"]
    assert await models.Substitution.all().count() == 0
