"""Carry out a plan through the domain services: contacts in one transaction, then one
transaction per schedule (its tiers, layers and on-demand shifts), so a schedule that cannot
be written leaves the others and nothing of itself. Links remember what each write left.
"""

from __future__ import annotations

from app.contacts import service as contact_service
from app.db import transaction
from app.imports import desired
from app.imports.models import ImportLink
from app.imports.plan import Item, Plan
from app.imports.state import State
from app.layers import models as layer_models
from app.layers import service as layer_service
from app.on_demand_shifts import service as shift_service
from app.schedules import service as schedule_service
from app.tiers import service as tier_service

WRITES = ("CREATE", "UPDATE")


async def _link(org_id: int, vendor: str, state: State, item: Item) -> None:
    if item.local_id is None:
        return
    link = state.links.get((item.kind, item.source_id))
    if link is None:
        link = await ImportLink.create(
            organization_id=org_id,
            source=vendor,
            kind=item.kind,
            source_id=item.source_id,
            local_id=item.local_id,
            fingerprint=item.fingerprint,
        )
        state.links[(item.kind, item.source_id)] = link
    elif (link.local_id, link.fingerprint) != (item.local_id, item.fingerprint):
        link.local_id, link.fingerprint = item.local_id, item.fingerprint
        await link.save(update_fields=["local_id", "fingerprint", "updated_at"])


async def _unlink(org_id: int, vendor: str, state: State, item: Item) -> None:
    link = state.links.pop((item.kind, item.source_id), None)
    if link is not None:
        await ImportLink.filter(id=link.id, organization_id=org_id, source=vendor).delete()


async def apply_contacts(*, org_id: int, plan: Plan, state: State) -> None:
    """Create the missing contacts; remember matched and created ones."""
    async with transaction():
        for item in plan.of("contact"):
            contact: desired.Contact = item.payload
            if item.action == "CREATE":
                row = await contact_service.create_contact(
                    org_id=org_id,
                    fields=contact_service.ContactFields(
                        name=contact.name, email=contact.email, timezone=contact.timezone
                    ),
                )
                item.local_id = row.id
            await _link(org_id, plan.vendor, state, item)


def _layer_spec(layer: desired.Layer, ids: dict[str, int]) -> layer_service.LayerSpec:
    return layer_service.LayerSpec(
        name=layer.name,
        start=layer.start,
        timezone=layer.zone,
        unit=layer.unit,
        length=layer.length,
        index=layer.index,
        end=layer.end,
        on_call=layer.on_call,
        advance=layer.advance,
        participants=tuple(layer_service.ParticipantSpec(contact_id=ids[u]) for u in layer.users),
        restrictions=tuple(
            layer_service.RestrictionSpec(w.kind, w.start_time, w.minutes, w.weekday)
            for w in layer.windows
        ),
    )


async def _layers(org_id: int, tier_id: int, items: list[Item], ids: dict[str, int]) -> None:
    for item in items:
        if item.action == "DELETE" and item.local_id is not None:
            await layer_service.delete_layer(org_id=org_id, layer_id=item.local_id)
    moving = [i for i in items if i.action == "UPDATE" and i.local_id is not None]
    for item in moving:  # free every index first, so two layers can swap places
        await layer_models.Layer.filter(id=item.local_id, tier_id=tier_id).update(
            index=-(item.local_id or 0)
        )
    for item in moving:
        await layer_service.update_layer(
            org_id=org_id,
            layer_id=item.local_id or 0,
            spec=_layer_spec(item.payload, ids),
            keep_roster=False,  # the vendor's rotation, as it computes it
        )
    for item in items:
        if item.action == "CREATE":
            row = await layer_service.create_layer(
                org_id=org_id, tier_id=tier_id, spec=_layer_spec(item.payload, ids)
            )
            item.local_id = row.id


async def _shifts(
    org_id: int, tier_id: int, items: list[Item], ids: dict[str, int], *, sure: bool
) -> None:
    """Changed shifts are replaced (delete, then create), so no intermediate state of the
    tier has two imported shifts overlapping; the shifts written never overlap each other,
    and trim on-demand shifts added here only with ``sure`` (--overwrite)."""
    for item in items:
        if item.action in ("DELETE", "UPDATE") and item.local_id is not None:
            await shift_service.delete_shift(org_id=org_id, shift_id=item.local_id)
    for item in items:
        if item.action in ("CREATE", "UPDATE"):
            shift: desired.Shift = item.payload
            row = await shift_service.create_shift(
                org_id=org_id,
                tier_id=tier_id,
                sure=sure,
                spec=shift_service.ShiftSpec(
                    shift.start, shift.end, tuple(ids[u] for u in shift.users)
                ),
            )
            item.local_id = row.id


async def apply_schedule(*, org_id: int, plan: Plan, state: State, item: Item) -> None:
    """One schedule with everything under it, in one transaction."""
    schedule: desired.Schedule = item.payload
    ids = plan.contact_ids
    async with transaction():
        if item.action == "CREATE":
            row = await schedule_service.create_schedule(
                org_id=org_id,
                tier_count=0,
                fields=schedule_service.ScheduleFields(
                    name=schedule.name, customer=schedule.customer, timezone=schedule.zone
                ),
            )
            item.local_id = row.id
        elif item.action == "UPDATE":
            await schedule_service.update_schedule(
                org_id=org_id,
                schedule_id=item.local_id or 0,
                changes={
                    "name": schedule.name,
                    "customer": schedule.customer,
                    "timezone": schedule.zone,
                },
            )
        if item.action in (*WRITES, "UNCHANGED"):
            await _link(org_id, plan.vendor, state, item)
        if item.local_id is None:
            return
        for tier_item in [i for i in plan.items if i.kind == "tier" and i.parent == item.source_id]:
            tier: desired.Tier | None = tier_item.payload
            if tier_item.action == "CREATE" and tier is not None:
                tier_row = await schedule_service.create_tier(
                    org_id=org_id, schedule_id=item.local_id, number=None, name=tier.name
                )
                tier_item.local_id = tier_row.id
            elif tier_item.action == "UPDATE" and tier is not None:
                await tier_service.update_tier(
                    org_id=org_id, tier_id=tier_item.local_id or 0, name=tier.name
                )
            if tier_item.action in (*WRITES, "UNCHANGED"):
                await _link(org_id, plan.vendor, state, tier_item)
            if tier_item.local_id is None or tier is None:
                continue
            children = [i for i in plan.items if i.parent == tier_item.source_id]
            await _layers(
                org_id, tier_item.local_id, [i for i in children if i.kind == "layer"], ids
            )
            await _shifts(
                org_id,
                tier_item.local_id,
                [i for i in children if i.kind == "shift"],
                ids,
                sure=plan.overwrite,
            )
            for child in children:
                if child.action == "DELETE":
                    await _unlink(org_id, plan.vendor, state, child)
                elif child.action in (*WRITES, "UNCHANGED"):
                    await _link(org_id, plan.vendor, state, child)
