from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from app.auth.models import Organization
    from app.contacts.models import Contact


class Group(Model):
    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="groups", on_delete=fields.CASCADE
    )
    organization_id: int
    name = fields.CharField(max_length=200)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "contact_group"


class GroupMember(Model):
    """A contact's place in a group: ``position`` orders the members."""

    id = fields.IntField(primary_key=True)
    group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "models.Group", related_name="memberships", on_delete=fields.CASCADE
    )
    group_id: int
    contact: fields.ForeignKeyRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="memberships", on_delete=fields.RESTRICT
    )
    contact_id: int
    position = fields.IntField()

    class Meta:
        table = "group_member"
        unique_together = (("group", "contact"),)
