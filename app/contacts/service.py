"""Contacts: people who can be on call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from tortoise.queryset import QuerySet

from app import validation
from app.contacts import models
from app.errors import Collector, NotFound
from app.holiday_calendars import region_problem
from app.hooks import Hook


@dataclass(frozen=True)
class ContactFields:
    name: str
    email: str | None = None
    phone: str | None = None
    timezone: str = "UTC"
    holiday_region: str | None = None


def _region(errors: Collector, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    region = value.strip().upper()
    if why := region_problem(region):
        errors.add("holidayRegion", why)
    return region


def _check(fields: ContactFields, errors: Collector) -> ContactFields:
    return ContactFields(
        name=validation.non_empty(errors, "name", fields.name),
        email=validation.email(errors, "email", fields.email),
        phone=validation.phone(errors, "phone", fields.phone),
        timezone=fields.timezone if validation.zone(errors, "timezone", fields.timezone) else "",
        holiday_region=_region(errors, fields.holiday_region),
    )


def list_contacts(*, org_id: int, ids: list[int] | None = None) -> QuerySet[models.Contact]:
    qs = models.Contact.filter(organization_id=org_id)
    if ids is not None:  # an empty list asks for no contacts, not for all of them
        qs = qs.filter(id__in=ids)
    return qs.order_by("name", "id")


async def get_contact(*, org_id: int, contact_id: int) -> models.Contact:
    contact = await models.Contact.get_or_none(id=contact_id, organization_id=org_id)
    if contact is None:
        raise NotFound("Contact", contact_id)
    return contact


async def create_contact(*, org_id: int, fields: ContactFields) -> models.Contact:
    errors = Collector("input.")
    checked = _check(fields, errors)
    errors.raise_if_any()
    return await models.Contact.create(
        organization_id=org_id,
        name=checked.name,
        email=checked.email,
        phone=checked.phone,
        timezone=checked.timezone,
        holiday_region=checked.holiday_region,
    )


async def update_contact(
    *, org_id: int, contact_id: int, changes: dict[str, str | None]
) -> models.Contact:
    """Apply the given changes; fields not named stay as they are."""
    contact = await get_contact(org_id=org_id, contact_id=contact_id)
    errors = Collector("input.")
    for required in ("name", "timezone"):
        if required in changes and changes[required] is None:
            errors.add(validation.camel(required), "cannot be cleared")
    errors.raise_if_any()
    # An explicit empty name or zone is checked (and refused), never read as "unchanged";
    # an explicit null was refused above.
    merged = ContactFields(
        name=changes.get("name", contact.name) or "",
        email=changes.get("email", contact.email),
        phone=changes.get("phone", contact.phone),
        timezone=changes.get("timezone", contact.timezone) or "",
        holiday_region=changes.get("holiday_region", contact.holiday_region),
    )
    checked = _check(merged, errors)
    errors.raise_if_any()
    contact.name, contact.email, contact.phone = checked.name, checked.email, checked.phone
    contact.timezone = checked.timezone
    contact.holiday_region = checked.holiday_region
    await contact.save()
    return contact


deleting: Hook[[int, models.Contact]] = Hook("contacts.deleting")
"""Runs ``handler(org_id, contact)`` inside ``delete_contact`` before the row goes. The domains
that name contacts register here (layers, on-demand shifts, substitutions, groups) to refuse
with a CONFLICT or to remove what must go with the contact, so contacts never imports them."""


async def delete_contact(*, org_id: int, contact_id: int) -> None:
    """Delete a contact; refused while a layer names it directly. Group memberships go too."""
    contact = await get_contact(org_id=org_id, contact_id=contact_id)
    await deleting.run(org_id, contact)
    await contact.delete()


async def existing_ids(*, org_id: int, ids: set[int]) -> set[int]:
    if not ids:
        return set()
    found = await models.Contact.filter(organization_id=org_id, id__in=ids).values_list(
        "id", flat=True
    )
    return set(cast(list[int], found))
