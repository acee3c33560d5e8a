"""Layers: the stored rotations of a tier, validated to the engine's rules before saving."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from app import clock
from app.errors import BadUserInput, Collector, NotFound
from app.layers import models, rosters
from app.layers import participants as _hooks  # noqa: F401 - registers its hooks
from app.layers.specs import (
    MAX_LAYERS_PER_TIER,
    MAX_RESTRICTIONS,
    EffectiveSpec,
    LayerSpec,
    ParticipantSpec,
    RecurrenceSpec,
    RestrictionSpec,
    check_effective,
    check_rule,
    row_values,
    validate_specs,
)
from app.tiers import service as tier_service

__all__ = [
    "MAX_LAYERS_PER_TIER",
    "MAX_RESTRICTIONS",
    "EffectiveSpec",
    "LayerSpec",
    "ParticipantSpec",
    "RecurrenceSpec",
    "RestrictionSpec",
    "check_rule",
    "create_layer",
    "delete_layer",
    "get_layer",
    "set_tier_layers",
    "update_layer",
    "validate_specs",
]


async def _write_participants(layer_id: int, participants: Sequence[ParticipantSpec]) -> None:
    await models.LayerParticipant.filter(layer_id=layer_id).delete()
    await models.LayerParticipant.bulk_create(
        [
            models.LayerParticipant(
                layer_id=layer_id,
                position=i,
                contact_id=p.contact_id,
                group_id=p.group_id,
                weekdays=sorted(set(p.weekdays)) if p.weekdays is not None else None,
                working_hours_start=p.working_hours[0] if p.working_hours else None,
                working_hours_end=p.working_hours[1] if p.working_hours else None,
            )
            for i, p in enumerate(participants)
        ]
    )


async def get_layer(*, org_id: int, layer_id: int) -> models.Layer:
    layer = await models.Layer.get_or_none(id=layer_id, organization_id=org_id)
    if layer is None:
        raise NotFound("Layer", layer_id)
    return layer


async def create_layer(*, org_id: int, tier_id: int, spec: LayerSpec) -> models.Layer:
    tier = await tier_service.get_tier(org_id=org_id, tier_id=tier_id)
    await validate_specs(org_id=org_id, specs=[spec], prefix="input.")
    used = set(
        cast(list[int], await models.Layer.filter(tier_id=tier.id).values_list("index", flat=True))
    )
    if len(used) >= MAX_LAYERS_PER_TIER:
        raise BadUserInput(f"a tier has at most {MAX_LAYERS_PER_TIER} layers", field="tierId")
    index = spec.index if spec.index is not None else max(used, default=0) + 1
    if index in used:
        raise BadUserInput(f"index {index} is taken in this tier", field="input.index")
    layer = await models.Layer.create(
        organization_id=org_id, tier_id=tier.id, index=index, **row_values(spec)
    )
    await _write_participants(layer.id, spec.participants)
    await tier_service.bump_version(tier_ids={tier.id})
    return layer


async def update_layer(
    *,
    org_id: int,
    layer_id: int,
    spec: LayerSpec,
    now: datetime | None = None,
    effective: EffectiveSpec | None = None,
    keep_roster: bool = True,
) -> models.Layer:
    """Replace a layer's definition (its id and tier stay). A changed participant list is a
    roster change effective at the next handoff after ``now`` unless ``effective`` says
    otherwise (SPEC §9). ``keep_roster=False`` drops the roster segments instead (an import
    mirrors the source's rotation as it stands)."""
    now = now or clock.now()
    layer = await get_layer(org_id=org_id, layer_id=layer_id)
    await validate_specs(org_id=org_id, specs=[spec], prefix="input.")
    if effective is not None:
        check_effective(effective, now)
    index = spec.index if spec.index is not None else layer.index
    if (
        index != layer.index
        and await models.Layer.filter(tier_id=layer.tier_id, index=index).exists()
    ):
        raise BadUserInput(f"index {index} is taken in this tier", field="input.index")
    before = await rosters.snapshot([layer.id], now=now) if keep_roster else {}
    for key, value in row_values(spec).items():
        setattr(layer, key, value)
    layer.index = index
    if not keep_roster:
        layer.roster_segments = []
    await layer.save()
    await _write_participants(layer.id, spec.participants)
    await rosters.store_changes(before, now=now, effective=effective)
    await tier_service.bump_version(tier_ids={layer.tier_id})
    return await get_layer(org_id=org_id, layer_id=layer_id)


async def delete_layer(*, org_id: int, layer_id: int) -> None:
    layer = await get_layer(org_id=org_id, layer_id=layer_id)
    await layer.delete()
    await tier_service.bump_version(tier_ids={layer.tier_id})


async def check_layer_ids(
    *, tier_id: int, specs: Sequence[LayerSpec], prefix: str
) -> dict[int, models.Layer]:
    """The tier's stored layers by id, once every ``layer_id`` of ``specs`` names one of them,
    each at most once (else BAD_USER_INPUT naming ``<prefix><i>.id``)."""
    stored = {row.id: row for row in await models.Layer.filter(tier_id=tier_id)}
    errors = Collector(prefix)
    named: set[int] = set()
    for i, spec in enumerate(specs):
        if spec.layer_id is None:
            continue
        if spec.layer_id not in stored:
            errors.add(f"{i}.id", "no such layer in this tier")
        elif spec.layer_id in named:
            errors.add(f"{i}.id", "names a layer another entry already replaces")
        named.add(spec.layer_id)
    errors.raise_if_any()
    return stored


async def set_tier_layers(
    *,
    org_id: int,
    tier_id: int,
    specs: Sequence[LayerSpec],
    now: datetime | None = None,
    effective: EffectiveSpec | None = None,
) -> list[models.Layer]:
    """Replace all of a tier's layers at once; a layer without an index gets its list
    position. An entry with ``layer_id`` replaces that stored layer of the tier, which keeps
    its id (and its roster segments, as an update would); stored layers no entry names are
    deleted; entries without one are new layers."""
    now = now or clock.now()
    tier = await tier_service.get_tier(org_id=org_id, tier_id=tier_id)
    if len(specs) > MAX_LAYERS_PER_TIER:
        raise BadUserInput(f"a tier has at most {MAX_LAYERS_PER_TIER} layers", field="layers")
    await validate_specs(org_id=org_id, specs=specs, prefix="layers.")
    if effective is not None:
        check_effective(effective, now)
    stored = await check_layer_ids(tier_id=tier.id, specs=specs, prefix="layers.")
    named = {s.layer_id for s in specs if s.layer_id is not None}
    before = await rosters.snapshot(named, now=now)
    explicit = {s.index for s in specs if s.index is not None}
    free = (n for n in range(1, 10_000) if n not in explicit)
    await models.Layer.filter(tier_id=tier.id, id__not_in=named or {0}).delete()
    for pk in named:  # out of the way of the (tier, index) uniqueness while indexes move
        await models.Layer.filter(id=pk).update(index=-pk)
    kept = []
    for spec in specs:
        index = spec.index if spec.index is not None else next(free)
        if spec.layer_id is not None:
            layer = stored[spec.layer_id]
            for key, value in row_values(spec).items():
                setattr(layer, key, value)
            layer.index = index
            await layer.save()
        else:
            layer = await models.Layer.create(
                organization_id=org_id, tier_id=tier.id, index=index, **row_values(spec)
            )
        await _write_participants(layer.id, spec.participants)
        kept.append(layer.id)
    await rosters.store_changes(before, now=now, effective=effective)
    await tier_service.bump_version(tier_ids={tier.id})
    return list(await models.Layer.filter(id__in=kept).order_by("index"))
