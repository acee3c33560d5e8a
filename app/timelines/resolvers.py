"""Computed fields and operations of the schedule graph: thin wrappers over the services."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app import clock, cooperative
from app.api.context import Info, editor, viewer
from app.api.lazy import from_lazy
from app.api.relay import decode_id, decode_ids
from app.contacts.types import ContactType
from app.db import transaction
from app.layers.resolvers import to_spec
from app.layers.types import LayerInput
from app.shifts import final as final_shifts
from app.shifts import service as shift_service
from app.tiers import models as tier_models
from app.tiers import service as tier_service
from app.timelines import preview as preview_service
from app.timelines import service
from app.timelines.types import (
    Handoff,
    OnCallNow,
    ShiftType,
    TierTimelineType,
    contacts_of,
    people_of,
)

if TYPE_CHECKING:
    from app.tiers.types import TierType

_TIERS = strawberry.lazy("app.tiers.types")

From = Annotated[
    datetime, strawberry.argument(name="from", description="Window start (inclusive).")
]
To = Annotated[
    datetime,
    strawberry.argument(description="Window end (exclusive); at most 366 days after from."),
]


def _window(info: Info, start: datetime, end: datetime) -> None:
    service.check_window(start, end, max_days=info.context.settings.max_window_days)


async def tier_shifts(root: Any, info: Info, from_: From, to: To) -> list[ShiftType]:
    """The final shifts of the tier over [from, to): ordered assignees, origin, layer. The
    past since the tier was first confirmed comes from its confirmed rows."""
    _window(info, from_, to)
    shifts = await info.context.loaders.tier_shifts.load((root.pk, from_, to))
    people = await people_of(info, shifts)
    if len(shifts) > cooperative.SLICE:
        await cooperative.wait_turn()  # the tiers of a batch convert one loop turn each
    return [ShiftType.from_shift(root.pk, s, people) for s in shifts]


async def tier_timeline(root: Any, info: Info, from_: From, to: To) -> TierTimelineType:
    """The tier computed over [from, to): final shifts, each layer's own shifts with
    override marks, gaps and understaffed pieces."""
    _window(info, from_, to)
    tier = await info.context.loaders.tier.load(root.pk)
    assert tier is not None
    timeline = (
        await service.compute(org_id=info.context.org_id, tiers=[tier], start=from_, end=to)
    )[tier.id]
    return TierTimelineType.from_timeline(tier.id, timeline, await people_of(info, timeline.shifts))


async def schedule_on_call_now(root: Any, info: Info) -> list[OnCallNow]:
    """Per tier, who is on call now, since and until when."""
    tiers = await info.context.loaders.tiers_by_schedule.load(root.pk)
    now = clock.now_valid_until()
    found = await final_shifts.on_call_now(org_id=info.context.org_id, tiers=tiers, now=now)
    clock.valid_until(
        min((o.changes_at for o in found), default=now + final_shifts.ON_CALL_LOOKAHEAD)
    )
    return [
        OnCallNow(tier_pk=o.tier_id, assignee_ids=o.assignees, since=o.since, until=o.until)
        for o in found
    ]


async def schedule_next_handoffs(root: Any, info: Info, count: int = 5) -> list[Handoff]:
    """The next moments, across the schedule's tiers, when who is on call changes."""
    if not 1 <= count <= 100:
        from app.errors import BadUserInput

        raise BadUserInput("must be between 1 and 100", field="count")
    tiers = await info.context.loaders.tiers_by_schedule.load(root.pk)
    now = clock.now_valid_until()
    found = await final_shifts.next_handoffs(
        org_id=info.context.org_id, tiers=tiers, now=now, count=count
    )
    # The list changes when its first handoff passes (or when the look-ahead window moves).
    clock.valid_until(found[0].at if found else final_shifts.day_floor(now) + timedelta(days=1))
    return [
        Handoff(at=h.at, tier_pk=h.tier_id, before_ids=h.before, after_ids=h.after) for h in found
    ]


async def contact_shifts(root: Any, info: Info, from_: From, to: To) -> list[ShiftType]:
    """This person's shifts on every tier of every schedule, by start ("my on-call")."""
    _window(info, from_, to)
    tiers = await tier_models.Tier.filter(organization_id=info.context.org_id).order_by("id")
    keys = [(t.id, from_, to) for t in tiers]
    for t in tiers:
        info.context.loaders.tier.prime(t.id, t)
    results = await info.context.loaders.tier_shifts.load_many(keys)
    found = [
        (t.id, s)
        for t, shifts in zip(tiers, results, strict=True)
        for s in shifts
        if root.pk in s.assignees
    ]
    people = await people_of(info, [s for _, s in found])
    mine = [ShiftType.from_shift(tier_id, s, people) for tier_id, s in found]
    return sorted(mine, key=lambda s: (s.start, s.tier_pk))


