"""What an earlier import left behind and what it looks like now, in one read.

Fingerprints hash an object's canonical form; the same form is computed from a desired object
(what the source wants) and from a stored row (what is here now), so "unchanged",
"changed at the source" and "edited here" are comparisons of three hashes.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from app.contacts import models as contact_models
from app.imports import desired
from app.imports.models import ImportLink
from app.layers import models as layer_models
from app.on_demand_shifts import models as shift_models
from app.schedules import models as schedule_models
from app.tiers import models as tier_models


def fingerprint(form: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(form, sort_keys=True, default=str).encode()).hexdigest()


def schedule_form(name: str, zone: str, customer: str) -> dict[str, Any]:
    return {"name": name, "zone": zone, "customer": customer}


def tier_form(name: str) -> dict[str, Any]:
    return {"name": name}


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def shift_form(start: datetime, end: datetime, contacts: list[int]) -> dict[str, Any]:
    return {"start": _instant(start), "end": _instant(end), "contacts": contacts}


def layer_form(layer: desired.Layer, contacts: list[int]) -> dict[str, Any]:
    return {
        "name": layer.name,
        "index": layer.index,
        "start": layer.start.isoformat(timespec="seconds"),
        "end": layer.end.isoformat(timespec="seconds") if layer.end else None,
        "zone": layer.zone,
        "unit": layer.unit,
        "length": layer.length,
        "on_call": layer.on_call,
        "to_rotate": None,
        "direction": "FORWARD",
        "windows": [w.as_json() for w in layer.windows],
        "recurrence": None,
        "min_staff": None,
        "skip_unavailable": True,
        "on_holidays": "RUN",
        "participant_holidays": False,
        "pauses": [],
        "advance": layer.advance,
        "roster_segments": [],
        "participants": [[pk, None, None, None, None] for pk in contacts],
    }


def stored_layer_form(row: layer_models.Layer, entries: list[list[Any]]) -> dict[str, Any]:
    recurrence = None
    if row.recurrence_type:
        recurrence = [
            row.recurrence_type,
            str(row.recurrence_from),
            str(row.recurrence_to),
            row.recurrence_every_n,
            row.recurrence_rule,
        ]
    return {
        "name": row.name,
        "index": row.index,
        "start": row.start_local,
        "end": row.end_local,
        "zone": row.timezone,
        "unit": row.rotation_unit,
        "length": row.rotation_length,
        "on_call": row.staff_on_call,
        "to_rotate": row.staff_to_rotate,
        "direction": row.direction,
        "windows": list(row.restrictions),
        "recurrence": recurrence,
        "min_staff": row.min_staff,
        "skip_unavailable": row.skip_unavailable,
        "on_holidays": row.on_holidays,
        "participant_holidays": row.participant_holidays,
        "pauses": list(row.pauses),
        "advance": row.advance,
        # a roster change made here is an edit; an import leaves none
        "roster_segments": list(row.roster_segments),
        "participants": entries,
    }


@dataclass
class State:
    """Links by (kind, source id), the current fingerprint of each linked object that still
    exists, where it lives (schedule / tier of each object), and contacts by email."""

    links: dict[tuple[str, str], ImportLink] = field(default_factory=dict)
    current: dict[tuple[str, int], str] = field(default_factory=dict)
    tier_of: dict[tuple[str, int], int] = field(default_factory=dict)
    tiers_of_schedule: dict[int, list[int]] = field(default_factory=dict)
    by_email: dict[str, int] = field(default_factory=dict)
    contacts: set[int] = field(default_factory=set)
    local_shifts: dict[int, list[tuple[datetime, datetime]]] = field(default_factory=dict)


async def load_state(*, org_id: int, vendor: str, emails: set[str]) -> State:
    """Everything the plan compares against: a fixed number of queries."""
    state = State()
    for link in await ImportLink.filter(organization_id=org_id, source=vendor):
        state.links[(link.kind, link.source_id)] = link
    ids: dict[str, set[int]] = defaultdict(set)
    for link in state.links.values():
        ids[link.kind].add(link.local_id)
    wanted = {e.lower() for e in emails}
    for pk, email in await contact_models.Contact.filter(
        organization_id=org_id, email__not_isnull=True
    ).values_list("id", "email"):
        if str(email).lower() in wanted:
            state.by_email.setdefault(str(email).lower(), cast(int, pk))
    state.contacts = set(
        cast(
            list[int],
            await contact_models.Contact.filter(
                organization_id=org_id, id__in=ids["contact"] | {0}
            ).values_list("id", flat=True),
        )
    )
    for s in await schedule_models.Schedule.filter(
        organization_id=org_id, id__in=ids["schedule"] | {0}
    ):
        state.current[("schedule", s.id)] = fingerprint(
            schedule_form(s.name, s.timezone, s.customer)
        )
    for t in await tier_models.Tier.filter(organization_id=org_id, id__in=ids["tier"] | {0}):
        state.current[("tier", t.id)] = fingerprint(tier_form(t.name))
        state.tiers_of_schedule.setdefault(t.schedule_id, []).append(t.id)
    layers = await layer_models.Layer.filter(organization_id=org_id, id__in=ids["layer"] | {0})
    entries: dict[int, list[list[Any]]] = defaultdict(list)
    for layer_id, contact_id, group_id, weekdays, hours_start, hours_end in (
        await layer_models.LayerParticipant.filter(layer_id__in=[x.id for x in layers] or [0])
        .order_by("layer_id", "position")
        .values_list(
            "layer_id",
            "contact_id",
            "group_id",
            "weekdays",
            "working_hours_start",
            "working_hours_end",
        )
    ):
        entries[layer_id].append([contact_id, group_id, weekdays, hours_start, hours_end])
    for row in layers:
        state.current[("layer", row.id)] = fingerprint(stored_layer_form(row, entries[row.id]))
        state.tier_of[("layer", row.id)] = row.tier_id
    shifts = await shift_models.OnDemandShift.filter(
        organization_id=org_id, id__in=ids["shift"] | {0}
    )
    people: dict[int, list[int]] = defaultdict(list)
    for shift_id, contact_id in (
        await shift_models.OnDemandShiftContact.filter(shift_id__in=[x.id for x in shifts] or [0])
        .order_by("shift_id", "position")
        .values_list("shift_id", "contact_id")
    ):
        people[shift_id].append(contact_id)
    for shift in shifts:
        state.current[("shift", shift.id)] = fingerprint(
            shift_form(shift.start, shift.end, people[shift.id])
        )
        state.tier_of[("shift", shift.id)] = shift.tier_id
    # on-demand shifts added here on imported tiers: an imported one must not trim them
    for tier_id, start, end in (
        await shift_models.OnDemandShift.filter(
            organization_id=org_id, tier_id__in=ids["tier"] | {0}
        )
        .exclude(id__in=ids["shift"] | {0})
        .values_list("tier_id", "start", "end")
    ):
        state.local_shifts.setdefault(cast(int, tier_id), []).append((start, end))
    return state
