"""What a client writes as a substitution, and how it is checked before any row is touched.

Each offending field is named (``inputs.2.recurrence.to``) so a mutation's transaction either
writes all or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from app import validation
from app.contacts import service as contact_service
from app.engine import Recurrence, RecurrenceType
from app.engine.recurrence import active_runs
from app.errors import Collector
from app.layers import service as layer_service
from app.layers.service import RecurrenceSpec
from app.schedules import models as schedule_models
from app.substitutions import models

STATUSES = ("ACTIVE", "DELETED")
RECURRENCES = ("OCCURRENCE", "REPEAT", "PERIODIC", "ICAL")
MAX_RULE_COUNT = 10_000


@dataclass(frozen=True)
class WindowSpec:
    """A daily window, ``HH:MM`` wall clock; an end at or before the start is on the next day."""

    start: str
    end: str


@dataclass(frozen=True)
class SubstitutionSpec:
    """One substitution as a client describes it, ids already decoded (0 = not an id here)."""

    contact_id: int
    replacement_id: int | None = None
    schedule_id: int | None = None
    recurrence: RecurrenceSpec | None = None
    window: WindowSpec | None = None
    timezone: str | None = None
    status: str = "ACTIVE"
    between: tuple[datetime, datetime] | None = None
    """An absolute [start, end) used instead of the recurrence and window (SPEC §11)."""


# ------------------------------------------------------------------------------ recurrences


def _rule_parts(rule: str) -> dict[str, str]:
    """KEY -> VALUE of a rule the engine accepted (keys upper-cased)."""
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    parts = {}
    for chunk in text.split(";"):
        key, _, value = chunk.partition("=")
        if key.strip():
            parts[key.strip().upper()] = value.strip()
    return parts


def _engine_recurrence(rec: RecurrenceSpec) -> Recurrence:
    assert rec.start is not None
    return Recurrence(
        type=RecurrenceType(rec.type),
        start=rec.start,
        end=rec.end,
        every_n=rec.every_n,
        rule=rec.rule,
    )


def _check_recurrence(rec: RecurrenceSpec | None, errors: Collector) -> None:
    """A substitution's recurrence: from and to required, except that an ICAL rule with its
    own end (UNTIL or COUNT) may omit to; to constrains the rule and never extends it."""
    if rec is None:
        errors.add("recurrence", "is required")
        return
    e = errors.child("recurrence")
    if rec.type not in RECURRENCES:
        e.add("type", f"must be one of {', '.join(RECURRENCES)}")
        return
    if rec.start is None:
        e.add("from", "is required")
    if rec.start is not None and rec.end is not None and rec.end < rec.start:
        e.add("to", "must not be before from")
    if rec.every_n < 1:
        e.add("everyN", "must be at least 1")
    elif rec.every_n != 1 and rec.type != "PERIODIC":
        e.add("everyN", "applies to PERIODIC recurrences only")
    rule_has_end = False
    if rec.type == "ICAL":
        if not rec.rule or not rec.rule.strip():
            e.add("rule", "is required for ICAL")
        elif len(rec.rule) > 500:
            e.add("rule", "must be at most 500 characters")
        elif why := layer_service.check_rule(rec.rule):
            e.add("rule", why)
        else:
            parts = _rule_parts(rec.rule)
            rule_has_end = "UNTIL" in parts or "COUNT" in parts
            count = parts.get("COUNT")
            if count is not None and not 1 <= int(count) <= MAX_RULE_COUNT:
                e.add("rule", f"COUNT must be between 1 and {MAX_RULE_COUNT}")
    elif rec.rule:
        e.add("rule", "applies to ICAL recurrences only")
    if rec.end is None and not rule_has_end:
        if rec.type == "ICAL":
            e.add("to", "is required unless the rule ends itself (UNTIL or COUNT)")
        else:
            e.add("to", "is required")


def _ends_on(rec: RecurrenceSpec) -> date | None:
    """The last date a (valid) recurrence can apply on: to, or the rule's end when earlier."""
    if rec.type != "ICAL" or not rec.rule:
        return rec.end
    parts = _rule_parts(rec.rule)
    bounds = [rec.end] if rec.end is not None else []
    until = parts.get("UNTIL")
    if until is not None:
        bounds.append(date(int(until[:4]), int(until[4:6]), int(until[6:8])))
    if "COUNT" in parts:  # bounded: COUNT is at most MAX_RULE_COUNT
        assert rec.start is not None
        runs = active_runs(_engine_recurrence(rec), rec.start, min(bounds, default=date.max))
        return runs[-1][1] if runs else rec.start
    return min(bounds, default=None)


# ------------------------------------------------------------------------------ validation


def _check_window(window: WindowSpec | None, errors: Collector) -> None:
    if window is None:
        return
    start = validation.clock_time(errors, "window.start", window.start)
    end = validation.clock_time(errors, "window.end", window.end)
    if start is not None and start == end:
        errors.add("window.end", "must differ from window.start (omit the window for whole days)")


@dataclass(frozen=True)
class KnownReferences:
    contacts: set[int]
    schedules: set[int]


