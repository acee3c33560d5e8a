from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AuditEntry(Model):
    """One successful write. Values, not foreign keys: an entry outlives what it names."""

    id = fields.IntField(primary_key=True)
    organization_id = fields.IntField(db_index=True)
    at = fields.DatetimeField(db_index=True)
    token_id = fields.IntField()
    token_name = fields.CharField(max_length=200)
    role = fields.CharField(max_length=10)
    contact_id = fields.IntField(null=True)
    operation = fields.CharField(max_length=100)
    # Global ids separated (and surrounded) by spaces, so one id is found with LIKE on
    # every backend: " Q29udGFjdDox U2NoZWR1bGU6Mg ".
    object_ids = fields.TextField(default=" ")

    def ids(self) -> list[str]:
        return self.object_ids.split()

    class Meta:
        table = "audit_entry"
