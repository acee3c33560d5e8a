from __future__ import annotations

import strawberry

from app import clock
from app.api.common import DeletePayload, SortDirection
from app.api.context import Info, editor, viewer
from app.api.relay import Connection, collect_reference, decode_id, paginate_list
from app.db import transaction
from app.errors import BadUserInput, Collector, MissingReferences
from app.layers import query as layer_query
from app.layers import service
from app.layers.rule_types import RosterChangeInput
from app.layers.types import LayerFilter, LayerInput, LayerSort, LayerType


def _reference(errors: Collector, field: str, value: str | None, type_name: str) -> int | None:
    if value is None:
        return None
    return collect_reference(errors, field, value, type_name)


def to_spec(data: LayerInput, field: str) -> service.LayerSpec:
    """Decode a LayerInput's ids and shape; semantic checks happen in the service."""
    errors = Collector(f"{field}.")
    staff = data.staff_rotation
    if data.rotation is not None:
        unit, length = data.rotation.unit.value, data.rotation.length
        if staff is not None and staff.num_intervals is not None:
            errors.add("staffRotation.numIntervals", "give rotation or numIntervals, not both")
    elif staff is not None and staff.num_intervals is not None:
        unit, length = "DAY", staff.num_intervals
        if length < 1:
            errors.add("staffRotation.numIntervals", "must be at least 1")
    else:
        unit, length = "WEEK", 1
    participants = [
        service.ParticipantSpec(
            contact_id=_reference(errors, f"participants.{i}.contactId", p.contact_id, "Contact"),
            group_id=_reference(errors, f"participants.{i}.groupId", p.group_id, "Group"),
            weekdays=tuple(d.value for d in p.weekdays) if p.weekdays is not None else None,
            working_hours=(p.working_hours.start, p.working_hours.end)
            if p.working_hours is not None
            else None,
        )
        for i, p in enumerate(data.participants)
    ]
    layer_id = _reference(errors, "id", data.id, "Layer")
    errors.raise_if_any()
    rec = data.recurrence
    return service.LayerSpec(
        name=data.name,
        start=data.start,
        end=data.end,
        timezone=data.timezone,
        unit=unit,
        length=length,
        index=data.index,
        on_call=staff.number_of_staff_on_call if staff else 1,
        to_rotate=staff.number_of_staff_to_rotate if staff else None,
        direction=staff.direction.value if staff else "FORWARD",
        participants=tuple(participants),
        restrictions=tuple(
            service.RestrictionSpec(
                kind=r.kind.value,
                start_time=r.start_time,
                duration_minutes=r.duration_minutes,
                weekday=r.start_weekday.value if r.start_weekday is not None else None,
            )
            for r in data.restrictions
        ),
        recurrence=service.RecurrenceSpec(
            type=rec.type.value, start=rec.from_, end=rec.to, every_n=rec.every_n, rule=rec.rule
        )
        if rec
        else None,
        min_staff=data.min_staff,
        skip_unavailable=data.skip_unavailable,
        on_holidays=data.on_holidays.value,
        participant_holidays=data.participant_holidays,
        pauses=tuple((p.from_, p.to) for p in data.pauses),
        advance=data.advance.value,
        layer_id=layer_id,
    )


def effective_spec(data: RosterChangeInput | None) -> service.EffectiveSpec | None:
    if data is None:
        return None
    return service.EffectiveSpec(mode=data.mode.value, at=data.at)


@strawberry.type
class LayerQuery:
    @strawberry.field(description="A layer by id.")
    async def layer(self, info: Info, id: strawberry.ID) -> LayerType:
        layer = await service.get_layer(org_id=viewer(info), layer_id=decode_id(id, "Layer"))
        return LayerType.from_model(layer)

    @strawberry.field(
        description="The organization's layers over their staffing fields: each filter field "
        "is a list matched with OR, fields are ANDed; sorts apply in order (default: schedule "
        "name, tier number, index)."
    )
    async def layers(
        self,
        info: Info,
        filter: LayerFilter | None = None,
        sort: list[LayerSort] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[LayerType]:
        org_id = viewer(info)
        rows = await layer_query.find_layers(
            org_id=org_id,
            spec=(filter or LayerFilter()).to_spec(),
            order=[(s.field.value, s.direction is SortDirection.DESC) for s in sort or []],
        )
        return paginate_list(
            [LayerType.from_model(m) for m in rows],
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
        )


@strawberry.type
class LayerMutation:
    @strawberry.mutation(description="Add a layer to a tier; without an index it goes on top.")
    async def create_layer(
        self, info: Info, tier_id: strawberry.ID, input: LayerInput
    ) -> LayerType:
        org_id = editor(info)
        spec = to_spec(input, "input")
        async with transaction():
            layer = await service.create_layer(
                org_id=org_id, tier_id=decode_id(tier_id, "Tier", field="tierId"), spec=spec
            )
        return LayerType.from_model(layer)

    @strawberry.mutation(
        description="Replace a layer's definition; its id stays. A changed participant list "
        "takes effect at the next handoff unless `effective` says otherwise."
    )
    async def update_layer(
        self,
        info: Info,
        id: strawberry.ID,
        input: LayerInput,
        effective: RosterChangeInput | None = None,
    ) -> LayerType:
        org_id = editor(info)
        spec = to_spec(input, "input")
        async with transaction():
            layer = await service.update_layer(
                org_id=org_id,
                layer_id=decode_id(id, "Layer"),
                spec=spec,
                now=clock.now(),
                effective=effective_spec(effective),
            )
        return LayerType.from_model(layer)

    @strawberry.mutation
    async def delete_layer(self, info: Info, id: strawberry.ID) -> DeletePayload:
        org_id = editor(info)
        async with transaction():
            await service.delete_layer(org_id=org_id, layer_id=decode_id(id, "Layer"))
        return DeletePayload(deleted_id=id)

    @strawberry.mutation(
        description="Replace all of a tier's layers at once (all or nothing). An entry with an "
        "`id` replaces that stored layer (which keeps its id and roster); stored layers no entry "
        "names are deleted. Roster changes take effect as `effective` says (default: the next "
        "handoff)."
    )
    async def set_tier_layers(
        self,
        info: Info,
        tier_id: strawberry.ID,
        layers: list[LayerInput],
        effective: RosterChangeInput | None = None,
    ) -> list[LayerType]:
        org_id = editor(info)
        errors = Collector()
        specs = []
        for i, data in enumerate(layers):
            try:
                specs.append(to_spec(data, f"layers.{i}"))
            except (BadUserInput, MissingReferences) as exc:
                errors.extend(exc.errors)
        errors.raise_if_any()
        async with transaction():
            rows = await service.set_tier_layers(
                org_id=org_id,
                tier_id=decode_id(tier_id, "Tier", field="tierId"),
                specs=specs,
                now=clock.now(),
                effective=effective_spec(effective),
            )
        return [LayerType.from_model(m) for m in rows]
