"""Reading cover requests: filters (OR inside a field, AND across fields) and sorts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet

from app.cover_requests import models
from app.errors import BadUserInput

SORT_FIELDS = {
    "ID": "id",
    "FROM": "start",
    "TO": "end",
    "STATUS": "status",
    "CREATED_AT": "created_at",
    "UPDATED_AT": "updated_at",
}
DEFAULT_SORT: tuple[tuple[str, bool], ...] = (("FROM", False),)


@dataclass(frozen=True)
class Criteria:
    ids: tuple[int, ...] | None = None
    schedule_ids: tuple[int, ...] | None = None
    requester_ids: tuple[int, ...] | None = None
    volunteer_ids: tuple[int, ...] | None = None
    offered_by_ids: tuple[int, ...] | None = None
    statuses: tuple[str, ...] | None = None
    overlapping: tuple[datetime, datetime] | None = None
    sort: tuple[tuple[str, bool], ...] = DEFAULT_SORT


def list_requests(*, org_id: int, criteria: Criteria) -> QuerySet[models.CoverRequest]:
    qs = models.CoverRequest.filter(organization_id=org_id)
    if criteria.ids is not None:
        qs = qs.filter(id__in=criteria.ids)
    if criteria.schedule_ids is not None:
        qs = qs.filter(schedule_id__in=criteria.schedule_ids)
    if criteria.requester_ids is not None:
        qs = qs.filter(requester_id__in=criteria.requester_ids)
    if criteria.volunteer_ids is not None:
        qs = qs.filter(volunteer_id__in=criteria.volunteer_ids)
    if criteria.offered_by_ids is not None:
        qs = qs.filter(
            id__in=Subquery(
                models.CoverOffer.filter(
                    organization_id=org_id, contact_id__in=criteria.offered_by_ids
                ).values("cover_request_id")
            )
        )
    if criteria.statuses is not None:
        qs = qs.filter(status__in=criteria.statuses)
    if criteria.overlapping is not None:
        start, end = criteria.overlapping
        if start.tzinfo is None or end.tzinfo is None or end <= start:
            raise BadUserInput("needs offsets and from before to", field="filter.overlapping")
        qs = qs.filter(start__lt=end, end__gt=start)
    order = [("-" if desc else "") + SORT_FIELDS[name] for name, desc in criteria.sort]
    return qs.order_by(*order, "id")
