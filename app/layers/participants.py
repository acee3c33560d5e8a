"""Layers keep the people they name: what they say when a contact or a group changes.

Layers name contacts and groups as participants, so they sit above both; contacts and groups
ask them through hooks (``app.hooks``) these handlers register at: a contact or group a layer
names cannot be deleted, and a group's members cannot change (nor a member be deleted) so
that a layer would have more staff on call than participants. Changes that go through mark
the tiers staffed from the group as changed.
"""

from __future__ import annotations

from typing import cast

from app.contacts import models as contact_models
from app.contacts import service as contact_service
from app.errors import Conflict
from app.groups import models as group_models
from app.groups import service as group_service
from app.layers import models
from app.tiers import service as tier_service


async def tiers_using(
    *, org_id: int, contact_ids: set[int] | None = None, group_ids: set[int] | None = None
) -> set[int]:
    """Tiers with a layer naming one of these contacts or groups as a participant."""
    tiers: set[int] = set()
    if contact_ids:
        tiers.update(
            cast(
                list[int],
                await models.Layer.filter(
                    organization_id=org_id, participants__contact_id__in=contact_ids
                ).values_list("tier_id", flat=True),
            )
        )
    if group_ids:
        tiers.update(
            cast(
                list[int],
                await models.Layer.filter(
                    organization_id=org_id, participants__group_id__in=group_ids
                ).values_list("tier_id", flat=True),
            )
        )
    return tiers


async def understaffed_by_group_change(
    *, org_id: int, new_members: dict[int, list[int]]
) -> list[str]:
    """Names of layers that would have more staff on call than participants if the given
    groups had these members (checked before a group loses members)."""
    layers = await models.Layer.filter(
        organization_id=org_id, participants__group_id__in=set(new_members)
    ).distinct()
    if not layers:
        return []
    entries = await models.LayerParticipant.filter(layer_id__in=[x.id for x in layers]).order_by(
        "layer_id", "position"
    )
    other_groups = {e.group_id for e in entries if e.group_id is not None} - set(new_members)
    members = {**(await group_service.members_of(group_ids=other_groups)), **new_members}
    names = []
    for layer in layers:
        contacts: list[int] = []
        for e in entries:
            if e.layer_id != layer.id:
                continue
            contacts.extend(
                [e.contact_id] if e.contact_id is not None else members.get(e.group_id or 0, [])
            )
        if layer.staff_on_call > len(dict.fromkeys(contacts)):
            names.append(layer.name)
    return sorted(names)


@contact_service.deleting.register(rank=10)
async def _refuse_named_contact(org_id: int, contact: contact_models.Contact) -> None:
    layers = (
        await models.Layer.filter(organization_id=org_id, participants__contact_id=contact.id)
        .distinct()
        .values_list("name", flat=True)
    )
    if layers:
        raise Conflict(
            f"contact {contact.name!r} is a participant of layers {sorted(set(layers))}; "
            "remove it from them first",
            extensions={"layers": sorted(set(layers))},
        )


@contact_service.deleting.register(rank=40)
async def _keep_groups_staffed(org_id: int, contact: contact_models.Contact) -> None:
    """The contact's groups lose it: refused when a layer staffed from them would be short;
    else their tiers change (the memberships themselves go with the groups' own handler)."""
    groups = set(
        cast(
            list[int],
            await group_models.GroupMember.filter(contact_id=contact.id).values_list(
                "group_id", flat=True
            ),
        )
    )
    if not groups:
        return
    members = await group_service.members_of(group_ids=groups)
    remaining = {g: [pk for pk in ids if pk != contact.id] for g, ids in members.items()}
    short = await understaffed_by_group_change(org_id=org_id, new_members=remaining)
    if short:
        raise Conflict(
            f"without {contact.name!r}, layers {short} would have more staff on call "
            "than participants",
            extensions={"layers": short},
        )
    await tier_service.bump_version(tier_ids=await tiers_using(org_id=org_id, group_ids=groups))


@group_service.replacing_members.register(rank=10)
async def _refuse_understaffing(org_id: int, group_id: int, member_ids: list[int]) -> None:
    short = await understaffed_by_group_change(org_id=org_id, new_members={group_id: member_ids})
    if short:
        raise Conflict(
            f"layers {short} would have more staff on call than participants",
            extensions={"layers": short},
        )


@group_service.members_replaced.register(rank=10)
async def _members_replaced(org_id: int, group_id: int) -> None:
    await tier_service.bump_version(tier_ids=await tiers_using(org_id=org_id, group_ids={group_id}))


@group_service.deleting.register(rank=10)
async def _refuse_named_group(org_id: int, group: group_models.Group) -> None:
    layers = await models.Layer.filter(
        organization_id=org_id, participants__group_id=group.id
    ).values_list("name", flat=True)
    if layers:
        raise Conflict(
            f"group {group.name!r} is a participant of layers {sorted(set(layers))}",
            extensions={"layers": sorted(set(layers))},
        )
