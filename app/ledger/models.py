from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from app.auth.models import Organization
    from app.schedules.models import Schedule


class PayRule(Model):
    """How a schedule's on-call time is paid from ``effective_from`` (a date, local midnight
    in the schedule's zone) until the next rule of the schedule. Rules are never edited in
    place by a change of terms: a new rule with a later date keeps past periods as they were."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="pay_rules", on_delete=fields.CASCADE
    )
    organization_id: int
    schedule: fields.ForeignKeyRelation[Schedule] = fields.ForeignKeyField(
        "models.Schedule", related_name="pay_rules", on_delete=fields.CASCADE
    )
    schedule_id: int
    effective_from = fields.DateField()
    currency = fields.CharField(max_length=3)
    basis = fields.CharField(max_length=9)  # HOURLY or PER_SHIFT
    rate = fields.DecimalField(max_digits=12, decimal_places=4)
    night_multiplier = fields.DecimalField(max_digits=6, decimal_places=3, default=1)
    weekend_multiplier = fields.DecimalField(max_digits=6, decimal_places=3, default=1)
    holiday_multiplier = fields.DecimalField(max_digits=6, decimal_places=3, default=1)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "pay_rule"
        unique_together = (("schedule_id", "effective_from"),)
