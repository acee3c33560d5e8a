from __future__ import annotations

import strawberry

from app import clock
from app.api.common import DeletePayload
from app.api.context import Info, editor, viewer
from app.api.relay import Connection, decode_id, decode_ids, paginate
from app.db import transaction
from app.groups import service
from app.groups.types import CreateGroupInput, GroupType, UpdateGroupInput
from app.layers import edits as layer_edits
from app.layers.resolvers import effective_spec
from app.layers.rule_types import RosterChangeInput


@strawberry.type
class GroupQuery:
    @strawberry.field(description="The organization's groups, by name.")
    async def groups(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[GroupType]:
        return await paginate(
            service.list_groups(org_id=viewer(info)),
            GroupType.from_model,
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
        )

    @strawberry.field
    async def group(self, info: Info, id: strawberry.ID) -> GroupType:
        group = await service.get_group(org_id=viewer(info), group_id=decode_id(id, "Group"))
        return GroupType.from_model(group)


@strawberry.type
class GroupMutation:
    @strawberry.mutation
    async def create_group(self, info: Info, input: CreateGroupInput) -> GroupType:
        org_id = editor(info)
        members = decode_ids(input.member_ids, "Contact", field="input.memberIds")
        async with transaction():
            group = await service.create_group(org_id=org_id, name=input.name, member_ids=members)
        return GroupType.from_model(group)

    @strawberry.mutation
    async def update_group(
        self,
        info: Info,
        id: strawberry.ID,
        input: UpdateGroupInput,
        effective: RosterChangeInput | None = None,
    ) -> GroupType:
        org_id = editor(info)
        members = None  # omitted: the members stay; explicit null clears them, like []
        if input.member_ids is not strawberry.UNSET:
            members = decode_ids(input.member_ids or [], "Contact", field="input.memberIds")
        name = None if input.name is strawberry.UNSET else input.name
        if input.name is None:
            name = ""
        async with transaction():
            group = await layer_edits.update_group(
                org_id=org_id,
                group_id=decode_id(id, "Group"),
                name=name,
                member_ids=members,
                now=clock.now(),
                effective=effective_spec(effective),
            )
        return GroupType.from_model(group)

    @strawberry.mutation(description="Delete a group; CONFLICT while a layer names it.")
    async def delete_group(self, info: Info, id: strawberry.ID) -> DeletePayload:
        org_id = editor(info)
        async with transaction():
            await service.delete_group(org_id=org_id, group_id=decode_id(id, "Group"))
        return DeletePayload(deleted_id=id)
