"""What clients send at the edges, against a real server process: every WebSocket auth
shape of both protocols (and a clear refusal), a subscription sent over HTTP, and odd
requests; none of it leaves a traceback in the server's log."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from tests.clients.conftest import Matrix
from tests.destinations.test_faults import Tokens, server_process
from tests.processes import AppServer

PROTOCOLS = ["graphql-transport-ws", "graphql-ws"]


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[AppServer, Tokens]]:
    async with server_process("sqlite", tmp_path) as pair:
        yield pair


async def _connect(
    server: AppServer, protocol: str, payload: Any, headers: dict[str, str] | None = None
) -> tuple[dict[str, Any] | None, int | None, str]:
    """Opens a socket, sends connection_init and reads the answer: (the first message or
    None, the close code or None, the close reason)."""
    async with websockets.connect(
        server.ws,
        subprotocols=[protocol],  # type: ignore[list-item]
        additional_headers=headers or {},
    ) as ws:
        init: dict[str, Any] = {"type": "connection_init"}
        if payload is not None:
            init["payload"] = payload
        await ws.send(json.dumps(init))
        first = None
        try:
            while True:
                message = json.loads(await ws.recv())
                if message["type"] == "ka":
                    continue
                if first is None:
                    first = message
                if message["type"] == "connection_ack":
                    return first, None, ""
        except websockets.ConnectionClosed as closed:
            rcvd = closed.rcvd
            return first, rcvd.code if rcvd else None, rcvd.reason if rcvd else ""


async def test_websocket_auth_shapes_and_odd_messages_on_both_protocols(
    served: tuple[AppServer, Tokens], matrix: Matrix
) -> None:
    """One server for both protocols (a server start costs more than all the checks)."""
    server, tokens = served
    for protocol in PROTOCOLS:
        await _auth_shapes(server, tokens, matrix, protocol)
        await _odd_messages(server, tokens, matrix, protocol)
    assert "Traceback" not in server.log(), server.log()


async def _auth_shapes(server: AppServer, tokens: Tokens, matrix: Matrix, protocol: str) -> None:
    bearer = f"Bearer {tokens.viewer}"
    accepted = {
        "connection_init {Authorization}": ({"Authorization": bearer}, None),
        "connection_init {authorization}": ({"authorization": bearer}, None),
        "connection_init {headers: {Authorization}}": (
            {"headers": {"Authorization": bearer}},
            None,
        ),
        "connection_init bare token": ({"Authorization": tokens.viewer}, None),
        "upgrade Authorization header": ({}, {"Authorization": bearer}),
        "upgrade header, no payload": (None, {"Authorization": bearer}),
    }
    for shape, (payload, headers) in accepted.items():
        with matrix.case(f"WebSocket auth, {protocol}", shape):
            first, code, _ = await _connect(server, protocol, payload, headers)
            assert first is not None and first["type"] == "connection_ack", (first, code)

    refused = {
        "no token": ({}, None, "no token"),
        "bad token": ({"Authorization": "Bearer rg_nope"}, None, "not valid"),
        "bad token in the header": ({}, {"Authorization": "Bearer rg_nope"}, "not valid"),
    }
    for shape, (payload, headers, why) in refused.items():
        with matrix.case(f"WebSocket auth, {protocol}", f"refused: {shape}"):
            first, code, reason = await _connect(server, protocol, payload, headers)
            assert code == 4403 and why in reason, (code, reason)
            if shape == "no token":
                # It says where a token goes, and does not claim only a header would do.
                assert "connection_init" in reason and "header" in reason
            if protocol == "graphql-ws":
                assert first is not None and first["type"] == "connection_error"
                assert why in first["payload"]["message"]
                assert first["payload"]["extensions"]["code"] == "UNAUTHENTICATED"


async def _odd_messages(server: AppServer, tokens: Tokens, matrix: Matrix, protocol: str) -> None:
    bearer = f"Bearer {tokens.viewer}"
    start = "subscribe" if protocol == "graphql-transport-ws" else "start"
    odd: list[list[str | bytes]] = [
        ["not json"],
        [b"\x00\x01 binary"],
        [json.dumps({"type": "no-such-type"})],
        [json.dumps({"id": "1", "type": start, "payload": {"query": "{ viewer { id } }"}})],
        [json.dumps({"type": "connection_init", "payload": "a string"})],
        [
            json.dumps({"type": "connection_init", "payload": {"Authorization": bearer}}),
            json.dumps({"id": "1", "type": start, "payload": {"query": "subscription { nope }"}}),
            json.dumps({"id": "2", "type": start, "payload": {"query": "{{{"}}),
            json.dumps({"id": "3", "type": start, "payload": {}}),
            json.dumps({"id": "4", "type": start}),
        ],
    ]
    with matrix.case(f"WebSocket, {protocol}", "odd messages answered without a traceback"):
        for messages in odd:
            async with websockets.connect(server.ws, subprotocols=[protocol]) as ws:  # type: ignore[list-item]
                for message in messages:
                    await ws.send(message)
                try:
                    for _ in range(6):
                        await asyncio.wait_for(ws.recv(), 0.5)
                except (TimeoutError, websockets.ConnectionClosed):
                    pass
        assert "Traceback" not in server.log(), server.log()


SUBSCRIPTION = 'subscription { onCallChanged(scheduleId: "U2NoZWR1bGU6MQ==") { id } }'


async def test_subscription_over_http_and_odd_requests_leave_no_traceback(
    served: tuple[AppServer, Tokens], matrix: Matrix
) -> None:
    server, tokens = served
    auth = {"Authorization": f"Bearer {tokens.viewer}"}
    async with httpx.AsyncClient(base_url=server.base, headers=auth, timeout=10) as client:
        with matrix.case("HTTP (httpx)", "subscription over HTTP"):
            for accept in ["application/json", "multipart/mixed;subscriptionSpec=1.0"]:
                answer = await client.post(
                    "/graphql", json={"query": SUBSCRIPTION}, headers={"Accept": accept}
                )
                assert answer.status_code == 200
                error = answer.json()["errors"][0]
                assert error["message"].startswith("subscriptions need a WebSocket")
                assert error["extensions"]["code"] == "BAD_USER_INPUT"
            answer = await client.get("/graphql", params={"query": SUBSCRIPTION})
            assert answer.json()["errors"][0]["message"].startswith("subscriptions need")
        odd: list[tuple[str, dict[str, Any]]] = [
            ("POST", {"content": b"{not json", "headers": {"Content-Type": "application/json"}}),
            ("POST", {"content": b"", "headers": {"Content-Type": "application/json"}}),
            (
                "POST",
                {"content": b"query { viewer { id } }", "headers": {"Content-Type": "text/plain"}},
            ),
            ("POST", {"json": {"query": 5}}),
            ("POST", {"json": [{"query": "{ viewer { id } }"}]}),
            ("POST", {"json": {"query": "{ nope }"}}),
            (
                "POST",
                {
                    "json": {
                        "query": "query($n: Int!) { schedules(first: $n) { totalCount } }",
                        "variables": {"n": "x"},
                    }
                },
            ),
            ("POST", {"json": {"query": '{ node(id: "!!!") { id } }'}}),
            ("POST", {"json": {"query": "{ viewer { id } }", "variables": "nope"}}),
            ("POST", {"json": {"query": "query A { viewer { id } } query B { viewer { id } }"}}),
            ("GET", {"params": {"query": 'mutation { createContact(input: {name: "x"}) { id } }'}}),
            ("GET", {}),
            ("PUT", {"json": {"query": "{ viewer { id } }"}}),
        ]
        with matrix.case("HTTP (httpx)", "odd requests answered without a traceback"):
            for method, kwargs in odd:
                answer = await client.request(method, "/graphql", **kwargs)
                assert answer.status_code < 500, (method, kwargs, answer.text)
    assert "Traceback" not in server.log(), server.log()
