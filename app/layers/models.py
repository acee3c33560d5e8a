from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from app.auth.models import Organization
    from app.contacts.models import Contact
    from app.groups.models import Group
    from app.tiers.models import Tier


class Layer(Model):
    """A stored rotation inside a tier (a "staff schedule").

    ``start`` and ``end`` are wall-clock date-times in ``timezone`` (stored without an
    offset). The time of day of ``start`` is the handoff time.
    """

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="layers", on_delete=fields.CASCADE
    )
    organization_id: int
    tier: fields.ForeignKeyRelation[Tier] = fields.ForeignKeyField(
        "models.Tier", related_name="layers", on_delete=fields.CASCADE
    )
    tier_id: int
    name = fields.CharField(max_length=200)
    index = fields.IntField()
    start_local = fields.CharField(max_length=19)
    end_local = fields.CharField(max_length=19, null=True)
    timezone = fields.CharField(max_length=64)
    rotation_unit = fields.CharField(max_length=5)
    rotation_length = fields.IntField(default=1)
    staff_on_call = fields.IntField(default=1)
    staff_to_rotate = fields.IntField(null=True)
    direction = fields.CharField(max_length=8, default="FORWARD")
    restrictions: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)
    recurrence_type = fields.CharField(max_length=10, null=True)
    recurrence_from = fields.DateField(null=True)
    recurrence_to = fields.DateField(null=True)
    recurrence_every_n = fields.IntField(default=1)
    recurrence_rule = fields.CharField(max_length=500, null=True)
    min_staff = fields.IntField(null=True)
    skip_unavailable = fields.BooleanField(default=True)
    on_holidays = fields.CharField(max_length=4, default="RUN", db_default="RUN")
    participant_holidays = fields.BooleanField(default=False, db_default=False)
    # [{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}], inclusive local dates in ``timezone``.
    pauses: fields.JSONField[list[dict[str, str]]] = fields.JSONField(default=list, db_default="[]")
    advance = fields.CharField(max_length=12, default="EVERY_TURN", db_default="EVERY_TURN")
    # [{"start": ISO UTC instant, "turn": t_v, "offset": o_v, "contacts": [ids]}] (SPEC §9);
    # empty: one segment over the current participants.
    roster_segments: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(
        default=list, db_default="[]"
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "layer"
        unique_together = (("tier", "index"),)


class LayerParticipant(Model):
    """One entry of a layer's participant list: a contact or a group, optionally on weekdays
    and within daily working hours (HH:MM in each contact's own zone)."""

    id = fields.IntField(primary_key=True)
    layer: fields.ForeignKeyRelation[Layer] = fields.ForeignKeyField(
        "models.Layer", related_name="participants", on_delete=fields.CASCADE
    )
    layer_id: int
    position = fields.IntField()
    contact: fields.ForeignKeyNullableRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="layer_entries", null=True, on_delete=fields.RESTRICT
    )
    contact_id: int | None
    group: fields.ForeignKeyNullableRelation[Group] = fields.ForeignKeyField(
        "models.Group", related_name="layer_entries", null=True, on_delete=fields.RESTRICT
    )
    group_id: int | None
    weekdays: fields.JSONField[list[int] | None] = fields.JSONField(null=True)
    working_hours_start = fields.CharField(max_length=5, null=True)
    working_hours_end = fields.CharField(max_length=5, null=True)

    class Meta:
        table = "layer_participant"
