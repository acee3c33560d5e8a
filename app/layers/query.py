"""The organization-wide `layers` query: filters over the staffing fields, sorts, paging.

Each filter field takes a list matched with OR; fields are ANDed. Filtering happens over
the organization's layers in memory after one read of layers, participants, tiers and
schedules, since several fields are derived (participant type, effective minStaff).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.layers import models
from app.schedules import models as schedule_models
from app.tiers import models as tier_models


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date


@dataclass(frozen=True)
class LayerFilterSpec:
    ids: Sequence[int] | None = None
    names: Sequence[str] | None = None
    name_contains: Sequence[str] | None = None
    schedule_ids: Sequence[int] | None = None
    tier_ids: Sequence[int] | None = None
    tier_numbers: Sequence[int] | None = None
    recurrence_types: Sequence[str | None] | None = None
    recurrence_from: DateRange | None = None
    recurrence_to: DateRange | None = None
    active_between: DateRange | None = None
    every_n: Sequence[int] | None = None
    participant_types: Sequence[str] | None = None
    min_staff: Sequence[int] | None = None
    staff_on_call: Sequence[int] | None = None
    staff_to_rotate: Sequence[int] | None = None
    directions: Sequence[str] | None = None
    rotation_units: Sequence[str] | None = None


@dataclass
class Row:
    layer: models.Layer
    tier: tier_models.Tier
    schedule: schedule_models.Schedule
    participant_type: str | None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def min_staff(self) -> int:
        return (
            self.layer.min_staff if self.layer.min_staff is not None else self.layer.staff_on_call
        )

    @property
    def staff_to_rotate(self) -> int:
        return self.layer.staff_to_rotate or self.layer.staff_on_call


def participant_type(entries: Sequence[tuple[int | None, int | None]]) -> str | None:
    """CONTACT, GROUP or MIXED, as the reference names staff assignments; None when empty."""
    kinds = {"CONTACT" if c is not None else "GROUP" for c, _ in entries}
    if not kinds:
        return None
    return kinds.pop() if len(kinds) == 1 else "MIXED"


async def load_rows(*, org_id: int) -> list[Row]:
    layers = await models.Layer.filter(organization_id=org_id)
    if not layers:
        return []
    entries: dict[int, list[tuple[int | None, int | None]]] = defaultdict(list)
    for layer_id, contact_id, group_id in await models.LayerParticipant.filter(
        layer_id__in=[x.id for x in layers]
    ).values_list("layer_id", "contact_id", "group_id"):
        entries[layer_id].append((contact_id, group_id))
    tiers = {t.id: t for t in await tier_models.Tier.filter(organization_id=org_id)}
    schedules = {s.id: s for s in await schedule_models.Schedule.filter(organization_id=org_id)}
    rows = []
    for layer in layers:
        tier = tiers[layer.tier_id]
        rows.append(
            Row(layer, tier, schedules[tier.schedule_id], participant_type(entries[layer.id]))
        )
    return rows


def _overlaps(start: date | None, end: date | None, r: DateRange) -> bool:
    """A layer without a recurrence applies always; an open end runs forever."""
    return (start is None or start <= r.end) and (end is None or end >= r.start)


def _in(r: DateRange, value: date | None) -> bool:
    return value is not None and r.start <= value <= r.end


def matches(row: Row, f: LayerFilterSpec) -> bool:
    layer = row.layer
    checks: list[tuple[Any, Callable[[], bool]]] = [
        (f.ids, lambda: layer.id in (f.ids or ())),
        (f.names, lambda: layer.name in (f.names or ())),
        (
            f.name_contains,
            lambda: any(n.lower() in layer.name.lower() for n in f.name_contains or ()),
        ),
        (f.schedule_ids, lambda: row.schedule.id in (f.schedule_ids or ())),
        (f.tier_ids, lambda: row.tier.id in (f.tier_ids or ())),
        (f.tier_numbers, lambda: row.tier.number in (f.tier_numbers or ())),
        (f.recurrence_types, lambda: layer.recurrence_type in (f.recurrence_types or ())),
        (
            f.recurrence_from,
            lambda: f.recurrence_from is not None and _in(f.recurrence_from, layer.recurrence_from),
        ),
        (
            f.recurrence_to,
            lambda: f.recurrence_to is not None and _in(f.recurrence_to, layer.recurrence_to),
        ),
        (
            f.active_between,
            lambda: (
                f.active_between is not None
                and _overlaps(layer.recurrence_from, layer.recurrence_to, f.active_between)
            ),
        ),
        (f.every_n, lambda: layer.recurrence_every_n in (f.every_n or ())),
        (f.participant_types, lambda: row.participant_type in (f.participant_types or ())),
        (f.min_staff, lambda: row.min_staff in (f.min_staff or ())),
        (f.staff_on_call, lambda: layer.staff_on_call in (f.staff_on_call or ())),
        (f.staff_to_rotate, lambda: row.staff_to_rotate in (f.staff_to_rotate or ())),
        (f.directions, lambda: layer.direction in (f.directions or ())),
        (f.rotation_units, lambda: layer.rotation_unit in (f.rotation_units or ())),
    ]
    return all(check() for value, check in checks if value is not None)


SORT_KEYS: dict[str, Callable[[Row], Any]] = {
    "NAME": lambda r: r.layer.name.lower(),
    "INDEX": lambda r: r.layer.index,
    "SCHEDULE_NAME": lambda r: r.schedule.name.lower(),
    "TIER_NUMBER": lambda r: r.tier.number,
    "RECURRENCE_FROM": lambda r: (
        r.layer.recurrence_from is None,
        r.layer.recurrence_from or date.min,
    ),
    "RECURRENCE_TO": lambda r: (r.layer.recurrence_to is None, r.layer.recurrence_to or date.max),
    "MIN_STAFF": lambda r: r.min_staff,
    "STAFF_ON_CALL": lambda r: r.layer.staff_on_call,
    "CREATED_AT": lambda r: r.layer.created_at,
    "UPDATED_AT": lambda r: r.layer.updated_at,
}


def sort_rows(rows: list[Row], order: Sequence[tuple[str, bool]]) -> list[Row]:
    """Stable multi-key sort: (field, descending) pairs, first pair most significant; ties by
    schedule name, tier number and index."""
    out = sorted(
        rows, key=lambda r: (r.schedule.name.lower(), r.tier.number, r.layer.index, r.layer.id)
    )
    for name, descending in reversed(order):
        out.sort(key=SORT_KEYS[name], reverse=descending)
    return out


async def find_layers(
    *, org_id: int, spec: LayerFilterSpec, order: Sequence[tuple[str, bool]]
) -> list[models.Layer]:
    rows = [r for r in await load_rows(org_id=org_id) if matches(r, spec)]
    return [r.layer for r in sort_rows(rows, order)]
