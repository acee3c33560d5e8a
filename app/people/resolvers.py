from __future__ import annotations

import strawberry

from app.api.context import Info, editor
from app.api.relay import decode_id, encode_id
from app.auth import models as auth_models
from app.auth.roles import Role
from app.auth.types import ApiTokenType, CreatedApiToken
from app.contacts import service as contact_service
from app.contacts.types import ContactType
from app.db import transaction
from app.errors import Forbidden
from app.people import service
from app.people.types import Me, PersonalLink


def _link_base(info: Info) -> str:
    configured = info.context.settings.feed_base_url
    return (configured or str(info.context.request.base_url)).rstrip("/")


@strawberry.type
class PeopleQuery:
    @strawberry.field(
        description=("The person behind the calling personal token; null for organization tokens.")
    )
    async def me(self, info: Info) -> Me | None:
        auth = info.context.require(Role.VIEWER)
        if auth.contact_id is None:
            return None
        contact = await contact_service.get_contact(org_id=auth.org_id, contact_id=auth.contact_id)
        token = await auth_models.ApiToken.get(id=auth.token_id)
        return Me(contact=ContactType.from_model(contact), token=ApiTokenType.from_model(token))

    @strawberry.field(
        description=(
            "A contact's personal tokens, revoked ones included, oldest first (EDITOR or "
            "ADMIN; a personal token sees its own contact's)."
        )
    )
    async def personal_tokens(self, info: Info, contact_id: strawberry.ID) -> list[ApiTokenType]:
        auth = info.context.require(Role.VIEWER)
        if auth.role == Role.VIEWER:
            raise Forbidden("EDITOR, ADMIN or the contact's own personal token lists these")
        pk = decode_id(contact_id, "Contact", field="contactId")
        auth.actor().require_self(pk, "it lists only its own personal tokens")
        rows = await service.personal_tokens(org_id=auth.org_id, contact_id=pk)
        return [ApiTokenType.from_model(r) for r in rows]


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(
        description=(
            "Create a personal (PERSON) token for a contact (EDITOR or ADMIN); its secret is "
            "shown once. It reads like a VIEWER and writes only what is the contact's own."
        )
    )
    async def create_personal_token(
        self, info: Info, contact_id: strawberry.ID, name: str
    ) -> CreatedApiToken:
        org_id = editor(info)
        pk = decode_id(contact_id, "Contact", field="contactId")
        async with transaction():
            token, secret = await service.create_personal_token(
                org_id=org_id, contact_id=pk, name=name
            )
        return CreatedApiToken(token=ApiTokenType.from_model(token), secret=secret)

    @strawberry.mutation(
        description=(
            "Create a personal link for a contact (EDITOR or ADMIN): the schedule page's "
            "address with a one-time sign-in code, valid 15 minutes and usable once."
        )
    )
    async def create_personal_link(self, info: Info, contact_id: strawberry.ID) -> PersonalLink:
        org_id = editor(info)
        pk = decode_id(contact_id, "Contact", field="contactId")
        async with transaction():
            row, code = await service.create_sign_in_code(
                org_id=org_id, contact_id=pk, now=info.context.clock.now()
            )
        return PersonalLink(
            url=f"{_link_base(info)}/#signin={code}",
            code=code,
            expires_at=row.expires_at,
            contact_id=encode_id("Contact", pk),
        )


__all__ = ["PeopleMutation", "PeopleQuery"]
