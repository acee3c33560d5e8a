"""The contacts service on its own: scoping, patch semantics, delete rules."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.auth import service as auth_service
from app.contacts import models
from app.contacts import service as contact_service
from app.errors import BadUserInput, Conflict, NotFound
from app.groups import models as group_models
from app.groups import service as group_service
from app.layers import service as layer_service
from app.schedules import service as schedule_service
from app.tiers import models as tier_models


async def make_contact(org_id: int, name: str, **fields: str | None) -> models.Contact:
    return await contact_service.create_contact(
        org_id=org_id,
        fields=contact_service.ContactFields(name=name, **fields),  # type: ignore[arg-type]
    )


async def test_lookups_are_scoped_to_the_organization(db: str) -> None:
    mine = await auth_service.create_organization(name="Acme")
    other = await auth_service.create_organization(name="Globex")
    ada = await make_contact(mine.id, "Ada")
    zed = await make_contact(other.id, "Zed")

    assert await contact_service.existing_ids(org_id=mine.id, ids={ada.id, zed.id}) == {ada.id}
    assert await contact_service.existing_ids(org_id=mine.id, ids=set()) == set()
    assert [c.name for c in await contact_service.list_contacts(org_id=mine.id)] == ["Ada"]
    assert await contact_service.list_contacts(org_id=mine.id, ids=[]).count() == 0
    with pytest.raises(NotFound):
        await contact_service.get_contact(org_id=mine.id, contact_id=zed.id)


async def test_update_applies_only_the_named_changes(db: str) -> None:
    org = await auth_service.create_organization(name="Acme")
    ada = await make_contact(org.id, "Ada", email="ada@example.com", phone="+1 555 0100")

    await contact_service.update_contact(org_id=org.id, contact_id=ada.id, changes={"phone": None})
    row = await models.Contact.get(id=ada.id)
    assert (row.name, row.email, row.phone, row.timezone) == ("Ada", "ada@example.com", None, "UTC")

    with pytest.raises(BadUserInput) as raised:
        await contact_service.update_contact(
            org_id=org.id, contact_id=ada.id, changes={"name": "", "timezone": "Nowhere/Land"}
        )
    assert raised.value.extensions["fields"] == ["input.name", "input.timezone"]
    assert (await models.Contact.get(id=ada.id)).name == "Ada"


async def test_delete_refuses_a_contact_a_layer_names_and_allows_a_group_member(db: str) -> None:
    org = await auth_service.create_organization(name="Acme")
    ada = await make_contact(org.id, "Ada")
    bob = await make_contact(org.id, "Bob")
    group = await group_service.create_group(org_id=org.id, name="Ops", member_ids=[bob.id])
    schedule = await schedule_service.create_schedule(
        org_id=org.id, fields=schedule_service.ScheduleFields(name="Primary")
    )
    tier = await tier_models.Tier.get(schedule_id=schedule.id)
    await layer_service.create_layer(
        org_id=org.id,
        tier_id=tier.id,
        spec=layer_service.LayerSpec(
            name="Days",
            start=datetime(2026, 1, 5, 9, 0),
            timezone="UTC",
            participants=(
                layer_service.ParticipantSpec(contact_id=ada.id),
                layer_service.ParticipantSpec(group_id=group.id),
            ),
        ),
    )

    with pytest.raises(Conflict) as raised:
        await contact_service.delete_contact(org_id=org.id, contact_id=ada.id)
    assert raised.value.extensions == {"code": "CONFLICT", "layers": ["Days"]}
    assert await models.Contact.filter(id=ada.id).exists()

    # Bob is on the layer only through the group: he leaves the group and goes.
    await contact_service.delete_contact(org_id=org.id, contact_id=bob.id)
    assert not await models.Contact.filter(id=bob.id).exists()
    assert await group_models.GroupMember.filter(group_id=group.id).count() == 0
