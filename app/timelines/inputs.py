"""Loads everything the engine needs for a set of tiers in one read (a query per kind)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from typing import Any

from app.engine import (
    BusyBlock,
    Direction,
    LayerInput,
    OnDemandShiftInput,
    Participant,
    Recurrence,
    RecurrenceType,
    Restriction,
    RestrictionKind,
    RotationUnit,
    SubstitutionInput,
    TierInput,
)
from app.groups import service as group_service
from app.layers import models as layer_models
from app.on_demand_shifts import models as on_demand_models
from app.tiers import models as tier_models


def restriction_input(raw: dict[str, Any]) -> Restriction:
    hours, minutes = (int(p) for p in raw["startTime"].split(":"))
    return Restriction(
        kind=RestrictionKind(raw["kind"]),
        start_time=time(hours, minutes),
        duration=timedelta(minutes=raw["durationMinutes"]),
        weekday=raw.get("weekday"),
    )


def expand_participants(
    entries: Sequence[tuple[int | None, int | None, list[int] | None]],
    members: dict[int, list[int]],
) -> tuple[Participant, ...]:
    """Entries (contact id, group id, weekdays) in order; groups become their members in
    order; a contact named twice keeps its first place."""
    seen: set[int] = set()
    out: list[Participant] = []
    for contact_id, group_id, weekdays in entries:
        ids = [contact_id] if contact_id is not None else members.get(group_id or 0, [])
        days = frozenset(weekdays) if weekdays is not None else None
        for pk in ids:
            if pk not in seen:
                seen.add(pk)
                out.append(Participant(contact_id=pk, weekdays=days))
    return tuple(out)


def layer_input(row: layer_models.Layer, participants: tuple[Participant, ...]) -> LayerInput:
    recurrence = None
    if row.recurrence_type and row.recurrence_from is not None:
        recurrence = Recurrence(
            type=RecurrenceType(row.recurrence_type),
            start=row.recurrence_from,
            end=row.recurrence_to,
            every_n=row.recurrence_every_n,
            rule=row.recurrence_rule,
        )
    return LayerInput(
        id=row.id,
        index=row.index,
        start=datetime.fromisoformat(row.start_local),
        zone=row.timezone,
        unit=RotationUnit(row.rotation_unit),
        length=row.rotation_length,
        participants=participants,
        on_call=row.staff_on_call,
        rotate=row.staff_to_rotate,
        direction=Direction(row.direction),
        restrictions=tuple(restriction_input(r) for r in row.restrictions),
        recurrence=recurrence,
        end=datetime.fromisoformat(row.end_local) if row.end_local else None,
        min_staff=row.min_staff,
        skip_unavailable=row.skip_unavailable,
    )


async def layers_for(tier_ids: Iterable[int]) -> dict[int, tuple[LayerInput, ...]]:
    """Every tier's layers as engine inputs: three queries whatever the number of tiers."""
    ids = set(tier_ids)
    rows = await layer_models.Layer.filter(tier_id__in=ids).order_by("tier_id", "index")
    entries: dict[int, list[tuple[int | None, int | None, list[int] | None]]] = defaultdict(list)
    if rows:
        for layer_id, contact_id, group_id, weekdays in (
            await layer_models.LayerParticipant.filter(layer_id__in=[r.id for r in rows])
            .order_by("layer_id", "position")
            .values_list("layer_id", "contact_id", "group_id", "weekdays")
        ):
            entries[layer_id].append((contact_id, group_id, weekdays))
    group_ids = {g for es in entries.values() for _, g, _ in es if g is not None}
    members = await group_service.members_of(group_ids=group_ids)
    out: dict[int, list[LayerInput]] = {pk: [] for pk in ids}
    for row in rows:
        out[row.tier_id].append(layer_input(row, expand_participants(entries[row.id], members)))
    return {pk: tuple(layers) for pk, layers in out.items()}


