"""A real uvicorn process on a loopback port: HTTP round trips and WebSocket auth."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import websockets
from tortoise import Tortoise

from app.auth import service as auth_service
from app.auth.roles import Role
from app.db import tortoise_config
from tests.processes import start_app_server
from tests.support import prepare_database


@dataclass
class Server:
    base: str
    ws: str
    token: str
    viewer_token: str


@pytest_asyncio.fixture
async def server(backend: str, tmp_path: Path) -> AsyncIterator[Server]:
    url = await prepare_database(backend, tmp_path)
    await Tortoise.init(config=tortoise_config(url))
    org = await auth_service.create_organization(name="E2E")
    _, admin = await auth_service.create_token(org_id=org.id, name="a", role=Role.ADMIN)
    _, viewer = await auth_service.create_token(org_id=org.id, name="v", role=Role.VIEWER)
    await Tortoise.close_connections()
    app = await start_app_server(url, tmp_path / "server.log")
    try:
        yield Server(base=app.base, ws=app.ws, token=admin, viewer_token=viewer)
    finally:
        app.stop()


async def test_http_round_trip_on_a_real_server(server: Server) -> None:
    headers = {"Authorization": f"Bearer {server.token}"}
    async with httpx.AsyncClient(base_url=server.base, headers=headers) as client:
        created = (
            await client.post(
                "/graphql",
                json={
                    "query": 'mutation { createContact(input: {name: "Grace", timezone: "America/New_York"}) { id timezone } }'
                },
            )
        ).json()
        assert created["data"]["createContact"]["timezone"] == "America/New_York"
        listed = (
            await client.post(
                "/graphql", json={"query": "{ contacts { totalCount nodes { name } } }"}
            )
        ).json()
        assert listed["data"]["contacts"] == {"totalCount": 1, "nodes": [{"name": "Grace"}]}
        health = await client.get("/healthz")
        assert health.json()["database"] == "ok"
        page = await client.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        asset = await client.get("/static/graphiql/graphiql.min.css")
        assert asset.status_code == 200


async def test_graphql_transport_ws_authenticates_in_connection_init(server: Server) -> None:
    async with websockets.connect(server.ws, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(
            json.dumps(
                {
                    "type": "connection_init",
                    "payload": {"Authorization": f"Bearer {server.viewer_token}"},
                }
            )
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {"id": "1", "type": "subscribe", "payload": {"query": "{ viewer { role } }"}}
            )
        )
        message = json.loads(await ws.recv())
        assert message["type"] == "next"
        assert message["payload"]["data"] == {"viewer": {"role": "VIEWER"}}
        assert json.loads(await ws.recv())["type"] == "complete"

    async with websockets.connect(server.ws, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer nope"}})
        )
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_graphql_ws_authenticates_in_connection_init(server: Server) -> None:
    async with websockets.connect(server.ws, subprotocols=["graphql-ws"]) as ws:
        await ws.send(
            json.dumps(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {server.token}"}}
            )
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        # The legacy protocol carries subscriptions only; they arrive with the destinations work.

    async with websockets.connect(server.ws, subprotocols=["graphql-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        message = json.loads(await ws.recv())
        assert message["type"] == "connection_error"
        assert message["payload"]["extensions"]["code"] == "UNAUTHENTICATED"
