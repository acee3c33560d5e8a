"""Real GraphQL clients against a real server process: Python ``gql`` over HTTP and over
both WebSocket protocols, and, under Node, ``@apollo/client`` with ``graphql-ws`` and a bare
``graphql-ws`` client. Each runs a query, a mutation and the subscriptions a dashboard
uses (``onCallChanged``, ``destinationStatusChanged``), authenticated the way its users
write it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from gql import Client, GraphQLRequest
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.websockets import WebsocketsTransport

from tests.clients.conftest import Matrix, run_node
from tests.destinations.test_faults import (
    CONFIRM,
    CREATE,
    Remote,
    Tokens,
    hook_receiver,
    server_process,
    webhook,
)
from tests.processes import AppServer
from tests.timelines.factories import contacts, schedule, set_layers, weekly

ENV = {
    "RUN_JOBS": "true",
    "STATUS_INTERVAL_SECONDS": "0.2",
    "EXPORT_POLL_SECONDS": "0.2",
    "CONFIRM_INTERVAL_SECONDS": "3600",
}
SCHEDULE = "query($s: ID!) { schedule(id: $s) { name tiers { number } } }"
CREATE_CONTACT = """mutation($i: CreateContactInput!) { createContact(input: $i) { id name } }"""
ON_CALL = """subscription($s: ID!) { onCallChanged(scheduleId: $s) {
  id onCallNow { assignees { name } } } }"""
DEST_STATUS = """subscription($s: ID!) { destinationStatusChanged(scheduleId: $s) {
  id status statusReason lastError } }"""
ON_DEMAND = "mutation($i: CreateOnDemandShiftInput!) { createOnDemandShift(input: $i) { id } }"
EXPORT = "mutation($id: ID!) { exportDestination(id: $id, wait: true) { status } }"


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[AppServer, Tokens]]:
    async with server_process("sqlite", tmp_path, **ENV) as pair:
        yield pair


async def rota(remote: Remote, name: str) -> tuple[dict[str, Any], str]:
    """A confirmed daily schedule with Ann on call, and Bob to cover: (schedule, Bob's id)."""
    ann, bob = await contacts(remote, f"Ann {name}", f"Bob {name}")  # type: ignore[arg-type]
    s = await schedule(remote, name, horizon=3)  # type: ignore[arg-type]
    await set_layers(
        remote, s["tiers"][0]["id"], [weekly("Daily", "2026-01-01T00:00", [ann], unit="DAY")]
    )  # type: ignore[arg-type]
    await remote.ok(CONFIRM, {"s": s["id"]})
    return s, bob


def cover_now(tier_id: str, contact_id: str) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    return {
        "i": {
            "tierId": tier_id,
            "start": (now - timedelta(minutes=1)).isoformat(),
            "end": (now + timedelta(hours=1)).isoformat(),
            "contactIds": [contact_id],
        }
    }


async def first_event(session: Any, query: str, variables: dict[str, Any]) -> asyncio.Task[Any]:
    """Starts a subscription and returns a task resolving to its first result."""

    async def read() -> Any:
        async for result in session.subscribe(GraphQLRequest(query, variable_values=variables)):
            return result
        raise AssertionError("the subscription ended without a result")

    task = asyncio.create_task(read())
    await asyncio.sleep(0.5)  # let the server register it
    return task


async def test_gql_and_node_clients(served: tuple[AppServer, Tokens], matrix: Matrix) -> None:
    """One server for every client (a server start costs more than all the checks)."""
    server, tokens = served
    await _gql(server, tokens, matrix)
    await _node(server, tokens, matrix)
    assert "Traceback" not in server.log(), server.log()


async def _gql(server: AppServer, tokens: Tokens, matrix: Matrix) -> None:
    remote = Remote(server, tokens.admin)
    bearer = f"Bearer {tokens.admin}"
    s, _ = await rota(remote, "HTTP")
    http = AIOHTTPTransport(url=f"{server.base}/graphql", headers={"Authorization": bearer})
    async with Client(transport=http, fetch_schema_from_transport=True) as session:
        with matrix.case("gql (Python), HTTP", "schema fetch (introspection)"):
            assert session.client.schema is not None
            assert session.client.schema.get_type("Schedule") is not None
        with matrix.case("gql (Python), HTTP", "query"):
            result = await session.execute(GraphQLRequest(SCHEDULE, variable_values={"s": s["id"]}))
            assert result["schedule"] == {"name": "HTTP", "tiers": [{"number": 1}]}
        with matrix.case("gql (Python), HTTP", "mutation"):
            created = await session.execute(
                GraphQLRequest(CREATE_CONTACT, variable_values={"i": {"name": "Cy"}})
            )
            assert created["createContact"]["name"] == "Cy"

    # graphql-transport-ws with the token on the upgrade request (gql's `headers`), and the
    # older graphql-ws protocol with Apollo's lower-case connection_init payload.
    shapes: list[tuple[str, dict[str, Any]]] = [
        ("graphql-transport-ws", {"headers": {"Authorization": bearer}}),
        ("graphql-ws", {"init_payload": {"authorization": bearer}}),
    ]
    async with hook_receiver() as hook:
        for protocol, auth in shapes:
            client = f"gql (Python), {protocol}"
            s, bob = await rota(remote, protocol)
            dest = (await remote.ok(CREATE, {"i": webhook(s["id"], hook.url)}))["createDestination"]
            ws = WebsocketsTransport(url=server.ws, subprotocols=[protocol], **auth)
            async with Client(transport=ws) as session:
                with matrix.case(client, "query"):
                    result = await session.execute(
                        GraphQLRequest(SCHEDULE, variable_values={"s": s["id"]})
                    )
                    assert result["schedule"]["name"] == protocol
                with matrix.case(client, "mutation"):
                    created = await session.execute(
                        GraphQLRequest(CREATE_CONTACT, variable_values={"i": {"name": protocol}})
                    )
                    assert created["createContact"]["name"] == protocol
                with matrix.case(client, "subscription onCallChanged"):
                    changed = await first_event(session, ON_CALL, {"s": s["id"]})
                    await remote.ok(ON_DEMAND, cover_now(s["tiers"][0]["id"], bob))
                    event = (await asyncio.wait_for(changed, 10))["onCallChanged"]
                    names = [a["name"] for e in event["onCallNow"] for a in e["assignees"]]
                    assert names == [f"Bob {protocol}"]
                with matrix.case(client, "subscription destinationStatusChanged"):
                    status = await first_event(session, DEST_STATUS, {"s": s["id"]})
                    await remote.ok(EXPORT, {"id": dest["id"]})
                    event = (await asyncio.wait_for(status, 10))["destinationStatusChanged"]
                    assert event["id"] == dest["id"] and event["status"] == "OK"
                    assert event["statusReason"] is None and event["lastError"] is None
    assert "Traceback" not in server.log()


async def _node(server: AppServer, tokens: Tokens, matrix: Matrix) -> None:
    remote = Remote(server, tokens.admin)
    s, bob = await rota(remote, "Node")
    with matrix.case("Node", "run js/apollo.mjs"):
        out = await run_node(
            "apollo.mjs",
            f"{server.base}/graphql",
            server.ws,
            tokens.admin,
            s["id"],
            s["tiers"][0]["id"],
            bob,
        )
    with matrix.case("@apollo/client (Node), HTTP", "query"):
        assert out["query"]["schedule"]["name"] == "Node"
    with matrix.case("@apollo/client (Node), HTTP", "mutation"):
        assert [c["name"] for c in out["mutation"]["createOnDemandShift"]["contacts"]] == [
            "Bob Node"
        ]
    for client, key in [
        ("@apollo/client (Node), GraphQLWsLink", "apolloEvent"),
        ("graphql-ws (Node)", "graphqlWsEvent"),
    ]:
        with matrix.case(client, "subscription onCallChanged"):
            now = out[key]["onCallChanged"]["onCallNow"]
            assert [a["name"] for e in now for a in e["assignees"]] == ["Bob Node"]
    assert "Traceback" not in server.log()
