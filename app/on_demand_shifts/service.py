"""On-demand shifts (SPEC §3): explicit assignments with the `sure` overlap rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.queryset import QuerySet

from app.contacts import models as contact_models
from app.contacts import service as contact_service
from app.errors import Collector, Conflict, NotFound
from app.ids import encode_id
from app.on_demand_shifts import models
from app.tiers import models as tier_models
from app.tiers import service as tier_service

MAX_LENGTH = timedelta(days=366)
MAX_CONTACTS = 20


@dataclass(frozen=True)
class ShiftSpec:
    start: datetime
    end: datetime
    contact_ids: tuple[int, ...]


async def _check(*, org_id: int, spec: ShiftSpec, prefix: str = "input.") -> None:
    errors = Collector(prefix)
    if spec.start.tzinfo is None:
        errors.add("start", "needs a UTC offset")
    if spec.end.tzinfo is None:
        errors.add("end", "needs a UTC offset")
    if not errors.errors:
        if spec.end <= spec.start:
            errors.add("end", "must be after start")
        elif spec.end - spec.start > MAX_LENGTH:
            errors.add("end", "an on-demand shift is at most 366 days long")
    if not spec.contact_ids:
        errors.add("contactIds", "name at least one contact")
    elif len(spec.contact_ids) > MAX_CONTACTS:
        errors.add("contactIds", f"at most {MAX_CONTACTS} contacts")
    known = await contact_service.existing_ids(org_id=org_id, ids=set(spec.contact_ids))
    seen: set[int] = set()
    for i, pk in enumerate(spec.contact_ids):
        if pk not in known:
            errors.missing(f"contactIds.{i}", "Contact")
        elif pk in seen:
            errors.add(f"contactIds.{i}", "appears twice")
        seen.add(pk)
    errors.raise_if_any()


async def _lock_tier(*, org_id: int, tier_id: int) -> tier_models.Tier:
    """The tier row, locked for the rest of the transaction on PostgreSQL, so two writers of
    one tier's on-demand shifts run one after the other. (SQLite holds one lock for every
    transaction already.)"""
    tier = (
        await tier_models.Tier.filter(id=tier_id, organization_id=org_id)
        .select_for_update()
        .first()
    )
    if tier is None:
        raise NotFound("Tier", tier_id)
    return tier


async def _write_contacts(shift_id: int, contact_ids: Sequence[int]) -> None:
    await models.OnDemandShiftContact.filter(shift_id=shift_id).delete()
    await models.OnDemandShiftContact.bulk_create(
        [
            models.OnDemandShiftContact(shift_id=shift_id, contact_id=pk, position=i)
            for i, pk in enumerate(contact_ids)
        ]
    )


async def _make_room(
    *, tier: tier_models.Tier, spec: ShiftSpec, sure: bool, exclude: int | None
) -> None:
    query = models.OnDemandShift.filter(tier_id=tier.id, start__lt=spec.end, end__gt=spec.start)
    if exclude is not None:
        query = query.exclude(id=exclude)
    overlapping = await query.order_by("start")
    if not overlapping:
        return
    if not sure:
        listed = [
            {
                "id": encode_id("OnDemandShift", o.id),
                "start": o.start.isoformat(),
                "end": o.end.isoformat(),
            }
            for o in overlapping
        ]
        raise Conflict(
            f"overlaps {len(overlapping)} on-demand shift(s) of this tier; "
            "send sure: true to trim or split them around this one",
            extensions={"overlapping": listed},
        )
    for other in overlapping:
        if other.start >= spec.start and other.end <= spec.end:
            await other.delete()
        elif other.start < spec.start and other.end > spec.end:
            tail_end = other.end
            other.end = spec.start
            await other.save(update_fields=["end", "updated_at"])
            contacts = (await contact_ids_of([other.id]))[other.id]
            tail = await models.OnDemandShift.create(
                organization_id=other.organization_id, tier_id=tier.id, start=spec.end, end=tail_end
            )
            await _write_contacts(tail.id, contacts)
        elif other.start < spec.start:
            other.end = spec.start
            await other.save(update_fields=["end", "updated_at"])
        else:
            other.start = spec.end
            await other.save(update_fields=["start", "updated_at"])


async def create_shift(
    *, org_id: int, tier_id: int, spec: ShiftSpec, sure: bool
) -> models.OnDemandShift:
    """Save a shift. Overlaps with the tier's other on-demand shifts are refused with
    CONFLICT unless ``sure``, which trims or splits them around the new one."""
    await _check(org_id=org_id, spec=spec)
    tier = await _lock_tier(org_id=org_id, tier_id=tier_id)
    await _make_room(tier=tier, spec=spec, sure=sure, exclude=None)
    shift = await models.OnDemandShift.create(
        organization_id=org_id, tier_id=tier.id, start=spec.start, end=spec.end
    )
    await _write_contacts(shift.id, spec.contact_ids)
    await tier_service.bump_version(tier_ids={tier.id})
    return shift


async def get_shift(*, org_id: int, shift_id: int) -> models.OnDemandShift:
    shift = await models.OnDemandShift.get_or_none(id=shift_id, organization_id=org_id)
    if shift is None:
        raise NotFound("OnDemandShift", shift_id)
    return shift


async def _get_locked(
    *, org_id: int, shift_id: int
) -> tuple[models.OnDemandShift, tier_models.Tier]:
    """A shift read while its tier is locked. The tier is found from a first read (a shift
    never changes tier); the shift is read again under the lock, because a concurrent writer
    may have trimmed, split or deleted it while this one waited for the lock."""
    shift = await get_shift(org_id=org_id, shift_id=shift_id)
    tier = await _lock_tier(org_id=org_id, tier_id=shift.tier_id)
    return await get_shift(org_id=org_id, shift_id=shift_id), tier


async def contact_ids_of(shift_ids: Sequence[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {pk: [] for pk in shift_ids}
    if shift_ids:
        for shift_id, contact_id in (
            await models.OnDemandShiftContact.filter(shift_id__in=list(shift_ids))
            .order_by("shift_id", "position")
            .values_list("shift_id", "contact_id")
        ):
            out[shift_id].append(contact_id)
    return out


async def update_shift(
    *,
    org_id: int,
    shift_id: int,
    start: datetime | None,
    end: datetime | None,
    contact_ids: tuple[int, ...] | None,
    sure: bool,
) -> models.OnDemandShift:
    """Change a shift's times and/or contacts (None keeps a field); same overlap rule."""
    shift, tier = await _get_locked(org_id=org_id, shift_id=shift_id)
    current = (await contact_ids_of([shift.id]))[shift.id]
    spec = ShiftSpec(
        start=start or shift.start,
        end=end or shift.end,
        contact_ids=contact_ids if contact_ids is not None else tuple(current),
    )
    await _check(org_id=org_id, spec=spec)
    await _make_room(tier=tier, spec=spec, sure=sure, exclude=shift.id)
    shift.start, shift.end = spec.start, spec.end
    await shift.save()
    if contact_ids is not None:
        await _write_contacts(shift.id, contact_ids)
    await tier_service.bump_version(tier_ids={tier.id})
    return shift


