from __future__ import annotations

from typing import Self

import strawberry

from app.api.relay import Node, encode_id
from app.contacts import models


@strawberry.type(name="Contact", description="A person who can be on call.")
class ContactType(Node):
    pk: strawberry.Private[int]
    name: str
    email: str | None
    phone: str | None
    timezone: str = strawberry.field(description="IANA zone of the person, e.g. Europe/London.")

    @classmethod
    def from_model(cls, m: models.Contact) -> Self:
        return cls(
            id=encode_id("Contact", m.id),
            pk=m.id,
            name=m.name,
            email=m.email,
            phone=m.phone,
            timezone=m.timezone,
        )


@strawberry.input(description="A new contact.")
class CreateContactInput:
    name: str
    email: str | None = None
    phone: str | None = None
    timezone: str = "UTC"


@strawberry.input(description="Changes to a contact: omitted fields stay, null clears.")
class UpdateContactInput:
    name: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    timezone: str | None = strawberry.UNSET
