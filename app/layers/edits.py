"""Edits of other domains that reshape layers' rotations (SPEC §9), taken where layers are known.

- A group's members: every layer using the group gets a roster change (next handoff by
  default, or as ``effective`` says).
- A schedule's holiday calendar: the holiday dates of its layers change; ACTIVE_TURNS layers
  pin the running turn so who is on call now does not move; every tier is recomputed.
- A contact's zone or holiday region: its personal holidays and working hours move; the tiers
  naming it (directly or through a group) are recomputed.
Each runs inside the caller's transaction, like any service.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from app.contacts import models as contact_models
from app.contacts import service as contact_service
from app.groups import models as group_models
from app.groups import service as group_service
from app.layers import holiday_upgrade, models, rosters
from app.layers.participants import tiers_using
from app.layers.specs import EffectiveSpec, check_effective
from app.schedules import models as schedule_models
from app.schedules import service as schedule_service
from app.tiers import models as tier_models
from app.tiers import service as tier_service

__all__ = ["update_contact", "update_group", "update_schedule"]


async def update_group(
    *,
    org_id: int,
    group_id: int,
    name: str | None,
    member_ids: list[int] | None,
    now: datetime,
    effective: EffectiveSpec | None = None,
) -> group_models.Group:
    """``app.groups.service.update_group`` with the roster changes of the layers using it."""
    if member_ids is None:
        return await group_service.update_group(
            org_id=org_id, group_id=group_id, name=name, member_ids=None
        )
    if effective is not None:
        check_effective(effective, now)
    layer_ids = cast(
        list[int],
        await models.Layer.filter(organization_id=org_id, participants__group_id=group_id)
        .distinct()
        .values_list("id", flat=True),
    )
    before = await rosters.snapshot(layer_ids, now=now)
    group = await group_service.update_group(
        org_id=org_id, group_id=group_id, name=name, member_ids=member_ids
    )
    await rosters.store_changes(before, now=now, effective=effective)
    return group


async def update_schedule(
    *, org_id: int, schedule_id: int, changes: dict[str, Any], now: datetime
) -> schedule_models.Schedule:
    """``app.schedules.service.update_schedule``; a calendar change pins ACTIVE_TURNS layers
    and recomputes the schedule's tiers."""
    if "holiday_calendar" not in changes:
        return await schedule_service.update_schedule(
            org_id=org_id, schedule_id=schedule_id, changes=changes
        )
    tier_ids = set(
        cast(
            list[int],
            await tier_models.Tier.filter(
                organization_id=org_id, schedule_id=schedule_id
            ).values_list("id", flat=True),
        )
    )
    layer_ids = cast(
        list[int], await models.Layer.filter(tier_id__in=tier_ids).values_list("id", flat=True)
    )
    before = await rosters.snapshot(layer_ids, now=now)
    schedule = await schedule_service.update_schedule(
        org_id=org_id, schedule_id=schedule_id, changes=changes
    )
    await rosters.store_changes(before, now=now)
    await holiday_upgrade.record(schedule, now=now)
    await tier_service.bump_version(tier_ids=tier_ids)
    return schedule


async def update_contact(
    *, org_id: int, contact_id: int, changes: dict[str, str | None]
) -> contact_models.Contact:
    """``app.contacts.service.update_contact``; a new zone or region recomputes the tiers
    whose layers name the contact."""
    contact = await contact_service.update_contact(
        org_id=org_id, contact_id=contact_id, changes=changes
    )
    if "timezone" in changes or "holiday_region" in changes:
        groups = set(
            cast(
                list[int],
                await group_models.GroupMember.filter(contact_id=contact_id).values_list(
                    "group_id", flat=True
                ),
            )
        )
        await tier_service.bump_version(
            tier_ids=await tiers_using(org_id=org_id, contact_ids={contact_id}, group_ids=groups)
        )
    return contact
