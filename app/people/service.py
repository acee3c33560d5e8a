"""Personal tokens and the one-time sign-in codes of personal links."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from app import versions
from app.auth import models as auth_models
from app.auth import service as auth_service
from app.auth.roles import Role
from app.contacts import service as contact_service
from app.errors import BadUserInput, Unauthenticated

SIGN_IN_CODE_TTL = timedelta(minutes=15)
CODE_PREFIX = "rgc_"
PERSONAL_LINK_TOKEN_NAME = "personal link"


async def create_personal_token(
    *, org_id: int, contact_id: int, name: str
) -> tuple[auth_models.ApiToken, str]:
    """A PERSON token for a contact of the organization (NOT_FOUND otherwise)."""
    await contact_service.get_contact(org_id=org_id, contact_id=contact_id)
    return await auth_service.create_token(
        org_id=org_id, name=name, role=Role.PERSON, contact_id=contact_id
    )


async def personal_tokens(*, org_id: int, contact_id: int) -> list[auth_models.ApiToken]:
    await contact_service.get_contact(org_id=org_id, contact_id=contact_id)
    return await auth_models.ApiToken.filter(
        organization_id=org_id, contact_id=contact_id
    ).order_by("id")


async def create_sign_in_code(
    *, org_id: int, contact_id: int, now: datetime
) -> tuple[auth_models.SignInCode, str]:
    """A new one-time code for the contact; the code is returned here once."""
    await contact_service.get_contact(org_id=org_id, contact_id=contact_id)
    code = CODE_PREFIX + secrets.token_urlsafe(24)
    row = await auth_models.SignInCode.create(
        organization_id=org_id,
        contact_id=contact_id,
        code_hash=auth_service.hash_token(code),
        expires_at=now + SIGN_IN_CODE_TTL,
    )
    return row, code


async def exchange_code(*, code: str, now: datetime) -> tuple[auth_models.ApiToken, str]:
    """Spend a sign-in code for a new PERSON token of its contact. Call inside a transaction:
    of two exchanges of one code exactly one gets a token."""
    code = code.strip()
    if not code:
        raise BadUserInput("is required", field="code")
    refused = Unauthenticated("the sign-in code is not valid, has been used or has expired")
    if not code.startswith(CODE_PREFIX) or len(code) > 100:
        raise refused
    row = await auth_models.SignInCode.get_or_none(code_hash=auth_service.hash_token(code))
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise refused
    # Compare-and-set: works alike on SQLite (no row locks) and PostgreSQL.
    spent = await auth_models.SignInCode.filter(id=row.id, used_at=None).update(used_at=now)
    if spent != 1:
        raise refused
    token, secret = await auth_service.create_token(
        org_id=row.organization_id,
        name=PERSONAL_LINK_TOKEN_NAME,
        role=Role.PERSON,
        contact_id=row.contact_id,
    )
    await auth_models.SignInCode.filter(id=row.id).update(token_id=token.id)
    versions.touch(row.organization_id)
    return token, secret
