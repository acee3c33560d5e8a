from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from app.auth.models import Organization
    from app.contacts.models import Contact
    from app.tiers.models import Tier


class OnDemandShift(Model):
    """An explicit assignment on a tier: it wins over every layer and ignores availability."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="on_demand_shifts", on_delete=fields.CASCADE
    )
    organization_id: int
    tier: fields.ForeignKeyRelation[Tier] = fields.ForeignKeyField(
        "models.Tier", related_name="on_demand_shifts", on_delete=fields.CASCADE
    )
    tier_id: int
    start = fields.DatetimeField()
    end = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "on_demand_shift"
        indexes = (("tier_id", "start"),)


class OnDemandShiftContact(Model):
    """The ordered contacts of an on-demand shift (position 0 is the primary)."""

    id = fields.IntField(primary_key=True)
    shift: fields.ForeignKeyRelation[OnDemandShift] = fields.ForeignKeyField(
        "models.OnDemandShift", related_name="assignments", on_delete=fields.CASCADE
    )
    shift_id: int
    contact: fields.ForeignKeyRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="on_demand_assignments", on_delete=fields.RESTRICT
    )
    contact_id: int
    position = fields.IntField()

    class Meta:
        table = "on_demand_shift_contact"
