"""Recording the outcomes of a batch of exports in one short transaction.

The statements do not depend on how many outcomes are recorded: the destinations are locked
and read once, their tiers once (the confirmed rows only for a source whose versions moved
while the export was in flight), and destinations and deliveries are written with one
statement per distinct outcome (the same range exported, the same error), all stamped with
the instant of the recording; statuses are refreshed once for the flush.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.expressions import F, Q

from app import clock, versions
from app.destinations import models
from app.destinations.adapters.base import ExportResult, Segment
from app.destinations.planning import Plan
from app.destinations.sources import sources, tier_state, tiers_by_source
from app.destinations.tracking import refresh_statuses


@dataclass
class Outcome:
    """What became of one planned export: ``error`` is None when the adapter succeeded."""

    plan: Plan
    error: str | None = None
    result: ExportResult = field(default_factory=ExportResult)


def _moved(planned: models.Destination, fresh: models.Destination) -> bool:
    return (fresh.exported_until, fresh.cover_until, fresh.tier_number, fresh.position) != (
        planned.exported_until,
        planned.cover_until,
        planned.tier_number,
        planned.position,
    )


def _valid_until(
    plan: Plan, fresh: models.Destination, current: list[Segment] | None
) -> datetime | None:
    """None when what ``plan`` sent is still the truth; else the instant up to which it is.

    An export reads the confirmed shifts, sends, then records: a change confirmed in
    between must not be covered by the recorded exportedUntil. Either the change's rewind
    already moved this row (exportedUntil / coverUntil / source differ from the plan's), or
    the rows differ from what was sent: then only the unchanged leading shifts count.
    ``current`` is None when the source's versions did not move (nothing changed)."""
    request, planned = plan.request, plan.destination
    moved = _moved(planned, fresh)
    if (fresh.tier_number, fresh.position) != (planned.tier_number, planned.position):
        return request.range_start  # sent for another source: nothing of it counts
    if current is None:
        return None
    start, end = request.range_start, request.range_end
    now_current = [s for s in current if s.end > start and s.start < end]
    sent = list(request.segments)
    same = 0
    while same < min(len(sent), len(now_current)) and sent[same] == now_current[same]:
        same += 1
    if same == len(sent) == len(now_current):
        return fresh.exported_until if moved and fresh.exported_until is not None else None
    valid = sent[same - 1].end if same else request.range_start
    if moved and fresh.exported_until is not None:
        valid = min(valid, fresh.exported_until)
    return valid


def _apply(
    outcome: Outcome, fresh: models.Destination, valid_until: datetime | None, now: datetime
) -> None:
    """The outcome of one export on its freshly locked row (in memory), recorded at ``now``."""
    plan, request = outcome.plan, outcome.plan.request
    fresh.attempts_finished += 1
    fresh.last_attempt_at = plan.planned_at
    if (
        fresh.export_due_at is not None
        and fresh.export_due_at <= plan.planned_at
        and valid_until is None
    ):
        # Done; a request that arrived while this attempt ran stays due, and so does a
        # change that overtook this export.
        fresh.export_due_at = None
    if outcome.error is not None:
        fresh.last_error = outcome.error[:2000]
        return
    if valid_until is not None:
        # The confirmed shifts changed while this export was in flight: keep exportedUntil
        # short of the change, and let the next export cover everything this one replaced
        # at the destination.
        if valid_until > request.range_start:
            fresh.exported_until = valid_until
        fresh.cover_until = max(fresh.cover_until or request.range_end, request.range_end)
    elif request.segments:
        fresh.exported_until = request.segments[-1].end
        fresh.cover_until = None
    else:
        if fresh.exported_until is None or fresh.exported_until < request.range_start:
            fresh.exported_until = request.range_start
        fresh.cover_until = None
    fresh.last_error = None
    fresh.last_success_at = now


async def _write_rows(
    rows: Sequence[models.Destination], outcomes: Sequence[Outcome], now: datetime
) -> None:
    """The destinations' new state and their deliveries' outcome: one UPDATE per distinct
    set of values (a batch exporting the same range of a source with the same result is
    one), never one per destination."""
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for d in rows:
        values = (d.last_attempt_at, d.export_due_at, d.exported_until, d.cover_until)
        groups[(*values, d.last_error, d.last_success_at)].append(d.id)
    for (attempt, due, until, cover, error, success), ids in groups.items():
        await models.Destination.filter(id__in=ids).update(
            attempts_finished=F("attempts_finished") + 1,
            last_attempt_at=attempt,
            export_due_at=due,
            exported_until=until,
            cover_until=cover,
            last_error=error,
            last_success_at=success,
            updated_at=now,
        )
    deliveries: dict[str | None, list[int]] = defaultdict(list)
    for o in outcomes:
        assert o.plan.delivery_id is not None
        deliveries[o.error].append(o.plan.delivery_id)
    for delivery_error, ids in deliveries.items():
        await models.Delivery.filter(id__in=ids).update(
            state="OK" if delivery_error is None else "FAILED",
            error=delivery_error,
            finished_at=now,
        )


async def _write_items(outcomes: Sequence[Outcome]) -> None:
    removed = [(o.plan.destination.id, o.result.removed) for o in outcomes if o.result.removed]
    if removed:
        await models.ExternalItem.filter(
            Q(*(Q(destination_id=d, external_id__in=ids) for d, ids in removed), join_type=Q.OR)
        ).delete()
    created = [
        models.ExternalItem(
            destination_id=o.plan.destination.id,
            external_id=i.external_id,
            start=i.start,
            end=i.end,
        )
        for o in outcomes
        for i in o.result.created
    ]
    if created:
        await models.ExternalItem.bulk_create(created)


async def record_outcomes(outcomes: Sequence[Outcome]) -> None:
    """Within the caller's transaction: record ``outcomes`` (of distinct destinations, each
    planned by this process and not recorded yet) and refresh the statuses they move."""
    now = clock.now()
    ids = sorted(o.plan.destination.id for o in outcomes)
    # Locked in id order, as a confirmation's rewind locks them: the two never cross.
    fresh_rows = {
        d.id: d
        for d in await models.Destination.filter(id__in=ids).select_for_update().order_by("id")
    }
    for d in fresh_rows.values():
        # lastAttemptAt and the outcome are visible: cached answers go stale.
        versions.touch(d.organization_id)
    live = [o for o in outcomes if o.plan.destination.id in fresh_rows]
    tiers = await tiers_by_source(fresh_rows.values()) if live else {}
    # Confirmed rows change only with their tier's versions: read them again only for the
    # sources that moved while the export was in flight.
    unsettled = []
    for o in live:
        fresh = fresh_rows[o.plan.destination.id]
        tier = tiers.get((fresh.schedule_id, fresh.tier_number))
        if o.error is None and (
            _moved(o.plan.destination, fresh) or tier_state(tier) != o.plan.tier_state
        ):
            unsettled.append(o)
    current = (
        await sources(
            [fresh_rows[o.plan.destination.id] for o in unsettled],
            since={
                o.plan.destination.id: min(
                    o.plan.destination.exported_until or o.plan.planned_at, o.plan.planned_at
                )
                for o in unsettled
            },
            tiers=tiers,
        )
        if unsettled
        else {}
    )
    known: dict[int, list[Segment]] = {}
    for o in live:
        fresh = fresh_rows[o.plan.destination.id]
        valid_until = None
        if o.error is None:
            segments = current[fresh.id][1] if fresh.id in current else None
            valid_until = _valid_until(o.plan, fresh, segments)
            if valid_until is None:
                # Unchanged since the plan read them: no need to read the shifts again.
                known[fresh.id] = o.plan.segments
        _apply(o, fresh, valid_until, now)
    if live:
        await _write_rows([fresh_rows[o.plan.destination.id] for o in live], live, now)
        await _write_items([o for o in live if o.error is None])
        await refresh_statuses(
            schedule_ids={fresh_rows[o.plan.destination.id].schedule_id for o in live},
            destination_ids={o.plan.destination.id for o in live},
            known=known,
            loaded=[fresh_rows[o.plan.destination.id] for o in live],
            now=now,
        )
