from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from app.auth.models import Organization
    from app.tiers.models import Tier


class Shift(Model):
    """A confirmed piece of a tier's timeline.

    Rows from now to the horizon are kept equal to the computed timeline. Rows that ended
    are history and never rewritten. ``assignees`` are contact ids, primary first. A contact
    deleted later simply drops out when the row is read.
    """

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="shifts", on_delete=fields.CASCADE
    )
    organization_id: int
    tier: fields.ForeignKeyRelation[Tier] = fields.ForeignKeyField(
        "models.Tier", related_name="shifts", on_delete=fields.CASCADE
    )
    tier_id: int
    start = fields.DatetimeField()
    end = fields.DatetimeField()
    assignees: fields.JSONField[list[int]] = fields.JSONField(default=list)
    positions: fields.JSONField[list[int | None]] = fields.JSONField(default=list)
    origin = fields.CharField(max_length=12)
    layer_id = fields.IntField(null=True)
    on_demand_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "shift"
        indexes = (("tier_id", "end"), ("tier_id", "start"))
