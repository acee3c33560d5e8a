from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from app.auth.models import Organization


class ImportLink(Model):
    """Which local object an imported source object became, and how the import left it.

    ``fingerprint`` is a hash of the object exactly as the last import wrote it: when the
    object's current state hashes differently, someone edited it here since.
    """

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="import_links", on_delete=fields.CASCADE
    )
    organization_id: int
    source = fields.CharField(max_length=16)
    kind = fields.CharField(max_length=16)
    source_id = fields.CharField(max_length=400)
    local_id = fields.IntField()
    fingerprint = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "import_link"
        unique_together = (("organization", "source", "kind", "source_id"),)
