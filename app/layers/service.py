"""Layers: the stored rotations of a tier, validated to the engine's rules before saving."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from app import engine, validation
from app.contacts import service as contact_service
from app.errors import BadUserInput, Collector, NotFound
from app.groups import service as group_service
from app.layers import models
from app.tiers import service as tier_service

UNITS = ("HOUR", "DAY", "WEEK", "MONTH")
DIRECTIONS = ("FORWARD", "BACKWARD")
RECURRENCES = ("REPEAT", "PERIODIC", "ICAL", "OCCURRENCE")
RESTRICTION_KINDS = ("DAILY", "WEEKLY")
MAX_PARTICIPANTS = 200
MAX_RESTRICTIONS = 50
MAX_LAYERS_PER_TIER = 50
_TIME_PARTS = re.compile(r"\b(BYHOUR|BYMINUTE|BYSECOND)\b|FREQ=(HOURLY|MINUTELY|SECONDLY)", re.I)
_COUNT = re.compile(r"(^|;)\s*COUNT\s*=", re.I)
_UNTIL = re.compile(r"(^|;)\s*UNTIL\s*=", re.I)


@dataclass(frozen=True)
class ParticipantSpec:
    contact_id: int | None = None
    group_id: int | None = None
    weekdays: tuple[int, ...] | None = None


@dataclass(frozen=True)
class RestrictionSpec:
    kind: str
    start_time: str
    duration_minutes: int
    weekday: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "startTime": self.start_time,
            "durationMinutes": self.duration_minutes,
            "weekday": self.weekday,
        }


@dataclass(frozen=True)
class RecurrenceSpec:
    type: str
    start: date | None = None
    end: date | None = None
    every_n: int = 1
    rule: str | None = None


@dataclass(frozen=True)
class LayerSpec:
    """One layer as a client describes it; ``start``/``end`` are wall-clock in ``timezone``."""

    name: str
    start: datetime
    timezone: str
    unit: str = "WEEK"
    length: int = 1
    index: int | None = None
    end: datetime | None = None
    on_call: int = 1
    to_rotate: int | None = None
    direction: str = "FORWARD"
    participants: tuple[ParticipantSpec, ...] = ()
    restrictions: tuple[RestrictionSpec, ...] = ()
    recurrence: RecurrenceSpec | None = None
    min_staff: int | None = None
    skip_unavailable: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def check_rule(rule: str) -> str | None:
    """Why an RRULE of dates is refused, or None when it is fine.

    The engine's own check decides, so every rule saved here is one the engine expands
    (one RRULE line, no DTSTART, a FREQ, no time parts).
    """
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if _TIME_PARTS.search(text):
        return (
            "an RRULE here selects dates: time parts "
            "(BYHOUR, BYMINUTE, BYSECOND, sub-daily FREQ) are refused"
        )
    if _COUNT.search(text) and _UNTIL.search(text):
        # RFC 5545 forbids both; dateutil only warns and would end it at whichever comes first.
        return "give COUNT or UNTIL, not both"
    try:
        engine.validate_rule(rule)
    except ValueError as exc:
        return f"not a valid RRULE: {exc}"
    return None


def _check_recurrence(rec: RecurrenceSpec, errors: Collector) -> None:
    if rec.type not in RECURRENCES:
        errors.add("type", f"must be one of {', '.join(RECURRENCES)}")
        return
    if rec.start is None:
        errors.add("from", "is required")
    if rec.type == "OCCURRENCE" and rec.end is None:
        errors.add("to", "is required for OCCURRENCE")
    if rec.start is not None and rec.end is not None and rec.end < rec.start:
        errors.add("to", "must not be before from")
    if rec.every_n < 1:
        errors.add("everyN", "must be at least 1")
    elif rec.every_n != 1 and rec.type != "PERIODIC":
        errors.add("everyN", "applies to PERIODIC recurrences only")
    if rec.type == "ICAL":
        if not rec.rule:
            errors.add("rule", "is required for ICAL")
        elif why := check_rule(rec.rule):
            errors.add("rule", why)
    elif rec.rule:
        errors.add("rule", "applies to ICAL recurrences only")


def _check_restriction(r: RestrictionSpec, errors: Collector) -> None:
    if r.kind not in RESTRICTION_KINDS:
        errors.add("kind", "must be DAILY or WEEKLY")
        return
    validation.clock_time(errors, "startTime", r.start_time)
    limit = 24 * 60 if r.kind == "DAILY" else 7 * 24 * 60
    if r.duration_minutes <= 0:
        errors.add("durationMinutes", "must be greater than 0")
    elif r.duration_minutes > limit:
        errors.add("durationMinutes", f"must be at most {limit} for a {r.kind} window")
    if r.kind == "WEEKLY" and r.weekday is None:
        errors.add("startWeekday", "is required for a WEEKLY window")
    if r.kind == "DAILY" and r.weekday is not None:
        errors.add("startWeekday", "applies to WEEKLY windows only")


async def validate_specs(*, org_id: int, specs: Sequence[LayerSpec], prefix: str) -> None:
    """Check every layer at once (one query per referenced kind); BAD_USER_INPUT names fields."""
    errors = Collector(prefix)
    contact_ids = {p.contact_id for s in specs for p in s.participants if p.contact_id is not None}
    group_ids = {p.group_id for s in specs for p in s.participants if p.group_id is not None}
    known_contacts = await contact_service.existing_ids(org_id=org_id, ids=contact_ids)
    known_groups = await group_service.existing_ids(org_id=org_id, ids=group_ids)
    members = await group_service.members_of(group_ids=known_groups)
    indexes: dict[int, int] = {}
    for i, spec in enumerate(specs):
        e = errors.child(str(i)) if len(specs) > 1 or prefix.endswith("layers.") else errors
        validation.non_empty(e, "name", spec.name)
        validation.zone(e, "timezone", spec.timezone)
        if spec.unit not in UNITS:
            e.add("rotation.unit", f"must be one of {', '.join(UNITS)}")
        validation.positive(e, "rotation.length", spec.length, maximum=10_000)
        if spec.end is not None and spec.end <= spec.start:
            e.add("end", "must be after start")
        if spec.direction not in DIRECTIONS:
            e.add("staffRotation.direction", "must be FORWARD or BACKWARD")
        if spec.index is not None:
            if spec.index in indexes:
                e.add("index", f"is also used by layer {indexes[spec.index]}")
            indexes[spec.index] = i
        if len(spec.participants) > MAX_PARTICIPANTS:
            e.add("participants", f"at most {MAX_PARTICIPANTS} entries")
        expanded: list[int] = []
        resolved = True  # k is compared with n only when every entry names someone real
        for j, p in enumerate(spec.participants):
            pe = e.child(f"participants.{j}")
            if (p.contact_id is None) == (p.group_id is None):
                pe.add("contactId", "give exactly one of contactId and groupId")
                resolved = False
                continue
            if p.contact_id is not None:
                if p.contact_id not in known_contacts:
                    pe.missing("contactId", "Contact")
                    resolved = False
                else:
                    expanded.append(p.contact_id)
            elif p.group_id not in known_groups:
                pe.missing("groupId", "Group")
                resolved = False
            else:
                expanded.extend(members[p.group_id or 0])
            if p.weekdays is not None and not p.weekdays:
                pe.add("weekdays", "must name at least one day, or be omitted for every day")
        n = len(dict.fromkeys(expanded))
        if spec.on_call < 1:
            e.add("staffRotation.numberOfStaffOnCall", "must be at least 1")
        elif spec.participants and resolved and spec.on_call > n:
            e.add(
                "staffRotation.numberOfStaffOnCall",
                f"is {spec.on_call} but the participants expand to {n} contacts",
            )
        if spec.to_rotate is not None and spec.to_rotate < 1:
            e.add("staffRotation.numberOfStaffToRotate", "must be at least 1")
        if spec.min_staff is not None and not 0 <= spec.min_staff <= spec.on_call:
            e.add("minStaff", f"must be between 0 and numberOfStaffOnCall ({spec.on_call})")
        if len(spec.restrictions) > MAX_RESTRICTIONS:
            e.add("restrictions", f"at most {MAX_RESTRICTIONS} windows")
        for j, r in enumerate(spec.restrictions):
            _check_restriction(r, e.child(f"restrictions.{j}"))
        if spec.recurrence is not None:
            _check_recurrence(spec.recurrence, e.child("recurrence"))
    errors.raise_if_any()


def _row_values(spec: LayerSpec) -> dict[str, Any]:
    rec = spec.recurrence
    return {
        "name": spec.name.strip(),
        "start_local": spec.start.isoformat(timespec="seconds"),
        "end_local": spec.end.isoformat(timespec="seconds") if spec.end else None,
        "timezone": spec.timezone,
        "rotation_unit": spec.unit,
        "rotation_length": spec.length,
        "staff_on_call": spec.on_call,
        "staff_to_rotate": spec.to_rotate,
        "direction": spec.direction,
        "restrictions": [r.as_json() for r in spec.restrictions],
        "recurrence_type": rec.type if rec else None,
        "recurrence_from": rec.start if rec else None,
        "recurrence_to": rec.end if rec else None,
        "recurrence_every_n": rec.every_n if rec else 1,
        "recurrence_rule": rec.rule if rec else None,
        "min_staff": spec.min_staff,
        "skip_unavailable": spec.skip_unavailable,
    }


async def _write_participants(layer_id: int, participants: Sequence[ParticipantSpec]) -> None:
    await models.LayerParticipant.filter(layer_id=layer_id).delete()
    await models.LayerParticipant.bulk_create(
        [
            models.LayerParticipant(
                layer_id=layer_id,
                position=i,
                contact_id=p.contact_id,
                group_id=p.group_id,
                weekdays=sorted(set(p.weekdays)) if p.weekdays is not None else None,
            )
            for i, p in enumerate(participants)
        ]
    )


async def get_layer(*, org_id: int, layer_id: int) -> models.Layer:
    layer = await models.Layer.get_or_none(id=layer_id, organization_id=org_id)
    if layer is None:
        raise NotFound("Layer", layer_id)
    return layer


async def create_layer(*, org_id: int, tier_id: int, spec: LayerSpec) -> models.Layer:
    tier = await tier_service.get_tier(org_id=org_id, tier_id=tier_id)
    await validate_specs(org_id=org_id, specs=[spec], prefix="input.")
    used = set(
        cast(list[int], await models.Layer.filter(tier_id=tier.id).values_list("index", flat=True))
    )
    if len(used) >= MAX_LAYERS_PER_TIER:
        raise BadUserInput(f"a tier has at most {MAX_LAYERS_PER_TIER} layers", field="tierId")
    index = spec.index if spec.index is not None else max(used, default=0) + 1
    if index in used:
        raise BadUserInput(f"index {index} is taken in this tier", field="input.index")
    layer = await models.Layer.create(
        organization_id=org_id, tier_id=tier.id, index=index, **_row_values(spec)
    )
    await _write_participants(layer.id, spec.participants)
    await tier_service.bump_version(tier_ids={tier.id})
    return layer


async def update_layer(*, org_id: int, layer_id: int, spec: LayerSpec) -> models.Layer:
    """Replace a layer's definition (its id and tier stay)."""
    layer = await get_layer(org_id=org_id, layer_id=layer_id)
    await validate_specs(org_id=org_id, specs=[spec], prefix="input.")
    index = spec.index if spec.index is not None else layer.index
    if (
        index != layer.index
        and await models.Layer.filter(tier_id=layer.tier_id, index=index).exists()
    ):
        raise BadUserInput(f"index {index} is taken in this tier", field="input.index")
    for key, value in _row_values(spec).items():
        setattr(layer, key, value)
    layer.index = index
    await layer.save()
    await _write_participants(layer.id, spec.participants)
    await tier_service.bump_version(tier_ids={layer.tier_id})
    return layer


