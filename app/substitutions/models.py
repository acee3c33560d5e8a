from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from app.auth.models import Organization
    from app.contacts.models import Contact
    from app.schedules.models import Schedule


class Substitution(Model):
    """An exception for one contact: unavailable, or replaced by ``replacement``.

    It applies on the recurrence's local dates, inside the optional daily window
    ``window_start``..``window_end`` (``HH:MM``, an end at or before the start is on the next
    day), in ``timezone``, or in the schedule's zone when ``timezone`` is null (a substitution
    without a schedule always has one). ``ends_on`` is the last date the recurrence can apply
    on (the earlier of ``recurrence_to`` and the rule's own end), kept for date-range filters.

    The contact foreign keys RESTRICT: a contact named by substitutions is not deleted
    silently. A deleted schedule takes its substitutions with it.
    """

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="substitutions", on_delete=fields.CASCADE
    )
    organization_id: int
    contact: fields.ForeignKeyRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="substitutions", on_delete=fields.RESTRICT
    )
    contact_id: int
    replacement: fields.ForeignKeyNullableRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="replacing", null=True, on_delete=fields.RESTRICT
    )
    replacement_id: int | None
    schedule: fields.ForeignKeyNullableRelation[Schedule] = fields.ForeignKeyField(
        "models.Schedule", related_name="substitutions", null=True, on_delete=fields.CASCADE
    )
    schedule_id: int | None
    recurrence_type = fields.CharField(max_length=10)
    recurrence_from = fields.DateField()
    recurrence_to = fields.DateField(null=True)
    recurrence_every_n = fields.IntField(default=1)
    recurrence_rule = fields.CharField(max_length=500, null=True)
    ends_on = fields.DateField(null=True)
    between_start = fields.DatetimeField(null=True)
    between_end = fields.DatetimeField(null=True)
    window_start = fields.CharField(max_length=5, null=True)
    window_end = fields.CharField(max_length=5, null=True)
    timezone = fields.CharField(max_length=64, null=True)
    status = fields.CharField(max_length=8, default="ACTIVE")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "substitution"
        indexes = (("organization_id", "status"),)
