"""Substitutions: a contact unavailable, or replaced by another, on recurring dates.

Writes validate every item before touching a row and name each offending field
(``inputs.2.recurrence.to``), so a mutation's transaction either writes all or nothing. Every
write bumps the data version of the tiers it can change. ``engine_inputs`` hands the ACTIVE
substitutions of schedules to the timeline engine.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any, Literal, cast

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from app import validation
from app.contacts import service as contact_service
from app.engine import Interval, Recurrence, RecurrenceType, SubstitutionInput
from app.engine import substitution_occurrences as engine_occurrences
from app.engine.recurrence import active_runs
from app.errors import BadUserInput, Collector, Conflict, FieldError, NotFound
from app.layers import service as layer_service
from app.layers.service import RecurrenceSpec
from app.schedules import models as schedule_models
from app.substitutions import models
from app.tiers import models as tier_models
from app.tiers import service as tier_service

STATUSES = ("ACTIVE", "DELETED")
KINDS = ("UNAVAILABLE", "REPLACEMENT")
RECURRENCES = ("OCCURRENCE", "REPEAT", "PERIODIC", "ICAL")
MAX_BATCH = 100
MAX_RULE_COUNT = 10_000
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

# Patch keys that may be sent as null, and what null means for them.
_CLEARABLE = {"replacement_id", "schedule_id", "window", "timezone"}
_PATCH_KEYS = {"contact_id", "recurrence", "status", *_CLEARABLE}


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
class _Known:
    contacts: set[int]
    schedules: set[int]


async def _known(org_id: int, specs: Iterable[SubstitutionSpec]) -> _Known:
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
    return _Known(
        contacts=await contact_service.existing_ids(org_id=org_id, ids=contact_ids),
        schedules=schedules,
    )


def _check_spec(spec: SubstitutionSpec, known: _Known, errors: Collector) -> None:
    if spec.contact_id not in known.contacts:
        errors.add("contactId", "no such contact in this organization")
    if spec.replacement_id is not None:
        if spec.replacement_id == spec.contact_id:
            errors.add("replacementId", "must differ from contactId: nobody replaces themselves")
        elif spec.replacement_id not in known.contacts:
            errors.add("replacementId", "no such contact in this organization")
    if spec.schedule_id is not None and spec.schedule_id not in known.schedules:
        errors.add("scheduleId", "no such schedule in this organization")
    if spec.timezone is not None:
        validation.zone(errors, "timezone", spec.timezone)
    elif spec.schedule_id is None:
        errors.add("timezone", "is required when no schedule is given")
    if spec.status not in STATUSES:
        errors.add("status", f"must be one of {', '.join(STATUSES)}")
    _check_recurrence(spec.recurrence, errors)
    _check_window(spec.window, errors)


def _row_values(spec: SubstitutionSpec) -> dict[str, Any]:
    rec = spec.recurrence
    assert rec is not None and rec.start is not None
    return {
        "contact_id": spec.contact_id,
        "replacement_id": spec.replacement_id,
        "schedule_id": spec.schedule_id,
        "recurrence_type": rec.type,
        "recurrence_from": rec.start,
        "recurrence_to": rec.end,
        "recurrence_every_n": rec.every_n,
        "recurrence_rule": rec.rule.strip() if rec.rule else None,
        "ends_on": _ends_on(rec),
        "window_start": spec.window.start if spec.window else None,
        "window_end": spec.window.end if spec.window else None,
        "timezone": spec.timezone,
        "status": spec.status,
    }


def spec_of(row: models.Substitution) -> SubstitutionSpec:
    """A stored substitution as a spec (the starting point of a patch)."""
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


# ------------------------------------------------------------------------------ reads


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


async def get_substitution(*, org_id: int, substitution_id: int) -> models.Substitution:
    """Any substitution of the organization, DELETED ones included."""
    row = await models.Substitution.get_or_none(id=substitution_id, organization_id=org_id)
    if row is None:
        raise NotFound("Substitution", substitution_id)
    return row


async def _get_many(org_id: int, ids: Sequence[int], field: str) -> list[models.Substitution]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        raise BadUserInput("name at least one substitution", field=field)
    if len(wanted) > MAX_BATCH:
        raise BadUserInput(f"at most {MAX_BATCH} substitutions at once", field=field)
    found = await models.Substitution.filter(organization_id=org_id, id__in=wanted)
    rows = {r.id: r for r in found}
    for pk in wanted:
        if pk not in rows:
            raise NotFound("Substitution", pk)
    return [rows[pk] for pk in wanted]


def zone_of(row: models.Substitution, schedule_zone: str | None) -> str:
    """The zone a substitution's dates and window are read in: its own, else its schedule's."""
    zone = row.timezone or schedule_zone
    assert zone is not None, "a substitution without a zone always has a schedule"
    return zone


def engine_input(row: models.Substitution, zone: str) -> SubstitutionInput:
    return SubstitutionInput(
        id=row.id,
        contact_id=row.contact_id,
        replacement_id=row.replacement_id,
        recurrence=Recurrence(
            type=RecurrenceType(row.recurrence_type),
            start=row.recurrence_from,
            end=row.recurrence_to,
            every_n=row.recurrence_every_n,
            rule=row.recurrence_rule,
        ),
        zone=zone,
        window_start=time.fromisoformat(row.window_start) if row.window_start else None,
        window_end=time.fromisoformat(row.window_end) if row.window_end else None,
    )


def occurrences(
    row: models.Substitution,
    *,
    zone: str,
    start: datetime,
    end: datetime,
    max_days: int,
) -> tuple[Interval, ...]:
    """When the substitution applies within [start, end): aware UTC intervals, in order.

    Each active date contributes its window (or the whole local day) read in ``zone`` through
    the engine's wall-clock rule, so DST nights give 23 h / 25 h days and shifted windows;
    touching intervals are joined. The status is not considered: a DELETED substitution
    still shows when it would apply. Naive instants, an empty window and one longer than
    ``max_days`` are refused.
    """
    errors = Collector()
    validation.read_window(errors, start, end, max_days=max_days)
    errors.raise_if_any()
    return engine_occurrences(engine_input(row, zone), start, end)


# ------------------------------------------------------------------------------ writes


async def _tiers_for(org_id: int, schedule_ids: set[int | None]) -> set[int]:
    """Tiers whose timelines substitutions of these schedules reach (None = every schedule)."""
    if not schedule_ids:
        return set()
    qs = tier_models.Tier.filter(organization_id=org_id)
    if None not in schedule_ids:
        qs = qs.filter(schedule_id__in={s for s in schedule_ids if s is not None})
    return set(cast(list[int], await qs.values_list("id", flat=True)))


async def affected_tier_ids(*, org_id: int, schedule_id: int | None) -> set[int]:
    """The tiers of ``schedule_id``, or every tier of the organization when it is None."""
    return await _tiers_for(org_id, {schedule_id})


async def _bump(org_id: int, schedule_ids: set[int | None]) -> None:
    await tier_service.bump_version(tier_ids=await _tiers_for(org_id, schedule_ids))


async def create_substitutions(
    *, org_id: int, specs: Sequence[SubstitutionSpec]
) -> list[models.Substitution]:
    """Create one or many; any invalid item refuses them all, naming ``inputs.<i>.<field>``."""
    if not specs:
        raise BadUserInput("give at least one substitution", field="inputs")
    if len(specs) > MAX_BATCH:
        raise BadUserInput(f"at most {MAX_BATCH} substitutions at once", field="inputs")
    known = await _known(org_id, specs)
    errors = Collector("inputs.")
    for i, spec in enumerate(specs):
        _check_spec(spec, known, errors.child(str(i)))
        if spec.status != "ACTIVE":
            errors.child(str(i)).add("status", "new substitutions are ACTIVE")
    errors.raise_if_any()
    rows = [
        await models.Substitution.create(organization_id=org_id, **_row_values(spec))
        for spec in specs
    ]
    await _bump(org_id, {s.schedule_id for s in specs})
    return rows


async def update_substitutions(
    *, org_id: int, ids: Sequence[int], changes: Mapping[str, Any]
) -> list[models.Substitution]:
    """Apply one patch to each substitution; keys not in ``changes`` stay as they are.

    ``changes`` uses SubstitutionSpec's field names. None clears ``replacement_id`` (it becomes
    an unavailability), ``schedule_id`` (it applies to every schedule: a timezone is then
    required), ``window`` (whole days) and ``timezone`` (the schedule's zone is used); the
    other fields cannot be cleared. A ``recurrence`` replaces the whole recurrence. Any unknown
    id is NOT_FOUND and nothing changes; errors name ``patch.<field>``.
    """
    rows = await _get_many(org_id, ids, "ids")
    errors = Collector("patch.")
    unknown = set(changes) - _PATCH_KEYS
    if unknown:
        raise ValueError(f"unknown patch keys {sorted(unknown)}")
    for key, value in changes.items():
        if value is None and key not in _CLEARABLE:
            errors.add(validation.camel(key), "cannot be cleared")
    errors.raise_if_any()
    merged = [replace(spec_of(row), **changes) for row in rows]
    known = await _known(org_id, merged)
    seen: set[tuple[str, str]] = set()
    for spec in merged:
        item = Collector("patch.")
        _check_spec(spec, known, item)
        for problem in item.errors:
            if (problem.field, problem.message) not in seen:
                seen.add((problem.field, problem.message))
                errors.errors.append(FieldError(problem.field, problem.message))
    errors.raise_if_any()
    touched: set[int | None] = set()
    for row, spec in zip(rows, merged, strict=True):
        if row.status == "ACTIVE" or spec.status == "ACTIVE":
            touched |= {row.schedule_id, spec.schedule_id}
        for key, value in _row_values(spec).items():
            setattr(row, key, value)
        await row.save()
    await _bump(org_id, touched)
    return rows


async def delete_substitutions(*, org_id: int, ids: Sequence[int]) -> list[models.Substitution]:
    """Mark substitutions DELETED (they stay readable by id); any unknown id changes nothing."""
    rows = await _get_many(org_id, ids, "ids")
    live = [row for row in rows if row.status != "DELETED"]
    if live:
        await models.Substitution.filter(id__in=[r.id for r in live]).update(status="DELETED")
        for row in live:
            row.status = "DELETED"
        await _bump(org_id, {row.schedule_id for row in live})
    return rows


async def prepare_contact_delete(*, org_id: int, contact_id: int) -> None:
    """Make way for deleting a contact, or refuse: CONFLICT while ACTIVE substitutions name it
    (as the contact or the replacement); its DELETED ones are removed for good, since the
    foreign keys RESTRICT. Call it from the contact's delete, inside its transaction."""
    named = Q(contact_id=contact_id) | Q(replacement_id=contact_id)
    active = await models.Substitution.filter(
        named, organization_id=org_id, status="ACTIVE"
    ).count()
    if active:
        raise Conflict(
            f"the contact is named by {active} active substitution(s) (see Contact.substitutions"
            " and the `replacement` filter of `substitutions`); delete them first",
            extensions={"activeSubstitutions": active},
        )
    await models.Substitution.filter(named, organization_id=org_id).delete()


# ------------------------------------------------------------------------------ the engine seam


async def engine_inputs(
    *, org_id: int, schedule_ids: set[int]
) -> dict[int, tuple[SubstitutionInput, ...]]:
    """The ACTIVE substitutions reaching each schedule (its own plus the org-wide ones), as
    engine inputs with their zone resolved, in creation order (the engine lets the first of
    several simultaneous replacements win). Schedules not in the organization are left out.
    Two queries whatever the number of schedules."""
    if not schedule_ids:
        return {}
    zones: dict[int, str] = dict(
        await schedule_models.Schedule.filter(
            organization_id=org_id, id__in=schedule_ids
        ).values_list("id", "timezone")
    )
    if not zones:
        return {}
    rows = await models.Substitution.filter(
        Q(schedule_id__in=list(zones)) | Q(schedule_id__isnull=True),
        organization_id=org_id,
        status="ACTIVE",
    ).order_by("id")
    out: defaultdict[int, list[SubstitutionInput]] = defaultdict(list)
    for row in rows:
        if row.schedule_id is None:
            sub = engine_input(row, zone_of(row, None))
            for schedule_id in zones:
                out[schedule_id].append(sub)
        else:
            out[row.schedule_id].append(engine_input(row, zone_of(row, zones[row.schedule_id])))
    return {schedule_id: tuple(out[schedule_id]) for schedule_id in zones}
