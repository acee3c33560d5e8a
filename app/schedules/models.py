from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from app.auth.models import Organization


class Schedule(Model):
    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="schedules", on_delete=fields.CASCADE
    )
    organization_id: int
    customer = fields.CharField(max_length=200, default="")
    name = fields.CharField(max_length=200)
    default_email = fields.CharField(max_length=320, null=True)
    default_phone = fields.CharField(max_length=40, null=True)
    timezone = fields.CharField(max_length=64, default="UTC")
    assignment_horizon_days = fields.IntField(default=28)
    status = fields.CharField(max_length=8, default="PENDING")
    on_call_signature = fields.CharField(max_length=2000, default="")
    # The holiday calendar (SPEC §9): a region of the ``holidays`` library, plus dates the team
    # adds ([{"date": "YYYY-MM-DD", "name": ...}]) and dates it works (["YYYY-MM-DD"]).
    holiday_region = fields.CharField(max_length=40, null=True)
    holiday_extra_dates: fields.JSONField[list[dict[str, str]]] = fields.JSONField(
        default=list, db_default="[]"
    )
    holiday_excluded_dates: fields.JSONField[list[str]] = fields.JSONField(
        default=list, db_default="[]"
    )
    # The ``holidays`` library version the region's dates were last pinned under, and those
    # region dates ({"region", "first", "last", "dates": [...]}, whole years): an upgrade that
    # moves them counts as an edit of the calendar (SPEC §9), judged against this snapshot.
    holidays_version = fields.CharField(max_length=40, null=True)
    holiday_region_snapshot: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "schedule"
