"""GraphQL plumbing: error shapes, masking, limits, body cap, health, node, paging."""

from __future__ import annotations

from pathlib import Path

import pytest
from tortoise import connections

from app.api.relay import encode_id
from tests.support import Api, prepare_database, running_app


async def test_validation_errors_are_bad_user_input(api: Api) -> None:
    error = await api.error("{ viewer { nope } }")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "nope" in error["message"]
    error = await api.error("{ viewer { role ")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_unexpected_errors_are_masked(api: Api) -> None:
    # A real failure below the API: the members table is gone.
    cascade = " CASCADE" if api.backend == "postgres" else ""
    await connections.get("default").execute_script(f'DROP TABLE "group_member"{cascade}')
    body = await api.post('mutation { createGroup(input: {name: "g"}) { id } }')
    error = body["errors"][0]
    assert error["message"] == "Unexpected error."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "Traceback" not in str(body) and "group_member" not in str(body)


async def test_depth_alias_and_token_limits(backend: str, tmp_path: Path) -> None:
    url = await prepare_database(backend, tmp_path)
    async with running_app(url, backend, max_query_depth=3, max_aliases=2, max_tokens=60) as api:
        deep = "{ schedules { edges { node { tiers { layers { name } } } } } }"
        error = await api.error(deep)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "depth" in error["message"].lower()
        aliases = "{ a: viewer { role } b: viewer { role } c: viewer { role } }"
        error = await api.error(aliases)
        assert "alias" in error["message"].lower()
        tokens = "{ viewer { " + " ".join(["role"] * 80) + " } }"
        error = await api.error(tokens)
        assert "token" in error["message"].lower()
        assert (await api.ok("{ viewer { role } }"))["viewer"]["role"] == "ADMIN"


async def test_request_body_cap(backend: str, tmp_path: Path) -> None:
    url = await prepare_database(backend, tmp_path)
    async with running_app(url, backend, max_body_bytes=2000) as api:
        big = "{ viewer { role } } # " + "x" * 3000
        response = await api.client.post(
            "/graphql",
            json={"query": big},
            headers={"Authorization": f"Bearer {api.tokens['ADMIN']}"},
        )
        assert response.status_code == 413
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_healthz_needs_no_token_and_checks_the_database(api: Api) -> None:
    response = await api.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_graphiql_page_needs_no_token_and_loads_nothing_remote(api: Api) -> None:
    response = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "<html" in response.text.lower()
    assert "unpkg" not in response.text and "jsdelivr" not in response.text
    assert "https://" not in response.text


async def test_query_by_get_still_needs_a_token(api: Api) -> None:
    response = await api.client.get("/graphql", params={"query": "{ viewer { role } }"})
    assert response.status_code == 401


async def test_node_resolves_each_type(api: Api) -> None:
    created = await api.ok(
        'mutation { createSchedule(input: {name: "Ops", tierCount: 1}) { id tiers { id } } }'
    )
    schedule_id = created["createSchedule"]["id"]
    tier_id = created["createSchedule"]["tiers"][0]["id"]
    data = await api.ok(
        "query($a: ID!, $b: ID!) { a: node(id: $a) { id ... on Schedule { name } } "
        "b: node(id: $b) { id ... on Tier { number } } }",
        {"a": schedule_id, "b": tier_id},
    )
    assert data == {"a": {"id": schedule_id, "name": "Ops"}, "b": {"id": tier_id, "number": 1}}
    for bad in ("not-base64!", encode_id("Nope", 1), encode_id("Schedule", 999)):
        error = await api.error("query($a: ID!) { node(id: $a) { id } }", {"a": bad})
        assert error["extensions"]["code"] in {"NOT_FOUND", "BAD_USER_INPUT"}, bad


async def test_connections_page_with_cursors_and_total_count(api: Api) -> None:
    for i in range(7):
        await api.ok(
            "mutation($n: String!) { createContact(input: {name: $n}) { id } }", {"n": f"C{i}"}
        )
    page = await api.ok(
        "{ contacts(first: 3) { totalCount pageInfo { hasNextPage endCursor } nodes { name } } }"
    )
    conn = page["contacts"]
    assert conn["totalCount"] == 7 and conn["pageInfo"]["hasNextPage"] is True
    assert [n["name"] for n in conn["nodes"]] == ["C0", "C1", "C2"]
    rest = await api.ok(
        "query($after: String) { contacts(first: 10, after: $after) { pageInfo { hasNextPage hasPreviousPage } nodes { name } } }",
        {"after": conn["pageInfo"]["endCursor"]},
    )
    assert [n["name"] for n in rest["contacts"]["nodes"]] == ["C3", "C4", "C5", "C6"]
    assert rest["contacts"]["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True}
    error = await api.error("{ contacts(first: 101) { totalCount } }")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == ["first"]


@pytest.mark.parametrize("header", ["Bearer", "Token abc"])
async def test_malformed_authorization(api: Api, header: str) -> None:
    response = await api.client.post(
        "/graphql", json={"query": "{ viewer { role } }"}, headers={"Authorization": header}
    )
    assert response.status_code == 401
