"""GraphQL types of computed timelines: shifts, per-layer views, gaps, on-call now."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry

from app.api.context import Info
from app.api.lazy import from_lazy
from app.contacts.types import ContactType
from app.engine import Interval, LayerShift, Shift, Timeline, Understaffed

if TYPE_CHECKING:
    from app.layers.types import LayerType
    from app.on_demand_shifts.types import OnDemandShiftType
    from app.tiers.types import TierType

_TIERS = strawberry.lazy("app.tiers.types")
_ON_DEMAND_SHIFTS = strawberry.lazy("app.on_demand_shifts.types")
_LAYERS = strawberry.lazy("app.layers.types")

LayerRef = Annotated["LayerType", strawberry.lazy("app.layers.types")]
OnDemandRef = Annotated["OnDemandShiftType", strawberry.lazy("app.on_demand_shifts.types")]
TierRef = Annotated["TierType", strawberry.lazy("app.tiers.types")]


@strawberry.enum(description="Where a shift comes from.")
class ShiftOrigin(enum.Enum):
    LAYER = "LAYER"
    ON_DEMAND = "ON_DEMAND"
    SUBSTITUTION = "SUBSTITUTION"


async def contacts_of(info: Info, ids: tuple[int, ...]) -> list[ContactType]:
    rows = await info.context.loaders.contact.load_many(list(ids))
    return [ContactType.from_model(r) for r in rows if r is not None]


async def people_of(info: Info, shifts: Sequence[Shift]) -> dict[int, ContactType]:
    """Every assignee of these shifts, loaded once (batched with other lists)."""
    ids = sorted({i for s in shifts for i in s.assignees})
    rows = await info.context.loaders.contact.load_many(ids)
    return {r.id: ContactType.from_model(r) for r in rows if r is not None}


async def _positions(info: Info, ids: tuple[int | None, ...]) -> list[ContactType | None]:
    rows = await info.context.loaders.contact.load_many([i for i in ids if i is not None])
    found = {r.id: r for r in rows if r is not None}
    return [ContactType.from_model(found[i]) if i in found else None for i in ids]


async def _layer(info: Info, pk: int | None) -> LayerType | None:
    LayerType = from_lazy(_LAYERS, "LayerType")
    if pk is None or pk < 0:
        return None
    row = await info.context.loaders.layer.load(pk)
    return LayerType.from_model(row) if row else None


async def _on_demand(info: Info, pk: int | None) -> OnDemandShiftType | None:
    OnDemandShiftType = from_lazy(_ON_DEMAND_SHIFTS, "OnDemandShiftType")
    if pk is None or pk < 0:
        return None
    row = await info.context.loaders.on_demand_shift.load(pk)
    return OnDemandShiftType.from_model(row) if row else None


@strawberry.type(name="Shift", description="A piece of a tier's final timeline.")
class ShiftType:
    start: datetime
    end: datetime
    origin: ShiftOrigin
    # A plain list (no resolver): the people of a whole list of shifts are loaded once
    # (``people_of``) before the shifts are made, so a shift costs no call to resolve them.
    assignees: list[ContactType] = strawberry.field(
        description="Who is on call, in order: 1 = primary, 2 = secondary…"
    )
    tier_pk: strawberry.Private[int]
    assignee_ids: strawberry.Private[tuple[int, ...]]
    position_ids: strawberry.Private[tuple[int | None, ...]]
    layer_pk: strawberry.Private[int | None]
    on_demand_pk: strawberry.Private[int | None]

    @strawberry.field(description="Positions 1..k of the layer; null where a position is empty.")
    async def positions(self, info: Info) -> list[ContactType | None]:
        return await _positions(info, self.position_ids)

    @strawberry.field(description="The layer this shift comes from (LAYER and SUBSTITUTION).")
    async def layer(self, info: Info) -> LayerRef | None:
        return await _layer(info, self.layer_pk)

    @strawberry.field(description="The on-demand shift this comes from (ON_DEMAND).")
    async def on_demand_shift(self, info: Info) -> OnDemandRef | None:
        return await _on_demand(info, self.on_demand_pk)

    @strawberry.field
    async def tier(self, info: Info) -> TierRef:
        TierType = from_lazy(_TIERS, "TierType")
        row = await info.context.loaders.tier.load(self.tier_pk)
        assert row is not None
        return TierType.from_model(row)

    @classmethod
    def from_shift(cls, tier_pk: int, s: Shift, people: Mapping[int, ContactType]) -> Self:
        """``people``: at least the shift's assignees that exist (``people_of``)."""
        return cls(
            assignees=[people[i] for i in s.assignees if i in people],
            start=s.start,
            end=s.end,
            origin=ShiftOrigin(s.origin.value),
            tier_pk=tier_pk,
            assignee_ids=s.assignees,
            position_ids=s.positions,
            layer_pk=s.layer_id,
            on_demand_pk=s.on_demand_id,
        )


@strawberry.type(description="A stretch of time.")
class TimeInterval:
    start: datetime
    end: datetime

    @classmethod
    def from_interval(cls, i: Interval) -> Self:
        return cls(start=i.start, end=i.end)


