"""``Schedule.stats``: a thin wrapper over ``app.stats.service``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from app import clock
from app.api.context import Info
from app.api.relay import Connection, paginate_list
from app.errors import Collector
from app.stats import service
from app.stats.types import ContactStatsType, StatsOrder
from app.timelines import service as timeline_service


def window(
    *,
    timeframe_days: int,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
    max_days: int,
) -> tuple[datetime, datetime]:
    """[from, to) when both are given, else the last ``timeframe_days`` days up to now."""
    errors = Collector()
    if start is None and end is not None:
        errors.add("from", "give both from and to, or neither")
    elif end is None and start is not None:
        errors.add("to", "give both from and to, or neither")
    elif start is None and not 1 <= timeframe_days <= max_days:
        errors.add("timeframeDays", f"must be between 1 and {max_days}")
    errors.raise_if_any()
    if start is not None and end is not None:
        timeline_service.check_window(start, end, max_days=max_days)
        return start, end
    return now - timedelta(days=timeframe_days), now


async def schedule_stats(
    root: Any,
    info: Info,
    timeframe_days: int,
    start: datetime | None,
    end: datetime | None,
    order_by: list[StatsOrder] | None,
    first: int | None,
    after: str | None,
) -> Connection[ContactStatsType]:
    """Per contact on call on the schedule's tiers in the window, ordered and paged."""
    now = clock.now()
    lo, hi = window(
        timeframe_days=timeframe_days,
        start=start,
        end=end,
        now=now,
        max_days=info.context.settings.max_window_days,
    )
    by = [o.to_key() for o in order_by] if order_by else service.DEFAULT_ORDER
    tiers = await info.context.loaders.tiers_by_schedule.load(root.pk)
    rows = await service.schedule_stats(
        org_id=info.context.org_id, tiers=tiers, start=lo, end=hi, now=now, by=by
    )
    for row in rows:
        info.context.loaders.contact.prime(row.contact.id, row.contact)
    return paginate_list(
        [ContactStatsType.from_stats(r) for r in rows],
        first=first,
        after=after,
        cap=info.context.settings.page_size_cap,
    )