async def delete_layer(*, org_id: int, layer_id: int) -> None:
    layer = await get_layer(org_id=org_id, layer_id=layer_id)
    await layer.delete()
    await tier_service.bump_version(tier_ids={layer.tier_id})


async def set_tier_layers(
    *, org_id: int, tier_id: int, specs: Sequence[LayerSpec]
) -> list[models.Layer]:
    """Replace all of a tier's layers at once; a layer without an index gets its list position."""
    tier = await tier_service.get_tier(org_id=org_id, tier_id=tier_id)
    if len(specs) > MAX_LAYERS_PER_TIER:
        raise BadUserInput(f"a tier has at most {MAX_LAYERS_PER_TIER} layers", field="layers")
    await validate_specs(org_id=org_id, specs=specs, prefix="layers.")
    explicit = {s.index for s in specs if s.index is not None}
    free = (n for n in range(1, 10_000) if n not in explicit)
    await models.Layer.filter(tier_id=tier.id).delete()
    created = []
    for spec in specs:
        index = spec.index if spec.index is not None else next(free)
        layer = await models.Layer.create(
            organization_id=org_id, tier_id=tier.id, index=index, **_row_values(spec)
        )
        await _write_participants(layer.id, spec.participants)
        created.append(layer)
    await tier_service.bump_version(tier_ids={tier.id})
    return sorted(created, key=lambda m: m.index)


