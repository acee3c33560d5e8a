"""Substitutions: a contact unavailable, or replaced by another, on recurring dates.

Writes validate every item before touching a row (``specs``), so a mutation's transaction
either writes all or nothing. Every write bumps the data version of the tiers it can change.
Reads live in ``query``; ``occurrences`` hands the ACTIVE substitutions of schedules to the
timeline engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, cast

from tortoise.expressions import Q

from app import validation
from app.auth.roles import Actor
from app.contacts import models as contact_models
from app.contacts import service as contact_service
from app.errors import BadUserInput, Collector, Conflict, Forbidden, NotFound
from app.substitutions import models
from app.substitutions.specs import (
    SubstitutionSpec,
    check_spec,
    known_references,
    row_values,
    spec_of,
)
from app.tiers import models as tier_models
from app.tiers import service as tier_service

MAX_BATCH = 100

# Patch keys that may be sent as null, and what null means for them.
_CLEARABLE = {"replacement_id", "schedule_id", "window", "timezone", "between"}
_PATCH_KEYS = {"contact_id", "recurrence", "status", *_CLEARABLE}


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


def _allowed(actor: Actor | None, specs: Iterable[SubstitutionSpec]) -> None:
    """A personal token writes only its own contact's unavailability: FORBIDDEN otherwise."""
    if actor is None or not actor.is_person:
        return
    for spec in specs:
        actor.require_self(spec.contact_id, "it writes substitutions only for itself")
        if spec.replacement_id is not None:
            raise Forbidden(
                "a personal token records only its own unavailability; ask for cover to be replaced"
            )


def _merge(spec: SubstitutionSpec, changes: Mapping[str, Any]) -> SubstitutionSpec:
    """A patch applied to a spec. Setting ``between`` replaces the recurrence and window, and
    setting ``recurrence`` replaces ``between``, unless the patch names both."""
    merged = replace(spec, **changes)
    if changes.get("between") is not None and "recurrence" not in changes:
        merged = replace(merged, recurrence=None, window=changes.get("window"))
    if changes.get("recurrence") is not None and "between" not in changes:
        merged = replace(merged, between=None)
    return merged


async def create_substitutions(
    *, org_id: int, specs: Sequence[SubstitutionSpec], actor: Actor | None = None
) -> list[models.Substitution]:
    """Create one or many; any invalid item refuses them all, naming ``inputs.<i>.<field>``.
    With a PERSON ``actor`` every item must be that contact's unavailability."""
    _allowed(actor, specs)
    if not specs:
        raise BadUserInput("give at least one substitution", field="inputs")
    if len(specs) > MAX_BATCH:
        raise BadUserInput(f"at most {MAX_BATCH} substitutions at once", field="inputs")
    known = await known_references(org_id, specs)
    errors = Collector("inputs.")
    for i, spec in enumerate(specs):
        check_spec(spec, known, errors.child(str(i)))
        if spec.status != "ACTIVE":
            errors.child(str(i)).add("status", "new substitutions are ACTIVE")
    errors.raise_if_any()
    rows = [
        await models.Substitution.create(organization_id=org_id, **row_values(spec))
        for spec in specs
    ]
    await _bump(org_id, {s.schedule_id for s in specs})
    return rows


async def update_substitutions(
    *, org_id: int, ids: Sequence[int], changes: Mapping[str, Any], actor: Actor | None = None
) -> list[models.Substitution]:
    """Apply one patch to each substitution; keys not in ``changes`` stay as they are.

    ``changes`` uses SubstitutionSpec's field names. None clears ``replacement_id`` (it becomes
    an unavailability), ``schedule_id`` (it applies to every schedule: a timezone is then
    required), ``window`` (whole days) and ``timezone`` (the schedule's zone is used); the
    other fields cannot be cleared. A ``recurrence`` replaces the whole recurrence. Any unknown
    id is NOT_FOUND and nothing changes; errors name ``patch.<field>``.
    """
    rows = await _get_many(org_id, ids, "ids")
    _allowed(actor, [spec_of(row) for row in rows])
    errors = Collector("patch.")
    unknown = set(changes) - _PATCH_KEYS
    if unknown:
        raise ValueError(f"unknown patch keys {sorted(unknown)}")
    for key, value in changes.items():
        if value is None and key not in _CLEARABLE:
            errors.add(validation.camel(key), "cannot be cleared")
    errors.raise_if_any()
    merged = [_merge(spec_of(row), changes) for row in rows]
    _allowed(actor, merged)
    known = await known_references(org_id, merged)
    seen: set[tuple[str, str]] = set()
    for spec in merged:
        item = Collector("patch.")
        check_spec(spec, known, item)
        for problem in item.errors:
            if (problem.field, problem.message) not in seen:
                seen.add((problem.field, problem.message))
                errors.errors.append(problem)
    errors.raise_if_any()
    touched: set[int | None] = set()
    for row, spec in zip(rows, merged, strict=True):
        if row.status == "ACTIVE" or spec.status == "ACTIVE":
            touched |= {row.schedule_id, spec.schedule_id}
        for key, value in row_values(spec).items():
            setattr(row, key, value)
        await row.save()
    await _bump(org_id, touched)
    return rows


async def delete_substitutions(
    *, org_id: int, ids: Sequence[int], actor: Actor | None = None
) -> list[models.Substitution]:
    """Mark substitutions DELETED (they stay readable by id); any unknown id changes nothing."""
    rows = await _get_many(org_id, ids, "ids")
    _allowed(actor, [spec_of(row) for row in rows])
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


@contact_service.deleting.register(rank=30)
async def _contact_deleting(org_id: int, contact: contact_models.Contact) -> None:
    await prepare_contact_delete(org_id=org_id, contact_id=contact.id)