async def delete_shift(*, org_id: int, shift_id: int) -> None:
    shift, _ = await _get_locked(org_id=org_id, shift_id=shift_id)
    await shift.delete()
    await tier_service.bump_version(tier_ids={shift.tier_id})


def list_shifts(
    *,
    org_id: int,
    tier_ids: Sequence[int] | None = None,
    schedule_ids: Sequence[int] | None = None,
    contact_ids: Sequence[int] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> QuerySet[models.OnDemandShift]:
    """Filters AND together; each list is an OR of its values; start/end select overlap."""
    query = models.OnDemandShift.filter(organization_id=org_id)
    if tier_ids:
        query = query.filter(tier_id__in=list(tier_ids))
    if schedule_ids:
        query = query.filter(tier__schedule_id__in=list(schedule_ids))
    if contact_ids:
        query = query.filter(assignments__contact_id__in=list(contact_ids)).distinct()
    if start is not None:
        query = query.filter(end__gt=start)
    if end is not None:
        query = query.filter(start__lt=end)
    return query.order_by("start", "id")


@contact_service.deleting.register(rank=20)
async def _refuse_assigned_contact(org_id: int, contact: contact_models.Contact) -> None:
    count = await models.OnDemandShiftContact.filter(contact_id=contact.id).count()
    if count:
        raise Conflict(
            f"contact {contact.name!r} is assigned to {count} on-demand shift(s); "
            "change or delete them first",
            extensions={"onDemandShifts": count},
        )
