from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from app.contacts.models import Contact


class Organization(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    data_version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "organization"


class ApiToken(Model):
    """A bearer credential. PERSON tokens name the contact they act for; a deleted contact
    takes its personal tokens with it."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="tokens", on_delete=fields.CASCADE
    )
    organization_id: int
    contact: fields.ForeignKeyNullableRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="personal_tokens", null=True, on_delete=fields.CASCADE
    )
    contact_id: int | None
    name = fields.CharField(max_length=200)
    role = fields.CharField(max_length=10)
    token_hash = fields.CharField(max_length=64, unique=True)
    prefix = fields.CharField(max_length=12)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"


class SignInCode(Model):
    """A one-time sign-in code of a personal link, stored only as a hash: exchanged once,
    before ``expires_at``, for a new PERSON token of ``contact``."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="sign_in_codes", on_delete=fields.CASCADE
    )
    organization_id: int
    contact: fields.ForeignKeyRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="sign_in_codes", on_delete=fields.CASCADE
    )
    contact_id: int
    code_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    token: fields.ForeignKeyNullableRelation[ApiToken] = fields.ForeignKeyField(
        "models.ApiToken", related_name="sign_in_codes", null=True, on_delete=fields.SET_NULL
    )
    token_id: int | None

    class Meta:
        table = "sign_in_code"