@strawberry.input
class DraftOnDemandShiftInput:
    start: datetime
    end: datetime
    contact_ids: list[strawberry.ID]


@strawberry.input(description="A draft of a tier: null keeps what is saved.")
class TierDraftInput:
    layers: list[LayerInput] | None = None
    on_demand_shifts: list[DraftOnDemandShiftInput] | None = None


@strawberry.type(description="How the draft's final assignees differ from the saved tier's.")
class TimelineDiffPiece:
    start: datetime
    end: datetime
    change: Annotated[str, strawberry.field(description="ADDED, REMOVED or REASSIGNED.")]
    before_ids: strawberry.Private[tuple[int, ...]]
    after_ids: strawberry.Private[tuple[int, ...]]

    @strawberry.field
    async def before(self, info: Info) -> list[ContactType]:
        return await contacts_of(info, self.before_ids)

    @strawberry.field
    async def after(self, info: Info) -> list[ContactType]:
        return await contacts_of(info, self.after_ids)


@strawberry.type(
    description="A draft computed without saving, and its difference from the saved tier."
)
class TierPreview:
    timeline: TierTimelineType
    diff: list[TimelineDiffPiece]


@strawberry.type(description="What confirming one tier did.")
class TierConfirmation:
    tier_pk: strawberry.Private[int]
    confirmed_until: datetime
    changed_from: datetime | None = strawberry.field(
        description="The earliest instant whose confirmed assignment changed; null if none did."
    )
    new_assignment: bool

    @strawberry.field
    async def tier(self, info: Info) -> Annotated[TierType, strawberry.lazy("app.tiers.types")]:
        TierType = from_lazy(_TIERS, "TierType")
        row = await info.context.loaders.tier.load(self.tier_pk)
        assert row is not None
        return TierType.from_model(row)


@strawberry.type
class TimelineQuery:
    @strawberry.field(description="Compute a draft of a tier without saving anything.")
    async def preview_tier(
        self, info: Info, tier_id: strawberry.ID, draft: TierDraftInput, from_: From, to: To
    ) -> TierPreview:
        org_id = viewer(info)
        _window(info, from_, to)
        tier = await tier_service.get_tier(
            org_id=org_id, tier_id=decode_id(tier_id, "Tier", field="tierId")
        )
        specs = None
        if draft.layers is not None:
            specs = [to_spec(layer, f"draft.layers.{i}") for i, layer in enumerate(draft.layers)]
        on_demand = None
        if draft.on_demand_shifts is not None:
            on_demand = [
                (
                    s.start,
                    s.end,
                    tuple(
                        decode_ids(
                            s.contact_ids, "Contact", field=f"draft.onDemandShifts.{i}.contactIds"
                        )
                    ),
                )
                for i, s in enumerate(draft.on_demand_shifts)
            ]
        timeline, pieces = await preview_service.preview(
            org_id=org_id,
            tier=tier,
            layer_specs=specs,
            on_demand=on_demand,
            start=from_,
            end=to,
            now=clock.now(),
        )
        return TierPreview(
            timeline=TierTimelineType.from_timeline(
                tier.id, timeline, await people_of(info, timeline.shifts)
            ),
            diff=[
                TimelineDiffPiece(
                    start=p.start,
                    end=p.end,
                    change=p.change.value,
                    before_ids=p.before,
                    after_ids=p.after,
                )
                for p in pieces
            ],
        )


@strawberry.type
class TimelineMutation:
    @strawberry.mutation(
        description="Confirm a schedule's assignments from now to its horizon (or to `until`, "
        "if later): Shift rows are written, unchanged ones keep their ids, past ones never change."
    )
    async def confirm_assignments(
        self, info: Info, schedule_id: strawberry.ID, until: datetime | None = None
    ) -> list[TierConfirmation]:
        org_id = editor(info)
        pk = decode_id(schedule_id, "Schedule", field="scheduleId")
        from app.schedules import service as schedule_service

        async with transaction():
            await schedule_service.get_schedule(org_id=org_id, schedule_id=pk)
            results = await shift_service.confirm(
                org_id=org_id, schedule_id=pk, now=clock.now(), until=until
            )
        return [
            TierConfirmation(
                tier_pk=r.tier_id,
                confirmed_until=r.until,
                changed_from=r.changed_from,
                new_assignment=r.new_assignment,
            )
            for r in results
        ]
