"""Groups: ordered sets of contacts."""

from __future__ import annotations

from typing import cast

from tortoise.queryset import QuerySet

from app import validation
from app.contacts import service as contact_service
from app.errors import Collector, Conflict, NotFound
from app.groups import models
from app.layers import models as layer_models


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
        from app.layers import service as layer_service
        from app.tiers import service as tier_service

        short = await layer_service.understaffed_by_group_change(
            org_id=org_id, new_members={group.id: member_ids}
        )
        if short:
            raise Conflict(
                f"layers {short} would have more staff on call than participants",
                extensions={"layers": short},
            )
    await group.save()
    if member_ids is not None:
        await _write_members(group, member_ids)
        await tier_service.bump_version(
            tier_ids=await layer_service.tiers_using(org_id=org_id, group_ids={group.id})
        )
    return group


async def delete_group(*, org_id: int, group_id: int) -> None:
    group = await get_group(org_id=org_id, group_id=group_id)
    layers = await layer_models.Layer.filter(
        organization_id=org_id, participants__group_id=group.id
    ).values_list("name", flat=True)
    if layers:
        raise Conflict(
            f"group {group.name!r} is a participant of layers {sorted(set(layers))}",
            extensions={"layers": sorted(set(layers))},
        )
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
