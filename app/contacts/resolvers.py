from __future__ import annotations

import strawberry

from app.api.common import DeletePayload
from app.api.context import Info, editor, viewer
from app.api.inputs import changes_of
from app.api.relay import Connection, decode_id, decode_ids, paginate
from app.contacts import service
from app.contacts.types import ContactType, CreateContactInput, UpdateContactInput
from app.db import transaction
from app.layers import edits as layer_edits


@strawberry.type
class ContactQuery:
    @strawberry.field(description="The organization's contacts, by name.")
    async def contacts(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        ids: list[strawberry.ID] | None = None,
    ) -> Connection[ContactType]:
        org_id = viewer(info)
        pks = decode_ids(ids, "Contact", field="ids") if ids is not None else None
        return await paginate(
            service.list_contacts(org_id=org_id, ids=pks),
            ContactType.from_model,
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
        )

    @strawberry.field
    async def contact(self, info: Info, id: strawberry.ID) -> ContactType:
        org_id = viewer(info)
        contact = await service.get_contact(org_id=org_id, contact_id=decode_id(id, "Contact"))
        return ContactType.from_model(contact)


@strawberry.type
class ContactMutation:
    @strawberry.mutation
    async def create_contact(self, info: Info, input: CreateContactInput) -> ContactType:
        org_id = editor(info)
        async with transaction():
            contact = await service.create_contact(
                org_id=org_id,
                fields=service.ContactFields(
                    name=input.name,
                    email=input.email,
                    phone=input.phone,
                    timezone=input.timezone,
                    holiday_region=input.holiday_region,
                ),
            )
        return ContactType.from_model(contact)

    @strawberry.mutation
    async def update_contact(
        self, info: Info, id: strawberry.ID, input: UpdateContactInput
    ) -> ContactType:
        org_id = editor(info)
        async with transaction():
            contact = await layer_edits.update_contact(
                org_id=org_id, contact_id=decode_id(id, "Contact"), changes=changes_of(input)
            )
        return ContactType.from_model(contact)

    @strawberry.mutation(description="Delete a contact; CONFLICT while a layer names it.")
    async def delete_contact(self, info: Info, id: strawberry.ID) -> DeletePayload:
        org_id = editor(info)
        async with transaction():
            await service.delete_contact(org_id=org_id, contact_id=decode_id(id, "Contact"))
        return DeletePayload(deleted_id=id)
