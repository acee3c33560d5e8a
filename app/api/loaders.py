"""Per-request DataLoaders. Each filters by the caller's organization."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from app.contacts import models as contact_models
from app.destinations import models as destination_models
from app.groups import models as group_models
from app.layers import models as layer_models
from app.on_demand_shifts import models as on_demand_models
from app.schedules import models as schedule_models
from app.substitutions import models as substitution_models
from app.substitutions import service as substitution_service
from app.tiers import models as tier_models

M = TypeVar("M", bound=Model)


def by_id(model: type[M], org_id: int) -> DataLoader[int, M | None]:
    async def load(keys: list[int]) -> Sequence[M | None]:
        rows = await model.filter(id__in=set(keys), organization_id=org_id)
        found = {row.pk: row for row in rows}
        return [found.get(k) for k in keys]

    return DataLoader(load_fn=load)


def children(
    model: type[M], parent_field: str, order_by: str, org_id: int | None = None
) -> DataLoader[int, list[M]]:
    async def load(keys: list[int]) -> Sequence[list[M]]:
        filters: dict[str, Any] = {f"{parent_field}__in": set(keys)}
        if org_id is not None:
            filters["organization_id"] = org_id
        grouped: dict[int, list[M]] = defaultdict(list)
        for row in await model.filter(**filters).order_by(parent_field, order_by):
            grouped[getattr(row, parent_field)].append(row)
        return [grouped.get(k, []) for k in keys]

    return DataLoader(load_fn=load)


async def _on_demand_contacts(keys: list[int]) -> Sequence[list[int]]:
    from app.on_demand_shifts import service

    found = await service.contact_ids_of(keys)
    return [found[k] for k in keys]


async def _tier_shifts(
    org_id: int, keys: list[tuple[int, datetime, datetime]]
) -> Sequence[list[Any]]:
    from app import clock
    from app.timelines import service

    by_window: dict[tuple[datetime, datetime], set[int]] = defaultdict(set)
    for tier_id, start, end in keys:
        by_window[(start, end)].add(tier_id)
    tiers = {
        t.id: t
        for t in await tier_models.Tier.filter(organization_id=org_id, id__in={k[0] for k in keys})
    }
    found: dict[tuple[int, datetime, datetime], list[Any]] = {}
    now = clock.now()
    for (start, end), ids in by_window.items():
        rows = [tiers[i] for i in sorted(ids) if i in tiers]
        shifts = await service.tier_shifts(org_id=org_id, tiers=rows, start=start, end=end, now=now)
        for tier_id, values in shifts.items():
            found[(tier_id, start, end)] = values
    return [found.get(k, []) for k in keys]


class Loaders:
    """Fresh per request (and per subscription event), so nothing goes stale."""

    def __init__(self, org_id: int) -> None:
        self.org_id = org_id
        self.contact = by_id(contact_models.Contact, org_id)
        self.group = by_id(group_models.Group, org_id)
        self.schedule = by_id(schedule_models.Schedule, org_id)
        self.tier = by_id(tier_models.Tier, org_id)
        self.layer = by_id(layer_models.Layer, org_id)
        self.group_members = children(group_models.GroupMember, "group_id", "position")
        self.tiers_by_schedule = children(tier_models.Tier, "schedule_id", "number", org_id)
        self.layers_by_tier = children(layer_models.Layer, "tier_id", "index", org_id)
        self.participants_by_layer = children(layer_models.LayerParticipant, "layer_id", "position")
        self.on_demand_shift = by_id(on_demand_models.OnDemandShift, org_id)
        self.destination = by_id(destination_models.Destination, org_id)
        self.destinations_by_schedule = children(
            destination_models.Destination, "schedule_id", "name", org_id
        )
        self.on_demand_contacts: DataLoader[int, list[int]] = DataLoader(
            load_fn=_on_demand_contacts
        )
        self.tier_shifts: DataLoader[tuple[int, datetime, datetime], list[Any]] = DataLoader(
            load_fn=partial(_tier_shifts, org_id)
        )
        self.substitution = by_id(substitution_models.Substitution, org_id)
        # (owner kind, owner id, criteria) -> a contact's or schedule's substitutions
        self.substitutions_of: DataLoader[
            substitution_service.OwnerKey, list[substitution_models.Substitution]
        ] = DataLoader(load_fn=partial(substitution_service.load_owned, org_id=org_id))
