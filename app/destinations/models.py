from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from app.auth.models import Organization
    from app.schedules.models import Schedule


class Destination(Model):
    """An export target of a schedule, fed by one assignee position of one tier."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="destinations", on_delete=fields.CASCADE
    )
    organization_id: int
    schedule: fields.ForeignKeyRelation[Schedule] = fields.ForeignKeyField(
        "models.Schedule", related_name="destinations", on_delete=fields.CASCADE
    )
    schedule_id: int
    name = fields.CharField(max_length=200)
    kind = fields.CharField(max_length=12)
    tier_number = fields.IntField(default=1)
    position = fields.IntField(default=1)
    auto_export = fields.BooleanField(default=True)
    config: dict[str, Any] = fields.JSONField(default=dict)
    secrets: dict[str, Any] = fields.JSONField(default=dict)
    exported_until = fields.DatetimeField(null=True)
    cover_until = fields.DatetimeField(null=True)
    status = fields.CharField(max_length=8, default="PENDING")
    status_reason: str | None = fields.TextField(null=True)
    # When a change last left confirmed shifts unexported (the grace starts here).
    changed_at = fields.DatetimeField(null=True)
    last_error: str | None = fields.TextField(null=True)
    last_attempt_at = fields.DatetimeField(null=True)
    last_success_at = fields.DatetimeField(null=True)
    attempts_finished = fields.IntField(default=0)
    export_due_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "destination"


class Delivery(Model):
    """One logical export: its deterministic idempotency key and what became of it."""

    id = fields.IntField(primary_key=True)
    destination: fields.ForeignKeyRelation[Destination] = fields.ForeignKeyField(
        "models.Destination", related_name="deliveries", on_delete=fields.CASCADE
    )
    destination_id: int
    idempotency_key = fields.CharField(max_length=64)
    range_start = fields.DatetimeField()
    range_end = fields.DatetimeField()
    shift_count = fields.IntField(default=0)
    state = fields.CharField(max_length=8, default="SENDING")
    error = fields.TextField(null=True)
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "destination_delivery"
        indexes = (("destination_id", "started_at"),)


class ExternalItem(Model):
    """Something an adapter created at a destination (a PagerDuty override, a CalDAV
    event), remembered so a replaced range can remove exactly what was written before."""

    id = fields.IntField(primary_key=True)
    destination: fields.ForeignKeyRelation[Destination] = fields.ForeignKeyField(
        "models.Destination", related_name="items", on_delete=fields.CASCADE
    )
    destination_id: int
    external_id = fields.CharField(max_length=500)
    start = fields.DatetimeField()
    end = fields.DatetimeField()

    class Meta:
        table = "destination_item"
        indexes = (("destination_id", "start"),)
