"""Reading substitutions: filter criteria, sorting, and batches for DataLoaders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from app.errors import Collector
from app.substitutions import models

KINDS = ("UNAVAILABLE", "REPLACEMENT")
SORT_COLUMNS = {
    "ID": "id",
    "STATUS": "status",
    "CREATED_AT": "created_at",
    "UPDATED_AT": "updated_at",
    "FROM": "recurrence_from",
    "ENDS_ON": "ends_on",
    "RECURRENCE_TYPE": "recurrence_type",
}
DEFAULT_SORT: tuple[tuple[str, bool], ...] = (("FROM", False),)


@dataclass(frozen=True)
class Criteria:
    """What to list. Each field is a list matched with OR (None = any); fields are ANDed.

    ``schedule_ids`` matches the stored schedule (a None entry = the org-wide ones);
    ``applies_to_schedule_ids`` matches what applies to those schedules (their own plus the
    org-wide ones). ``active_between`` keeps substitutions whose dates from..ends_on overlap
    the inclusive range. DELETED ones are left out unless ``statuses`` names DELETED.
    ``sort`` is (SORT_COLUMNS key, descending) pairs; ties go by id.
    """

    ids: tuple[int, ...] | None = None
    contact_ids: tuple[int, ...] | None = None
    replacement_ids: tuple[int, ...] | None = None
    schedule_ids: tuple[int | None, ...] | None = None
    applies_to_schedule_ids: tuple[int, ...] | None = None
    statuses: tuple[str, ...] | None = None
    kinds: tuple[str, ...] | None = None
    recurrence_types: tuple[str, ...] | None = None
    active_between: tuple[date, date] | None = None
    sort: tuple[tuple[str, bool], ...] = DEFAULT_SORT


def _apply(qs: QuerySet[models.Substitution], c: Criteria) -> QuerySet[models.Substitution]:
    if c.ids is not None:
        qs = qs.filter(id__in=c.ids)
    if c.contact_ids is not None:
        qs = qs.filter(contact_id__in=c.contact_ids)
    if c.replacement_ids is not None:
        qs = qs.filter(replacement_id__in=c.replacement_ids)
    if c.schedule_ids is not None:
        own = [s for s in c.schedule_ids if s is not None]
        clause = Q(schedule_id__in=own)
        if None in c.schedule_ids:
            clause = clause | Q(schedule_id__isnull=True)
        qs = qs.filter(clause)
    if c.applies_to_schedule_ids is not None:
        qs = qs.filter(Q(schedule_id__in=c.applies_to_schedule_ids) | Q(schedule_id__isnull=True))
    qs = qs.filter(status__in=c.statuses if c.statuses is not None else ("ACTIVE",))
    if c.kinds is not None and set(c.kinds) != set(KINDS):
        if not c.kinds:
            qs = qs.filter(id__in=[])
        else:
            qs = qs.filter(replacement_id__isnull=c.kinds[0] == "UNAVAILABLE")
    if c.recurrence_types is not None:
        qs = qs.filter(recurrence_type__in=c.recurrence_types)
    if c.active_between is not None:
        first, last = c.active_between
        qs = qs.filter(recurrence_from__lte=last).filter(
            Q(ends_on__gte=first) | Q(ends_on__isnull=True)
        )
    order = [("-" if desc else "") + SORT_COLUMNS[name] for name, desc in c.sort]
    if not any(o.lstrip("-") == "id" for o in order):
        order.append("id")
    return qs.order_by(*order)


def check_criteria(c: Criteria, *, prefix: str = "") -> None:
    errors = Collector(prefix)
    if c.active_between is not None and c.active_between[1] < c.active_between[0]:
        errors.add("filter.activeBetween.to", "must not be before from")
    names = [name for name, _ in c.sort]
    if len(names) != len(set(names)):
        errors.add("sort", "names a field twice")
    errors.raise_if_any()


def list_substitutions(*, org_id: int, criteria: Criteria) -> QuerySet[models.Substitution]:
    """The organization's substitutions matching ``criteria``, sorted."""
    check_criteria(criteria)
    return _apply(models.Substitution.filter(organization_id=org_id), criteria)


async def substitutions_of(
    *,
    org_id: int,
    owner: Literal["contact", "schedule"],
    owner_ids: Sequence[int],
    criteria: Criteria,
) -> dict[int, list[models.Substitution]]:
    """For many contacts (as the substituted contact) or schedules (their own plus org-wide
    ones) at once, the matching substitutions of each, sorted: one query for all owners."""
    keys = set(owner_ids)
    if owner == "contact":
        narrowed = replace(criteria, contact_ids=_intersect(criteria.contact_ids, keys))
    else:
        narrowed = replace(
            criteria,
            applies_to_schedule_ids=_intersect(criteria.applies_to_schedule_ids, keys),
        )
    grouped: dict[int, list[models.Substitution]] = {k: [] for k in keys}
    for row in await list_substitutions(org_id=org_id, criteria=narrowed):
        if owner == "contact":
            grouped[row.contact_id].append(row)
        elif row.schedule_id is None:
            for rows in grouped.values():
                rows.append(row)
        elif row.schedule_id in grouped:
            grouped[row.schedule_id].append(row)
    return grouped


OwnerKey = tuple[Literal["contact", "schedule"], int, Criteria]


async def load_owned(keys: Sequence[OwnerKey], *, org_id: int) -> list[list[models.Substitution]]:
    """A DataLoader's batch: one query per distinct (owner kind, criteria), usually one."""
    groups: defaultdict[tuple[Literal["contact", "schedule"], Criteria], set[int]] = defaultdict(
        set
    )
    for owner, pk, criteria in keys:
        groups[(owner, criteria)].add(pk)
    found: dict[OwnerKey, list[models.Substitution]] = {}
    for (owner, criteria), pks in groups.items():
        by_owner = await substitutions_of(
            org_id=org_id, owner=owner, owner_ids=sorted(pks), criteria=criteria
        )
        for pk, rows in by_owner.items():
            found[(owner, pk, criteria)] = rows
    return [found[key] for key in keys]


def _intersect(current: tuple[int, ...] | None, keys: set[int]) -> tuple[int, ...]:
    return tuple(sorted(keys if current is None else keys & set(current)))
