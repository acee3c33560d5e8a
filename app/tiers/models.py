from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from app.auth.models import Organization
    from app.schedules.models import Schedule


class Tier(Model):
    """An escalation level of a schedule: number 1 is the primary."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="tiers", on_delete=fields.CASCADE
    )
    organization_id: int
    schedule: fields.ForeignKeyRelation[Schedule] = fields.ForeignKeyField(
        "models.Schedule", related_name="tiers", on_delete=fields.CASCADE
    )
    schedule_id: int
    number = fields.IntField()
    name = fields.CharField(max_length=200, default="")
    data_version = fields.IntField(default=1)
    confirmed_version = fields.IntField(null=True)
    confirmed_since = fields.DatetimeField(null=True)
    confirmed_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "tier"
        unique_together = (("schedule", "number"),)