@strawberry.type(description="A piece of one layer's own rotation, after availability.")
class LayerShiftType:
    start: datetime
    end: datetime
    origin: ShiftOrigin
    overridden: bool = strawberry.field(
        description="Not in the final timeline: a higher layer or an on-demand shift holds it."
    )
    assignee_ids: strawberry.Private[tuple[int, ...]]
    position_ids: strawberry.Private[tuple[int | None, ...]]
    by_layer_pk: strawberry.Private[int | None]
    by_on_demand_pk: strawberry.Private[int | None]

    @strawberry.field
    async def assignees(self, info: Info) -> list[ContactType]:
        return await contacts_of(info, self.assignee_ids)

    @strawberry.field
    async def positions(self, info: Info) -> list[ContactType | None]:
        return await _positions(info, self.position_ids)

    @strawberry.field(description="The higher layer that overrides this piece.")
    async def overridden_by_layer(self, info: Info) -> LayerRef | None:
        return await _layer(info, self.by_layer_pk)

    @strawberry.field(description="The on-demand shift that overrides this piece.")
    async def overridden_by_on_demand_shift(self, info: Info) -> OnDemandRef | None:
        return await _on_demand(info, self.by_on_demand_pk)

    @classmethod
    def from_piece(cls, s: LayerShift) -> Self:
        return cls(
            start=s.start,
            end=s.end,
            origin=ShiftOrigin(s.origin.value),
            overridden=s.overridden,
            assignee_ids=s.assignees,
            position_ids=s.positions,
            by_layer_pk=s.overridden_by_layer_id,
            by_on_demand_pk=s.overridden_by_on_demand_id,
        )


@strawberry.type(description="One layer's own shifts within the window.")
class LayerTimelineType:
    layer_pk: strawberry.Private[int]
    shifts: list[LayerShiftType]

    @strawberry.field(description="Null for a draft layer in a preview.")
    async def layer(self, info: Info) -> LayerRef | None:
        return await _layer(info, self.layer_pk)


@strawberry.type(description="Where a layer had fewer people than its minStaff.")
class UnderstaffedPiece:
    start: datetime
    end: datetime
    filled: int
    required: int
    layer_pk: strawberry.Private[int]

    @strawberry.field
    async def layer(self, info: Info) -> LayerRef | None:
        return await _layer(info, self.layer_pk)

    @classmethod
    def from_piece(cls, u: Understaffed) -> Self:
        return cls(
            start=u.start, end=u.end, filled=u.filled, required=u.required, layer_pk=u.layer_id
        )


@strawberry.type(
    name="TierTimeline",
    description="A tier computed over a window: the final shifts, each layer's own shifts "
    "(marked where overridden), the gaps where nobody is on call, and understaffed pieces.",
)
class TierTimelineType:
    from_: datetime = strawberry.field(name="from")
    to: datetime
    shifts: list[ShiftType]
    layers: list[LayerTimelineType]
    gaps: list[TimeInterval]
    understaffed: list[UnderstaffedPiece]

    @classmethod
    def from_timeline(cls, tier_pk: int, t: Timeline, people: Mapping[int, ContactType]) -> Self:
        """``people``: the assignees of the timeline's shifts (``people_of``)."""
        return cls(
            from_=t.start,
            to=t.end,
            shifts=[ShiftType.from_shift(tier_pk, s, people) for s in t.shifts],
            layers=[
                LayerTimelineType(
                    layer_pk=v.layer_id, shifts=[LayerShiftType.from_piece(p) for p in v.shifts]
                )
                for v in t.layers
            ],
            gaps=[TimeInterval.from_interval(g) for g in t.gaps],
            understaffed=[UnderstaffedPiece.from_piece(u) for u in t.understaffed],
        )


@strawberry.type(description="Who is on call on one tier right now.")
class OnCallNow:
    tier_pk: strawberry.Private[int]
    assignee_ids: strawberry.Private[tuple[int, ...]]
    since: datetime | None = strawberry.field(description="Null when nobody is on call.")
    until: datetime | None

    @strawberry.field
    async def tier(self, info: Info) -> TierRef:
        TierType = from_lazy(_TIERS, "TierType")
        row = await info.context.loaders.tier.load(self.tier_pk)
        assert row is not None
        return TierType.from_model(row)

    @strawberry.field(description="In order: the first is the primary. Empty in a gap.")
    async def assignees(self, info: Info) -> list[ContactType]:
        return await contacts_of(info, self.assignee_ids)


@strawberry.type(description="A moment when who is on call on a tier changes.")
class Handoff:
    at: datetime
    tier_pk: strawberry.Private[int]
    before_ids: strawberry.Private[tuple[int, ...]]
    after_ids: strawberry.Private[tuple[int, ...]]

    @strawberry.field
    async def tier(self, info: Info) -> TierRef:
        TierType = from_lazy(_TIERS, "TierType")
        row = await info.context.loaders.tier.load(self.tier_pk)
        assert row is not None
        return TierType.from_model(row)

    @strawberry.field(name="from", description="On call until `at`.")
    async def from_(self, info: Info) -> list[ContactType]:
        return await contacts_of(info, self.before_ids)

    @strawberry.field(description="On call from `at`.")
    async def to(self, info: Info) -> list[ContactType]:
        return await contacts_of(info, self.after_ids)
