"""Organizations and API tokens: tokens are random, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from app import pubsub
from app.auth import models
from app.auth.roles import ORGANIZATION_ROLES, Actor, Role
from app.errors import BadUserInput, Forbidden, NotFound, Unauthenticated

TOKEN_PREFIX = "rg_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Auth:
    """Who is calling: the token's organization and role."""

    org_id: int
    role: Role
    token_id: int
    contact_id: int | None = None
    """The contact a PERSON token acts for; None for organization tokens."""

    def actor(self) -> Actor:
        return Actor(org_id=self.org_id, token_id=self.token_id, contact_id=self.contact_id)


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
    *, org_id: int, name: str, role: Role, contact_id: int | None = None
) -> tuple[models.ApiToken, str]:
    """A new token and its secret; the secret is returned here once and never again.

    Organization roles take no contact; a PERSON token needs its contact (already checked to
    be in the organization: see ``app.auth.personal``)."""
    name = name.strip()
    if not name:
        raise BadUserInput("must not be empty", field="name")
    if (role == Role.PERSON) != (contact_id is not None):
        allowed = ", ".join(r.value for r in ORGANIZATION_ROLES)
        raise BadUserInput(
            f"must be one of {allowed}; personal tokens are made with createPersonalToken",
            field="role",
        )
    secret = _new_secret()
    token = await models.ApiToken.create(
        organization_id=org_id,
        contact_id=contact_id,
        name=name,
        role=role.value,
        token_hash=hash_token(secret),
        prefix=secret[:10],
    )
    return token, secret


def may_revoke(by: Auth, token: models.ApiToken) -> bool:
    """ADMIN revokes any token; EDITOR personal tokens; a PERSON its own contact's tokens."""
    if by.role == Role.ADMIN:
        return True
    if by.role == Role.EDITOR:
        return token.contact_id is not None
    return by.role == Role.PERSON and token.contact_id == by.contact_id


async def revoke_token(*, by: Auth, token_id: int, now: datetime) -> models.ApiToken:
    token = await models.ApiToken.get_or_none(id=token_id, organization_id=by.org_id)
    if token is None:
        raise NotFound("ApiToken", token_id)
    if not may_revoke(by, token):
        raise Forbidden(
            "ADMIN revokes any token, EDITOR personal tokens, a personal token those of its"
            " own contact"
        )
    if token.revoked_at is None:
        token.revoked_at = now
        await token.save(update_fields=["revoked_at"])
    forget_token(token.token_hash)
    # Every other process forgets it too as soon as the revocation commits (and within a
    # second anyway, when its remembered check runs out).
    pubsub.publish_after_commit(REVOCATIONS, {"tokenHash": token.token_hash})
    return token


def parse_authorization(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, credential = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        return None
    return credential.strip()


REVOCATIONS = "token-revocations"
AUTH_CACHE_SECONDS = 1.0
AUTH_CACHE_ENTRIES = 10_000
_auth_cache: dict[str, tuple[Auth, float]] = {}


def forget_token(token_hash: str) -> None:
    """Drop a token from this process's cache (revocation here takes effect at once)."""
    _auth_cache.pop(token_hash, None)


def forget_all_tokens() -> None:
    _auth_cache.clear()


async def authenticate(*, authorization: str | None, now: datetime) -> Auth:
    """The caller behind an ``Authorization: Bearer`` value.

    A valid token is remembered for one second per process, so repeated requests skip the
    lookup; revocation takes effect at once in the revoking process and within a second
    in every other one.
    """
    secret = parse_authorization(authorization)
    if secret is None:
        raise Unauthenticated("an Authorization: Bearer <token> header is required")
    digest = hash_token(secret)
    cached = _auth_cache.get(digest)
    if cached is not None and cached[1] > time.monotonic():
        return cached[0]
    token = await models.ApiToken.get_or_none(token_hash=digest, revoked_at=None)
    if token is None:
        forget_token(digest)
        raise Unauthenticated("the token is not valid or has been revoked")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # Recorded at a one-minute resolution so reads do not write on every request.
        await models.ApiToken.filter(id=token.id).update(last_used_at=now)
    auth = Auth(
        org_id=token.organization_id,
        role=Role(token.role),
        token_id=token.id,
        contact_id=token.contact_id,
    )
    if len(_auth_cache) >= AUTH_CACHE_ENTRIES:
        _auth_cache.clear()
    _auth_cache[digest] = (auth, time.monotonic() + AUTH_CACHE_SECONDS)
    return auth


async def follow_revocations() -> None:
    """Drop revoked tokens from this process's memory as revocations arrive (for the app's
    lifetime); after a broker resync everything remembered is dropped."""
    async for event in pubsub.broker().subscribe(REVOCATIONS):
        if event.get("type") == pubsub.RESYNC:
            forget_all_tokens()
        elif isinstance(event.get("tokenHash"), str):
            forget_token(event["tokenHash"])
