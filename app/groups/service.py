"""Groups: ordered sets of contacts."""

from __future__ import annotations

from typing import cast

from tortoise.queryset import QuerySet

from app import validation
from app.contacts import models as contact_models
from app.contacts import service as contact_service
from app.errors import Collector, NotFound
from app.groups import models
from app.hooks import Hook


def list_groups(*, org_id: int) -> QuerySet[models.Group]:
    return models.Group.filter(organization_id=org_id).order_by("name", "id")


async def get_group(*, org_id: int, group_id: int) -> models.Group:
    group = await models.Group.get_or_none(id=group_id, organization_id=org_id)
    if group is None:
        raise NotFound("Group", group_id)
    return group


async def _check_members(*, org_id: int, member_ids: list[int], errors: Collector) -> None:
    seen: set[int] = set()
    for i, pk in enumerate(member_ids):
        if pk in seen:
            errors.add(f"memberIds.{i}", "appears twice")
        seen.add(pk)
    known = await contact_service.existing_ids(org_id=org_id, ids=seen)
    for i, pk in enumerate(member_ids):
        if pk not in known:
            errors.missing(f"memberIds.{i}", "Contact")


async def _write_members(group: models.Group, member_ids: list[int]) -> None:
    await models.GroupMember.filter(group_id=group.id).delete()
    await models.GroupMember.bulk_create(
        [
            models.GroupMember(group_id=group.id, contact_id=pk, position=i)
            for i, pk in enumerate(member_ids)
        ]
    )


async def create_group(*, org_id: int, name: str, member_ids: list[int]) -> models.Group:
    errors = Collector("input.")
    name = validation.non_empty(errors, "name", name)
    await _check_members(org_id=org_id, member_ids=member_ids, errors=errors)
    errors.raise_if_any()
    group = await models.Group.create(organization_id=org_id, name=name)
    await _write_members(group, member_ids)
    return group


replacing_members: Hook[[int, int, list[int]]] = Hook("groups.replacing_members")
"""Runs ``handler(org_id, group_id, new_member_ids)`` before a group's members are replaced:
layers refuse (CONFLICT) a change that would leave one of them understaffed."""

members_replaced: Hook[[int, int]] = Hook("groups.members_replaced")
"""Runs ``handler(org_id, group_id)`` once a group's new members are written: layers mark the
tiers staffed from the group as changed."""

deleting: Hook[[int, models.Group]] = Hook("groups.deleting")
"""Runs ``handler(org_id, group)`` before a group is deleted: layers refuse while they name it."""


async def update_group(
    *, org_id: int, group_id: int, name: str | None, member_ids: list[int] | None
) -> models.Group:
    """Rename and/or replace the members (in the given order); None leaves a field as it is."""
    group = await get_group(org_id=org_id, group_id=group_id)
    errors = Collector("input.")
    if name is not None:
        group.name = validation.non_empty(errors, "name", name)
    if member_ids is not None:
        await _check_members(org_id=org_id, member_ids=member_ids, errors=errors)
    errors.raise_if_any()
    if member_ids is not None:
        await replacing_members.run(org_id, group.id, member_ids)
    await group.save()
    if member_ids is not None:
        await _write_members(group, member_ids)
        await members_replaced.run(org_id, group.id)
    return group


async def delete_group(*, org_id: int, group_id: int) -> None:
    group = await get_group(org_id=org_id, group_id=group_id)
    await deleting.run(org_id, group)
    await group.delete()


async def existing_ids(*, org_id: int, ids: set[int]) -> set[int]:
    if not ids:
        return set()
    found = await models.Group.filter(organization_id=org_id, id__in=ids).values_list(
        "id", flat=True
    )
    return set(cast(list[int], found))


async def members_of(*, group_ids: set[int]) -> dict[int, list[int]]:
    """Each group's contact ids in member order (one query for all groups)."""
    out: dict[int, list[int]] = {pk: [] for pk in group_ids}
    if group_ids:
        rows = (
            await models.GroupMember.filter(group_id__in=group_ids)
            .order_by("group_id", "position")
            .values_list("group_id", "contact_id")
        )
        for group_id, contact_id in rows:
            out[group_id].append(contact_id)
    return out


@contact_service.deleting.register(rank=50)
async def _contact_deleting(org_id: int, contact: contact_models.Contact) -> None:
    """A deleted contact leaves every group it was a member of."""
    await models.GroupMember.filter(contact_id=contact.id).delete()
