"""Tiers: escalation levels of a schedule, numbered 1..n without holes."""

from __future__ import annotations

from tortoise.expressions import F

from app import validation
from app.errors import Collector, NotFound
from app.hooks import Hook
from app.tiers import models


async def get_tier(*, org_id: int, tier_id: int) -> models.Tier:
    tier = await models.Tier.get_or_none(id=tier_id, organization_id=org_id)
    if tier is None:
        raise NotFound("Tier", tier_id)
    return tier


async def get_tier_by_number(*, org_id: int, schedule_id: int, number: int) -> models.Tier:
    tier = await models.Tier.get_or_none(
        schedule_id=schedule_id, number=number, organization_id=org_id
    )
    if tier is None:
        raise NotFound("Tier", f"{number} of schedule {schedule_id}")
    return tier


inputs_changed: Hook[[set[int]]] = Hook("tiers.inputs_changed")
"""Runs ``handler(tier_ids)`` whenever tiers' inputs change (``bump_version``): the confirmed
shifts register here to be recomputed before the write commits."""


async def bump_version(*, tier_ids: set[int]) -> None:
    """Mark the tiers' inputs as changed: computed timelines keyed by version go stale, and
    confirmed assignments are recomputed before the write commits."""
    if tier_ids:
        await models.Tier.filter(id__in=tier_ids).update(data_version=F("data_version") + 1)
        await inputs_changed.run(tier_ids)


async def shift_numbers(schedule_id: int, from_number: int, delta: int) -> None:
    # Two steps through negative numbers keep (schedule, number) unique at every moment.
    # (Tortoise cannot negate a combined expression, hence `-delta - number`.)
    await models.Tier.filter(schedule_id=schedule_id, number__gte=from_number).update(
        number=-delta - F("number")
    )
    await models.Tier.filter(schedule_id=schedule_id, number__lt=0).update(number=-F("number"))


async def update_tier(*, org_id: int, tier_id: int, name: str) -> models.Tier:
    tier = await get_tier(org_id=org_id, tier_id=tier_id)
    errors = Collector()
    name = validation.plain_text(errors, "name", name)
    errors.raise_if_any()
    tier.name = name
    await tier.save()
    return tier


async def delete_tier(*, org_id: int, tier_id: int) -> None:
    """Delete a tier with its layers; the tiers after it move up one number."""
    tier = await get_tier(org_id=org_id, tier_id=tier_id)
    await tier.delete()
    await shift_numbers(tier.schedule_id, tier.number + 1, -1)
