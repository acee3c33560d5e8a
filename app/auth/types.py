from __future__ import annotations

import enum
from datetime import datetime
from typing import Self

import strawberry

from app.api.relay import Node, encode_id
from app.auth import models
from app.auth.roles import Role as RoleValue


@strawberry.enum(
    description=(
        "VIEWER reads, EDITOR writes, ADMIN also manages organization tokens and "
        "destinations. PERSON: a personal token bound to one contact; it reads like a VIEWER "
        "and writes only that contact's cover requests and offers, unavailability "
        "substitutions and calendar connections."
    )
)
class Role(enum.Enum):
    VIEWER = "VIEWER"
    EDITOR = "EDITOR"
    ADMIN = "ADMIN"
    PERSON = "PERSON"

    def to_domain(self) -> RoleValue:
        return RoleValue(self.value)


@strawberry.type(name="Organization", description="The tenancy boundary.")
class OrganizationType(Node):
    pk: strawberry.Private[int]
    name: str

    @classmethod
    def from_model(cls, m: models.Organization) -> Self:
        return cls(id=encode_id("Organization", m.id), pk=m.id, name=m.name)


@strawberry.type(
    name="ApiToken", description="A bearer credential. Its secret is never shown again."
)
class ApiTokenType(Node):
    pk: strawberry.Private[int]
    name: str
    role: Role
    prefix: str = strawberry.field(
        description="The first characters of the secret, to tell tokens apart."
    )
    contact_id: strawberry.ID | None = strawberry.field(
        description="The contact a PERSON token acts for; null for organization tokens."
    )
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def from_model(cls, m: models.ApiToken) -> Self:
        return cls(
            id=encode_id("ApiToken", m.id),
            pk=m.id,
            name=m.name,
            role=Role(m.role),
            prefix=m.prefix,
            contact_id=None if m.contact_id is None else encode_id("Contact", m.contact_id),
            created_at=m.created_at,
            last_used_at=m.last_used_at,
            revoked_at=m.revoked_at,
        )


@strawberry.type(description="A new token with its secret, shown this once.")
class CreatedApiToken:
    token: ApiTokenType
    secret: str = strawberry.field(description="Send as `Authorization: Bearer <secret>`.")


@strawberry.type(description="Who is calling.")
class Viewer:
    organization: OrganizationType
    role: Role
    token: ApiTokenType
