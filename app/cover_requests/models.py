from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from app.auth.models import Organization
    from app.contacts.models import Contact
    from app.schedules.models import Schedule
    from app.substitutions.models import Substitution


class CoverRequest(Model):
    """A person's request for cover over [start, end) on a schedule (SPEC §11).

    ``status`` moves OPEN -> OFFERED (some offer stands) -> ACCEPTED, back to OPEN when every
    offer is withdrawn, or ends CANCELLED / EXPIRED. An accepted request names its
    ``volunteer`` and the REPLACEMENT ``substitution`` it created; every change of status is a
    compare-and-set on the previous status, so two writers never both move one request.
    """

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="cover_requests", on_delete=fields.CASCADE
    )
    organization_id: int
    schedule: fields.ForeignKeyRelation[Schedule] = fields.ForeignKeyField(
        "models.Schedule", related_name="cover_requests", on_delete=fields.CASCADE
    )
    schedule_id: int
    requester: fields.ForeignKeyRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="cover_requests", on_delete=fields.CASCADE
    )
    requester_id: int
    start = fields.DatetimeField()
    end = fields.DatetimeField()
    note = fields.CharField(max_length=500, default="")
    status = fields.CharField(max_length=10, default="OPEN")
    volunteer: fields.ForeignKeyNullableRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="covering", null=True, on_delete=fields.SET_NULL
    )
    volunteer_id: int | None
    substitution: fields.ForeignKeyNullableRelation[Substitution] = fields.ForeignKeyField(
        "models.Substitution", related_name="cover_requests", null=True, on_delete=fields.SET_NULL
    )
    substitution_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "cover_request"
        indexes = (("status", "start"), ("organization_id", "schedule_id"))


class CoverOffer(Model):
    """A candidate's offer to cover a request: ACTIVE, WITHDRAWN, ACCEPTED, or DECLINED when
    another offer was accepted. One row per (request, contact): offering again after
    withdrawing makes it ACTIVE again."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="cover_offers", on_delete=fields.CASCADE
    )
    organization_id: int
    cover_request: fields.ForeignKeyRelation[CoverRequest] = fields.ForeignKeyField(
        "models.CoverRequest", related_name="offers", on_delete=fields.CASCADE
    )
    cover_request_id: int
    contact: fields.ForeignKeyRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="cover_offers", on_delete=fields.CASCADE
    )
    contact_id: int
    status = fields.CharField(max_length=10, default="ACTIVE")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "cover_offer"
        unique_together = (("cover_request_id", "contact_id"),)
