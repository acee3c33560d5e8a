from __future__ import annotations

from typing import Self

import strawberry

from app.api.context import Info
from app.api.relay import Node, encode_id
from app.contacts.types import ContactType
from app.groups import models


@strawberry.type(name="Group", description="An ordered set of contacts.")
class GroupType(Node):
    pk: strawberry.Private[int]
    name: str

    @strawberry.field(description="The members, in order.")
    async def members(self, info: Info) -> list[ContactType]:
        loaders = info.context.loaders
        memberships = await loaders.group_members.load(self.pk)
        contacts = await loaders.contact.load_many([m.contact_id for m in memberships])
        return [ContactType.from_model(c) for c in contacts if c is not None]

    @classmethod
    def from_model(cls, m: models.Group) -> Self:
        return cls(id=encode_id("Group", m.id), pk=m.id, name=m.name)


@strawberry.input
class CreateGroupInput:
    name: str
    member_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input(
    description="Omitted fields stay; memberIds replaces the members in order (null clears them)."
)
class UpdateGroupInput:
    name: str | None = strawberry.UNSET
    member_ids: list[strawberry.ID] | None = strawberry.UNSET
