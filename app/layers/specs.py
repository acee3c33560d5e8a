"""Layer specs: a layer as a client describes it, and the checks before anything is saved."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import pairwise
from typing import Any

from app import engine, validation
from app.contacts import service as contact_service
from app.errors import Collector
from app.groups import service as group_service

UNITS = ("HOUR", "DAY", "WEEK", "MONTH")
DIRECTIONS = ("FORWARD", "BACKWARD")
RECURRENCES = ("REPEAT", "PERIODIC", "ICAL", "OCCURRENCE")
RESTRICTION_KINDS = ("DAILY", "WEEKLY")
HOLIDAY_RULES = ("RUN", "SKIP", "ONLY")
ADVANCES = ("EVERY_TURN", "ACTIVE_TURNS")
EFFECTIVES = ("NEXT_HANDOFF", "AT", "IMMEDIATELY")
MAX_PAUSES = 100
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
    working_hours: tuple[str, str] | None = None  # HH:MM start, end in each contact's zone


@dataclass(frozen=True)
class EffectiveSpec:
    """When a roster change takes effect (SPEC §9): NEXT_HANDOFF, AT ``at`` (rounded up to a
    handoff) or IMMEDIATELY."""

    mode: str = "NEXT_HANDOFF"
    at: datetime | None = None


def check_effective(effective: EffectiveSpec, now: datetime, field: str = "effective") -> None:
    errors = Collector(f"{field}.")
    if effective.mode not in EFFECTIVES:
        errors.add("mode", f"must be one of {', '.join(EFFECTIVES)}")
    elif effective.mode == "AT":
        if effective.at is None:
            errors.add("at", "is required for AT")
        elif effective.at.tzinfo is None:
            errors.add("at", "needs a UTC offset")
        elif effective.at < now:
            errors.add("at", "is in the past")
    elif effective.at is not None:
        errors.add("at", "applies to AT only")
    errors.raise_if_any()


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
    on_holidays: str = "RUN"
    participant_holidays: bool = False
    pauses: tuple[tuple[date, date], ...] = ()
    advance: str = "EVERY_TURN"
    layer_id: int | None = None  # LayerInput.id: the stored layer this entry replaces
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
            if p.working_hours is not None:
                validation.clock_time(pe, "workingHours.start", p.working_hours[0])
                validation.clock_time(pe, "workingHours.end", p.working_hours[1])
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
        if spec.on_holidays not in HOLIDAY_RULES:
            e.add("onHolidays", f"must be one of {', '.join(HOLIDAY_RULES)}")
        if spec.advance not in ADVANCES:
            e.add("advance", f"must be one of {', '.join(ADVANCES)}")
        _check_pauses(spec.pauses, e)
    errors.raise_if_any()


def _check_pauses(pauses: Sequence[tuple[date, date]], errors: Collector) -> None:
    if len(pauses) > MAX_PAUSES:
        errors.add("pauses", f"at most {MAX_PAUSES} pauses")
    for j, (first, last) in enumerate(pauses):
        if last < first:
            errors.add(f"pauses.{j}.to", "must not be before from")
    order = sorted(range(len(pauses)), key=lambda j: pauses[j][0])
    for before, after in pairwise(order):
        if pauses[after][0] <= pauses[before][1]:
            errors.add(f"pauses.{after}", f"overlaps pauses.{before}")


def row_values(spec: LayerSpec) -> dict[str, Any]:
    """The stored columns of a layer described by ``spec`` (roster segments aside)."""
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
        "on_holidays": spec.on_holidays,
        "participant_holidays": spec.participant_holidays,
        "pauses": [{"from": a.isoformat(), "to": b.isoformat()} for a, b in spec.pauses],
        "advance": spec.advance,
    }


# A participant entry: contact id, group id, weekdays, working hours start and end (HH:MM).
Entry = tuple[int | None, int | None, list[int] | None, str | None, str | None]


def entries_of(spec: LayerSpec) -> list[Entry]:
    """The spec's participant entries, as stored."""
    return [
        (
            p.contact_id,
            p.group_id,
            list(p.weekdays) if p.weekdays is not None else None,
            p.working_hours[0] if p.working_hours else None,
            p.working_hours[1] if p.working_hours else None,
        )
        for p in spec.participants
    ]
