"""Warnings on on-demand shifts: known busy time of their contacts (the shift stands)."""

from __future__ import annotations

from app.contacts import models as contact_models
from app.engine import contact_unavailability
from app.on_demand_shifts import models as on_demand_models
from app.on_demand_shifts import service as on_demand_service
from app.tiers import models as tier_models
from app.timelines import inputs


async def on_demand_warnings(*, org_id: int, shift_id: int, tier_id: int) -> list[str]:
    shift = await on_demand_models.OnDemandShift.get_or_none(id=shift_id, organization_id=org_id)
    tier = await tier_models.Tier.get_or_none(id=tier_id, organization_id=org_id)
    if shift is None or tier is None:
        return []
    contact_ids = (await on_demand_service.contact_ids_of([shift.id]))[shift.id]
    subs = (await inputs.substitutions_for(org_id, {tier.schedule_id})).get(tier.schedule_id, ())
    busy = await inputs.busy_blocks_for(org_id, set(contact_ids))
    names = dict(await contact_models.Contact.filter(id__in=contact_ids).values_list("id", "name"))
    out = []
    for pk in contact_ids:
        for interval in contact_unavailability(pk, subs, busy, shift.start, shift.end):
            out.append(
                f"{names.get(pk, pk)} is unavailable from {interval.start.isoformat()} "
                f"to {interval.end.isoformat()}"
            )
    return out
