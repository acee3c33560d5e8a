"""Tokens, roles and tenancy through the whole app."""

from __future__ import annotations

import pytest

from app.auth import models
from app.auth import service as auth_service
from app.auth.roles import Role
from tests.support import Api, table_counts

CREATE_CONTACT = 'mutation { createContact(input: {name: "Ada"}) { id name } }'


async def test_missing_token_is_unauthenticated(api: Api) -> None:
    response = await api.client.post("/graphql", json={"query": "{ viewer { role } }"})
    assert response.status_code == 401
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_wrong_scheme_and_unknown_token_are_unauthenticated(api: Api) -> None:
    for header in ("Basic abc", "Bearer rg_not-a-real-token", "Bearer"):
        response = await api.client.post(
            "/graphql", json={"query": "{ viewer { role } }"}, headers={"Authorization": header}
        )
        assert response.status_code == 401, header
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_token_is_stored_only_as_a_hash(api: Api) -> None:
    secret = api.tokens["VIEWER"]
    rows = await models.ApiToken.all()
    assert all(secret not in (r.token_hash, r.prefix, r.name) for r in rows)
    assert any(r.token_hash == auth_service.hash_token(secret) for r in rows)


async def test_viewer_reads_but_cannot_write(api: Api) -> None:
    data = await api.ok("{ viewer { role } }", token=api.tokens["VIEWER"])
    assert data["viewer"]["role"] == "VIEWER"
    before = await table_counts()
    error = await api.error(CREATE_CONTACT, token=api.tokens["VIEWER"])
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert await table_counts() == before


async def test_editor_writes_but_cannot_manage_tokens(api: Api) -> None:
    data = await api.ok(CREATE_CONTACT, token=api.tokens["EDITOR"])
    assert data["createContact"]["name"] == "Ada"
    error = await api.error(
        'mutation { createApiToken(name: "x", role: VIEWER) { secret } }',
        token=api.tokens["EDITOR"],
    )
    assert error["extensions"]["code"] == "FORBIDDEN"
    error = await api.error("{ apiTokens { totalCount } }", token=api.tokens["EDITOR"])
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_admin_creates_a_token_shown_once_that_works_and_revokes_it(api: Api) -> None:
    created = await api.ok(
        'mutation { createApiToken(name: "ci bot", role: EDITOR) { secret token { id name role prefix } } }'
    )
    secret = created["createApiToken"]["secret"]
    token_id = created["createApiToken"]["token"]["id"]
    assert created["createApiToken"]["token"]["role"] == "EDITOR"
    assert secret.startswith(created["createApiToken"]["token"]["prefix"])

    listed = await api.ok("{ apiTokens { totalCount edges { node { id name lastUsedAt } } } }")
    assert listed["apiTokens"]["totalCount"] == 4
    assert "secret" not in str(listed)

    who = await api.ok("{ viewer { role token { name lastUsedAt } } }", token=secret)
    assert who["viewer"] == {
        "role": "EDITOR",
        "token": {"name": "ci bot", "lastUsedAt": who["viewer"]["token"]["lastUsedAt"]},
    }
    assert who["viewer"]["token"]["lastUsedAt"] is not None

    revoked = await api.ok(
        "mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }", {"id": token_id}
    )
    assert revoked["revokeApiToken"]["revokedAt"] is not None
    response = await api.client.post(
        "/graphql",
        json={"query": "{ viewer { role } }"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 401


async def test_another_organizations_objects_are_not_found(api: Api) -> None:
    mine = await api.ok(CREATE_CONTACT)
    contact_id = mine["createContact"]["id"]
    other = await auth_service.create_organization(name="Other")
    _, other_secret = await auth_service.create_token(org_id=other.id, name="o", role=Role.ADMIN)

    listed = await api.ok("{ contacts { totalCount } }", token=other_secret)
    assert listed["contacts"]["totalCount"] == 0
    for query in (
        "query($id: ID!) { contact(id: $id) { name } }",
        "query($id: ID!) { node(id: $id) { id } }",
    ):
        error = await api.error(query, {"id": contact_id}, token=other_secret)
        assert error["extensions"]["code"] == "NOT_FOUND", query
    before = await table_counts()
    error = await api.error(
        'mutation($id: ID!) { updateContact(id: $id, input: {name: "Eve"}) { name } }',
        {"id": contact_id},
        token=other_secret,
    )
    assert error["extensions"]["code"] == "NOT_FOUND"
    error = await api.error(
        "mutation($id: ID!) { deleteContact(id: $id) { deletedId } }",
        {"id": contact_id},
        token=other_secret,
    )
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert await table_counts() == before
    tokens = await api.ok("{ apiTokens { totalCount } }", token=other_secret)
    assert tokens["apiTokens"]["totalCount"] == 1


async def test_revoking_another_organizations_token_is_not_found(api: Api) -> None:
    other = await auth_service.create_organization(name="Other")
    token, _ = await auth_service.create_token(org_id=other.id, name="o", role=Role.ADMIN)
    from app.api.relay import encode_id

    error = await api.error(
        "mutation($id: ID!) { revokeApiToken(id: $id) { id } }",
        {"id": encode_id("ApiToken", token.id)},
    )
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert (await models.ApiToken.get(id=token.id)).revoked_at is None


async def test_a_revocation_published_elsewhere_is_forgotten_at_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process revoked the token: its event makes this process forget the token
    even while its remembered check would still be valid."""
    import asyncio

    from app import pubsub

    monkeypatch.setattr(auth_service, "AUTH_CACHE_SECONDS", 60.0)
    secret = api.tokens["VIEWER"]
    assert (await api.ok("{ viewer { role } }", token=secret))["viewer"]["role"] == "VIEWER"
    digest = auth_service.hash_token(secret)
    # The other process's write and its event (this process's service was not involved).
    await models.ApiToken.filter(token_hash=digest).update(revoked_at=api.clock.now())
    await pubsub.broker().publish(auth_service.REVOCATIONS, {"tokenHash": digest})
    for _ in range(50):
        await asyncio.sleep(0.01)
        if digest not in auth_service._auth_cache:
            break
    response = await api.client.post(
        "/graphql",
        json={"query": "{ viewer { role } }"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 401