async def known_references(org_id: int, specs: Iterable[SubstitutionSpec]) -> KnownReferences:
    """The referenced contacts and schedules that exist in the organization: two queries."""
    specs = list(specs)
    contact_ids = {s.contact_id for s in specs} | {
        s.replacement_id for s in specs if s.replacement_id is not None
    }
    schedule_ids = {s.schedule_id for s in specs if s.schedule_id is not None}
    schedules: set[int] = set()
    if schedule_ids:
        found = await schedule_models.Schedule.filter(
            organization_id=org_id, id__in=schedule_ids
        ).values_list("id", flat=True)
        schedules = set(cast(list[int], found))
    return KnownReferences(
        contacts=await contact_service.existing_ids(org_id=org_id, ids=contact_ids),
        schedules=schedules,
    )


def check_spec(spec: SubstitutionSpec, known: KnownReferences, errors: Collector) -> None:
    if spec.contact_id not in known.contacts:
        errors.missing("contactId", "Contact")
    if spec.replacement_id is not None:
        if spec.replacement_id == spec.contact_id:
            errors.add("replacementId", "must differ from contactId: nobody replaces themselves")
        elif spec.replacement_id not in known.contacts:
            errors.missing("replacementId", "Contact")
    if spec.schedule_id is not None and spec.schedule_id not in known.schedules:
        errors.missing("scheduleId", "Schedule")
    if spec.timezone is not None:
        validation.zone(errors, "timezone", spec.timezone)
    elif spec.schedule_id is None:
        errors.add("timezone", "is required when no schedule is given")
    if spec.status not in STATUSES:
        errors.add("status", f"must be one of {', '.join(STATUSES)}")
    if spec.between is not None:
        _check_between(spec, errors)
        return
    _check_recurrence(spec.recurrence, errors)
    _check_window(spec.window, errors)


MAX_BETWEEN = timedelta(days=366)


def _check_between(spec: SubstitutionSpec, errors: Collector) -> None:
    assert spec.between is not None
    start, end = spec.between
    if spec.recurrence is not None:
        errors.add("recurrence", "give either between or a recurrence, not both")
    if spec.window is not None:
        errors.add("window", "a between substitution has no daily window")
    if start.tzinfo is None:
        errors.add("between.from", "needs a UTC offset")
    if end.tzinfo is None:
        errors.add("between.to", "needs a UTC offset")
    if start.tzinfo is not None and end.tzinfo is not None:
        if end <= start:
            errors.add("between.to", "must be after from")
        elif end - start > MAX_BETWEEN:
            errors.add("between.to", f"must be at most {MAX_BETWEEN.days} days after from")


def _between_values(between: tuple[datetime, datetime]) -> dict[str, Any]:
    """Row values of a between substitution: the stretch, and the UTC dates it touches as an
    OCCURRENCE so date filters and sorts treat it like the others."""
    start, end = (moment.astimezone(UTC) for moment in between)
    last = (end - timedelta(microseconds=1)).date()
    return {
        "between_start": start,
        "between_end": end,
        "recurrence_type": "OCCURRENCE",
        "recurrence_from": start.date(),
        "recurrence_to": last,
        "recurrence_every_n": 1,
        "recurrence_rule": None,
        "ends_on": last,
        "window_start": None,
        "window_end": None,
    }


def row_values(spec: SubstitutionSpec) -> dict[str, Any]:
    common = {
        "contact_id": spec.contact_id,
        "replacement_id": spec.replacement_id,
        "schedule_id": spec.schedule_id,
        "timezone": spec.timezone,
        "status": spec.status,
    }
    if spec.between is not None:
        return {**common, **_between_values(spec.between)}
    rec = spec.recurrence
    assert rec is not None and rec.start is not None
    return {
        **common,
        "between_start": None,
        "between_end": None,
        "recurrence_type": rec.type,
        "recurrence_from": rec.start,
        "recurrence_to": rec.end,
        "recurrence_every_n": rec.every_n,
        "recurrence_rule": rec.rule.strip() if rec.rule else None,
        "ends_on": _ends_on(rec),
        "window_start": spec.window.start if spec.window else None,
        "window_end": spec.window.end if spec.window else None,
    }


def spec_of(row: models.Substitution) -> SubstitutionSpec:
    """A stored substitution as a spec (the starting point of a patch)."""
    if row.between_start is not None and row.between_end is not None:
        return SubstitutionSpec(
            contact_id=row.contact_id,
            replacement_id=row.replacement_id,
            schedule_id=row.schedule_id,
            timezone=row.timezone,
            status=row.status,
            between=(row.between_start, row.between_end),
        )
    return SubstitutionSpec(
        contact_id=row.contact_id,
        replacement_id=row.replacement_id,
        schedule_id=row.schedule_id,
        recurrence=RecurrenceSpec(
            type=row.recurrence_type,
            start=row.recurrence_from,
            end=row.recurrence_to,
            every_n=row.recurrence_every_n,
            rule=row.recurrence_rule,
        ),
        window=WindowSpec(row.window_start, row.window_end)
        if row.window_start is not None and row.window_end is not None
        else None,
        timezone=row.timezone,
        status=row.status,
    )
