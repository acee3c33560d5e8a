from __future__ import annotations

import strawberry

from app.api.context import Info, admin, viewer, writer
from app.api.relay import Connection, decode_id, paginate
from app.auth import models, service
from app.auth.types import ApiTokenType, CreatedApiToken, OrganizationType, Role, Viewer
from app.db import transaction


@strawberry.type
class AuthQuery:
    @strawberry.field(description="The calling token, its role and its organization.")
    async def viewer(self, info: Info) -> Viewer:
        auth = info.context.require(Role.VIEWER.to_domain())
        org = await models.Organization.get(id=auth.org_id)
        token = await models.ApiToken.get(id=auth.token_id)
        return Viewer(
            organization=OrganizationType.from_model(org),
            role=Role(auth.role.value),
            token=ApiTokenType.from_model(token),
        )

    @strawberry.field(description="The organization's API tokens (ADMIN only).")
    async def api_tokens(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ApiTokenType]:
        org_id = admin(info)
        return await paginate(
            models.ApiToken.filter(organization_id=org_id).order_by("id"),
            ApiTokenType.from_model,
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
        )


@strawberry.type
class AuthMutation:
    @strawberry.mutation(
        description=(
            "Create an organization token (ADMIN only); its secret is shown once. Personal "
            "(PERSON) tokens are made with `createPersonalToken`."
        )
    )
    async def create_api_token(self, info: Info, name: str, role: Role) -> CreatedApiToken:
        org_id = admin(info)
        async with transaction():
            token, secret = await service.create_token(
                org_id=org_id, name=name, role=role.to_domain()
            )
        return CreatedApiToken(token=ApiTokenType.from_model(token), secret=secret)

    @strawberry.mutation(
        description=(
            "Revoke a token; it fails at once after. ADMIN revokes any token, EDITOR personal "
            "tokens, a personal token those of its own contact."
        )
    )
    async def revoke_api_token(self, info: Info, id: strawberry.ID) -> ApiTokenType:
        auth = writer(info)
        async with transaction():
            token = await service.revoke_token(
                by=auth,
                token_id=decode_id(id, "ApiToken"),
                now=info.context.clock.now(),
            )
        return ApiTokenType.from_model(token)


__all__ = ["AuthMutation", "AuthQuery", "viewer"]
