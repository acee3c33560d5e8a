"""Imported busy time as the timeline engine's input: the calendars register it as a busy
source of the timelines (``app.timelines.inputs.BUSY_SOURCES``) when imported."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC

from app.calendars import models
from app.engine import BusyBlock
from app.engine.intervals import Span, union
from app.timelines import inputs as timeline_inputs


async def engine_blocks(*, org_id: int, contact_ids: set[int]) -> tuple[BusyBlock, ...]:
    """Every imported busy block of these contacts for the engine, in one query; blocks of
    several calendars of one contact are merged."""
    if not contact_ids:
        return ()
    rows = await models.AvailabilityBlock.filter(
        organization_id=org_id, contact_id__in=contact_ids
    ).values_list("contact_id", "start", "end")
    spans: dict[int, list[Span]] = defaultdict(list)
    for contact_id, start, end in rows:
        spans[contact_id].append((start.astimezone(UTC), end.astimezone(UTC)))
    return tuple(
        BusyBlock(contact_id=pk, start=s, end=e)
        for pk in sorted(spans)
        for s, e in union(spans[pk])
    )


async def _source(org_id: int, contact_ids: set[int]) -> tuple[BusyBlock, ...]:
    return await engine_blocks(org_id=org_id, contact_ids=contact_ids)


timeline_inputs.BUSY_SOURCES.append(_source)
