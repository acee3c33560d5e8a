from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from app.api.relay import Node, encode_id
from app.audit import models


@strawberry.type(
    name="AuditEntry",
    description="One successful write: who made it, what it named, when. Entries are never "
    "changed and stay when what they name is deleted.",
)
class AuditEntryType(Node):
    at: datetime = strawberry.field(description="When the write was made.")
    operation: str = strawberry.field(description="The mutation, e.g. `createContact`.")
    object_ids: list[strawberry.ID] = strawberry.field(
        description="Global ids of the objects the write named in its input or returned."
    )
    token_id: strawberry.ID = strawberry.field(description="The ApiToken that made the write.")
    token_name: str = strawberry.field(description="The token's name when it made the write.")
    role: str = strawberry.field(description="The token's role: VIEWER, EDITOR, ADMIN, PERSON.")
    contact_id: strawberry.ID | None = strawberry.field(
        description="For a personal (PERSON) token: the contact it acts for."
    )

    @classmethod
    def from_model(cls, m: models.AuditEntry) -> Self:
        return cls(
            id=encode_id("AuditEntry", m.id),
            at=m.at,
            operation=m.operation,
            object_ids=[strawberry.ID(i) for i in m.ids()],
            token_id=encode_id("ApiToken", m.token_id),
            token_name=m.token_name,
            role=m.role,
            contact_id=encode_id("Contact", m.contact_id) if m.contact_id is not None else None,
        )


@strawberry.input(description="Every given field must match (AND); `operations` is an OR.")
class AuditLogFilter:
    operations: list[str] | None = None
    token_id: strawberry.ID | None = None
    contact_id: strawberry.ID | None = None
    object_id: strawberry.ID | None = strawberry.field(
        default=None, description="Entries that name this object."
    )
    from_: datetime | None = strawberry.field(
        name="from", default=None, description="Entries at or after this instant."
    )
    to: datetime | None = strawberry.field(default=None, description="Entries before this instant.")
