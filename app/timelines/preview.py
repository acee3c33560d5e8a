"""previewTier: a draft of a tier's layers and on-demand shifts, computed without saving,
with its difference from the saved tier."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from app.contacts import service as contact_service
from app.engine import OnDemandShiftInput, Shift, Timeline
from app.errors import BadUserInput, Collector
from app.layers import rosters
from app.layers import service as layer_service
from app.tiers import models as tier_models
from app.timelines import inputs
from app.timelines import service as timeline_service


class Change(enum.Enum):
    ADDED = "ADDED"
    REMOVED = "REMOVED"
    REASSIGNED = "REASSIGNED"


@dataclass(frozen=True)
class DiffPiece:
    start: datetime
    end: datetime
    change: Change
    before: tuple[int, ...]
    after: tuple[int, ...]


def _assignees_at(shifts: Sequence[Shift], points: list[datetime]) -> list[tuple[int, ...]]:
    out, i = [], 0
    for p in points:
        while i < len(shifts) and shifts[i].end <= p:
            i += 1
        out.append(shifts[i].assignees if i < len(shifts) and shifts[i].start <= p else ())
    return out


def diff(saved: Timeline, draft: Timeline) -> list[DiffPiece]:
    """Where the draft's final assignees differ from the saved ones, as maximal pieces."""
    cuts = sorted(
        {saved.start, saved.end}
        | {x for s in saved.shifts for x in (s.start, s.end)}
        | {x for s in draft.shifts for x in (s.start, s.end)}
    )
    starts = cuts[:-1]
    before = _assignees_at(saved.shifts, starts)
    after = _assignees_at(draft.shifts, starts)
    pieces: list[DiffPiece] = []
    for a, b, old, new in zip(starts, cuts[1:], before, after, strict=True):
        if old == new:
            continue
        change = Change.ADDED if not old else Change.REMOVED if not new else Change.REASSIGNED
        last = pieces[-1] if pieces else None
        if last and last.end == a and (last.change, last.before, last.after) == (change, old, new):
            pieces[-1] = replace(last, end=b)
        else:
            pieces.append(DiffPiece(a, b, change, old, new))
    return pieces


async def preview(
    *,
    org_id: int,
    tier: tier_models.Tier,
    layer_specs: Sequence[layer_service.LayerSpec] | None,
    on_demand: Sequence[tuple[datetime, datetime, tuple[int, ...]]] | None,
    start: datetime,
    end: datetime,
    now: datetime,
) -> tuple[Timeline, list[DiffPiece]]:
    """The draft's timeline and its diff against the saved one. ``None`` keeps the saved
    layers or on-demand shifts; nothing is written. Draft layers naming a stored layer's id
    continue its roster as if the draft were saved at ``now``."""
    saved_input = (await inputs.load_tier_inputs(org_id=org_id, tiers=[tier], until=end))[tier.id]
    draft_input = saved_input
    if layer_specs is not None:
        await layer_service.validate_specs(org_id=org_id, specs=layer_specs, prefix="draft.layers.")
        await layer_service.check_layer_ids(
            tier_id=tier.id, specs=layer_specs, prefix="draft.layers."
        )
        drafts = await rosters.draft_inputs(
            tier_id=tier.id, specs=layer_specs, now=now, last_year=end.year + 1
        )
        draft_input = replace(draft_input, layers=drafts)
    if on_demand is not None:
        errors = Collector("draft.onDemandShifts.")
        known = await contact_service.existing_ids(
            org_id=org_id, ids={pk for _, _, ids in on_demand for pk in ids}
        )
        for i, (a, b, ids) in enumerate(on_demand):
            if b <= a:
                errors.add(f"{i}.end", "must be after start")
            if not ids:
                errors.add(f"{i}.contactIds", "name at least one contact")
            if any(pk not in known for pk in ids):
                errors.missing(f"{i}.contactIds", "Contact")
        errors.raise_if_any()
        draft_input = replace(
            draft_input,
            on_demand_shifts=tuple(
                OnDemandShiftInput(id=-(i + 1), start=a, end=b, contact_ids=ids)
                for i, (a, b, ids) in enumerate(on_demand)
            ),
        )
    saved = (await timeline_service.compute(org_id=org_id, tiers=[tier], start=start, end=end))[
        tier.id
    ]
    try:
        draft = await timeline_service.run_engine(draft_input, start, end)
    except ValueError as exc:
        raise BadUserInput(str(exc), field="draft") from None
    return draft, diff(saved, draft)
