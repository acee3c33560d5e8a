"""Who is on call and who may cover, around a cover request's window (SPEC §11).

One read of the schedule's tiers (``load_tier_inputs``), one engine call per tier: the
requester's on-call times come from the final shifts, candidates from the layers'
participants, their unavailability (substitutions and imported busy time reaching the
schedule) and the same shifts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.contacts import models as contact_models
from app.engine import Interval, compute_timeline, contact_unavailability
from app.engine.intervals import union
from app.ledger import ranking
from app.tiers import models as tier_models
from app.timelines.inputs import load_tier_inputs

CONTEXT = timedelta(days=7)
"""How far around the window the requester's on-call times are listed in a CONFLICT."""


@dataclass(frozen=True)
class Assessment:
    start: datetime
    end: datetime
    on_call: dict[int, list[Interval]]
    """Per contact, when it is on call in any tier of the schedule within
    [start - CONTEXT, end + CONTEXT), merged, in order."""
    participants: tuple[int, ...]
    """Every participant of the schedule's layers, in tier then layer order, once each."""
    unavailable: dict[int, tuple[Interval, ...]]
    """Per participant, its unavailability within [start, end)."""

    def on_call_within(self, contact_id: int, start: datetime, end: datetime) -> list[Interval]:
        return [
            Interval(max(i.start, start), min(i.end, end))
            for i in self.on_call.get(contact_id, [])
            if i.start < end and i.end > start
        ]

    def covers_window(self, contact_id: int) -> bool:
        """Whether ``contact_id`` is on call for the whole window."""
        return self.on_call_within(contact_id, self.start, self.end) == [
            Interval(self.start, self.end)
        ]

    def why_not_candidate(self, contact_id: int, requester_id: int) -> str | None:
        """None for a candidate, else the reason in a sentence."""
        if contact_id == requester_id:
            return "the requester cannot cover their own request"
        if contact_id not in self.participants:
            return "only participants of the schedule's layers can cover"
        if self.unavailable.get(contact_id):
            return "the contact is unavailable during the window"
        if self.on_call_within(contact_id, self.start, self.end):
            return "the contact is on call in a tier of the schedule during the window"
        return None

    def candidate_ids(self, requester_id: int) -> list[int]:
        return [c for c in self.participants if self.why_not_candidate(c, requester_id) is None]


async def assess(*, org_id: int, schedule_id: int, start: datetime, end: datetime) -> Assessment:
    tiers = await tier_models.Tier.filter(organization_id=org_id, schedule_id=schedule_id).order_by(
        "number"
    )
    lo, hi = start - CONTEXT, end + CONTEXT
    inputs = await load_tier_inputs(org_id=org_id, tiers=tiers, until=hi)
    spans: defaultdict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    participants: dict[int, None] = {}
    for tier in tiers:
        tier_input = inputs[tier.id]
        for shift in compute_timeline(tier_input, lo, hi).shifts:
            for contact_id in shift.assignees:
                spans[contact_id].append((shift.start, shift.end))
        for layer in tier_input.layers:
            for participant in layer.participants:
                participants.setdefault(participant.contact_id)
    unavailable: dict[int, tuple[Interval, ...]] = {}
    if tiers:
        first = inputs[tiers[0].id]  # substitutions and busy time are the schedule's alike
        for contact_id in participants:
            unavailable[contact_id] = contact_unavailability(
                contact_id, first.substitutions, first.busy_blocks, start, end
            )
    return Assessment(
        start=start,
        end=end,
        on_call={c: [Interval(a, b) for a, b in union(s)] for c, s in spans.items()},
        participants=tuple(participants),
        unavailable=unavailable,
    )


async def rank_candidates(
    *, org_id: int, schedule_id: int, contact_ids: Sequence[int], before: datetime
) -> list[contact_models.Contact]:
    """The order candidates are offered in: least loaded first over the 90 days before the
    window (``before``), as the fairness ledger ranks them (SPEC §14)."""
    del schedule_id  # load is the person's across every schedule
    ranked = await ranking.rank(org_id=org_id, contact_ids=contact_ids, before=before)
    return [load.contact for load in ranked]


async def suggest_cover(
    *, org_id: int, schedule_id: int, start: datetime, end: datetime
) -> list[ranking.Load]:
    """People who could cover [start, end) on the schedule (participants of its layers,
    available for the whole window, on call in no tier of it then), least loaded first with
    the figures that ranked them."""
    found = await assess(org_id=org_id, schedule_id=schedule_id, start=start, end=end)
    ids = [c for c in found.participants if found.why_not_candidate(c, requester_id=0) is None]
    return await ranking.rank(org_id=org_id, contact_ids=ids, before=start)
