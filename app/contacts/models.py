from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from app.auth.models import Organization


class Contact(Model):
    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="contacts", on_delete=fields.CASCADE
    )
    organization_id: int
    name = fields.CharField(max_length=200)
    email = fields.CharField(max_length=320, null=True)
    phone = fields.CharField(max_length=40, null=True)
    timezone = fields.CharField(max_length=64, default="UTC")
    # A region of the ``holidays`` library: the person's own public holidays (SPEC §9).
    holiday_region = fields.CharField(max_length=40, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "contact"
