"""Organizations and API tokens: tokens are random, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.auth import models
from app.auth.roles import Role
from app.errors import BadUserInput, NotFound, Unauthenticated

TOKEN_PREFIX = "rg_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Auth:
    """Who is calling: the token's organization and role."""

    org_id: int
    role: Role
    token_id: int


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


async def create_organization(*, name: str) -> models.Organization:
    name = name.strip()
    if not name:
        raise BadUserInput("must not be empty", field="name")
    return await models.Organization.create(name=name)


async def create_token(
    *, org_id: int, name: str, role: Role
) -> tuple[models.ApiToken, str]:
    """A new token and its secret; the secret is returned here once and never again."""
    name = name.strip()
    if not name:
        raise BadUserInput("must not be empty", field="name")
    secret = _new_secret()
    token = await models.ApiToken.create(
        organization_id=org_id,
        name=name,
        role=role.value,
        token_hash=hash_token(secret),
        prefix=secret[:10],
    )
    return token, secret


async def revoke_token(*, org_id: int, token_id: int, now: datetime) -> models.ApiToken:
    token = await models.ApiToken.get_or_none(id=token_id, organization_id=org_id)
    if token is None:
        raise NotFound("ApiToken", token_id)
    if token.revoked_at is None:
        token.revoked_at = now
        await token.save(update_fields=["revoked_at"])
    return token


def parse_authorization(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, credential = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        return None
    return credential.strip()


async def authenticate(*, authorization: str | None, now: datetime) -> Auth:
    """The caller behind an ``Authorization: Bearer`` value; revoked tokens fail at once."""
    secret = parse_authorization(authorization)
    if secret is None:
        raise Unauthenticated("an Authorization: Bearer <token> header is required")
    token = await models.ApiToken.get_or_none(token_hash=hash_token(secret), revoked_at=None)
    if token is None:
        raise Unauthenticated("the token is not valid or has been revoked")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # Recorded at a one-minute resolution so reads do not write on every request.
        await models.ApiToken.filter(id=token.id).update(last_used_at=now)
    return Auth(org_id=token.organization_id, role=Role(token.role), token_id=token.id)