async def tiers_using(
    *, org_id: int, contact_ids: set[int] | None = None, group_ids: set[int] | None = None
) -> set[int]:
    """Tiers with a layer naming one of these contacts or groups as a participant."""
    tiers: set[int] = set()
    if contact_ids:
        tiers.update(
            cast(
                list[int],
                await models.Layer.filter(
                    organization_id=org_id, participants__contact_id__in=contact_ids
                ).values_list("tier_id", flat=True),
            )
        )
    if group_ids:
        tiers.update(
            cast(
                list[int],
                await models.Layer.filter(
                    organization_id=org_id, participants__group_id__in=group_ids
                ).values_list("tier_id", flat=True),
            )
        )
    return tiers


async def understaffed_by_group_change(
    *, org_id: int, new_members: dict[int, list[int]]
) -> list[str]:
    """Names of layers that would have more staff on call than participants if the given
    groups had these members (checked before a group loses members)."""
    layers = await models.Layer.filter(
        organization_id=org_id, participants__group_id__in=set(new_members)
    ).distinct()
    if not layers:
        return []
    entries = await models.LayerParticipant.filter(layer_id__in=[x.id for x in layers]).order_by(
        "layer_id", "position"
    )
    other_groups = {e.group_id for e in entries if e.group_id is not None} - set(new_members)
    members = {**(await group_service.members_of(group_ids=other_groups)), **new_members}
    names = []
    for layer in layers:
        contacts: list[int] = []
        for e in entries:
            if e.layer_id != layer.id:
                continue
            contacts.extend(
                [e.contact_id] if e.contact_id is not None else members.get(e.group_id or 0, [])
            )
        if layer.staff_on_call > len(dict.fromkeys(contacts)):
            names.append(layer.name)
    return sorted(names)