async def on_demand_for(tier_ids: Iterable[int]) -> dict[int, tuple[OnDemandShiftInput, ...]]:
    ids = set(tier_ids)
    rows = await on_demand_models.OnDemandShift.filter(tier_id__in=ids).order_by(
        "tier_id", "start", "id"
    )
    contacts: dict[int, list[int]] = defaultdict(list)
    if rows:
        for shift_id, contact_id in (
            await on_demand_models.OnDemandShiftContact.filter(shift_id__in=[r.id for r in rows])
            .order_by("shift_id", "position")
            .values_list("shift_id", "contact_id")
        ):
            contacts[shift_id].append(contact_id)
    out: dict[int, list[OnDemandShiftInput]] = {pk: [] for pk in ids}
    for row in rows:
        out[row.tier_id].append(
            OnDemandShiftInput(
                id=row.id, start=row.start, end=row.end, contact_ids=tuple(contacts[row.id])
            )
        )
    return {pk: tuple(v) for pk, v in out.items()}


async def substitutions_for(
    org_id: int, schedule_ids: set[int]
) -> dict[int, tuple[SubstitutionInput, ...]]:
    from app.substitutions import occurrences as substitution_occurrences

    return await substitution_occurrences.engine_inputs(org_id=org_id, schedule_ids=schedule_ids)


async def busy_blocks_for(org_id: int, contact_ids: set[int]) -> tuple[BusyBlock, ...]:
    """Imported busy time of these contacts (their calendars' availability blocks, merged
    per contact), in one query."""
    from app.calendars import service as calendar_service

    return await calendar_service.engine_blocks(org_id=org_id, contact_ids=contact_ids)


async def load_tier_inputs(
    *, org_id: int, tiers: Sequence[tier_models.Tier]
) -> dict[int, TierInput]:
    """One TierInput per tier, read with a fixed number of queries for any number of tiers."""
    if not tiers:
        return {}
    tier_ids = {t.id for t in tiers}
    layers = await layers_for(tier_ids)
    on_demand = await on_demand_for(tier_ids)
    subs = await substitutions_for(org_id, {t.schedule_id for t in tiers})
    contact_ids = {
        p.contact_id for ls in layers.values() for layer in ls for p in layer.participants
    }
    busy = await busy_blocks_for(org_id, contact_ids)
    return {
        t.id: TierInput(
            layers=layers[t.id],
            on_demand_shifts=on_demand[t.id],
            substitutions=subs.get(t.schedule_id, ()),
            busy_blocks=busy,
        )
        for t in tiers
    }


async def layers_from_specs(specs: Sequence[Any]) -> tuple[LayerInput, ...]:
    """Draft layers (validated ``app.layers.service.LayerSpec``s) as engine inputs. Draft
    layers have negative ids (-1, -2, …): they are not stored."""
    group_ids = {p.group_id for s in specs for p in s.participants if p.group_id is not None}
    members = await group_service.members_of(group_ids=group_ids)
    explicit = {s.index for s in specs if s.index is not None}
    free = (n for n in range(1, 10_000) if n not in explicit)
    out = []
    for i, spec in enumerate(specs):
        rec = spec.recurrence
        participants = expand_participants(
            [
                (p.contact_id, p.group_id, list(p.weekdays) if p.weekdays is not None else None)
                for p in spec.participants
            ],
            members,
        )
        out.append(
            LayerInput(
                id=-(i + 1),
                index=spec.index if spec.index is not None else next(free),
                start=spec.start,
                zone=spec.timezone,
                unit=RotationUnit(spec.unit),
                length=spec.length,
                participants=participants,
                on_call=spec.on_call,
                rotate=spec.to_rotate,
                direction=Direction(spec.direction),
                restrictions=tuple(restriction_input(r.as_json()) for r in spec.restrictions),
                recurrence=Recurrence(
                    type=RecurrenceType(rec.type),
                    start=rec.start,
                    end=rec.end,
                    every_n=rec.every_n,
                    rule=rec.rule,
                )
                if rec is not None and rec.start is not None
                else None,
                end=spec.end,
                min_staff=spec.min_staff,
                skip_unavailable=spec.skip_unavailable,
            )
        )
    return tuple(out)
