"""Shared subscription executions (app.api.subscriptions) on a real uvicorn server on loopback,
run inside the test's process so the test can see the executions it holds: subscribers
asking the same thing share one execution per event, across both protocols, and a shared
execution never crosses organizations or roles."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from graphql import OperationType
from graphql.execution.executor import Executor

from app.api import subscriptions
from app.auth import service as auth_service
from app.auth.roles import Role
from app.main import create_app
from app.settings import Settings
from tests.destinations.test_faults import CREATE, hook_receiver, webhook
from tests.destinations.test_subscriptions import EXPORT, Connection
from tests.support import prepare_database
from tests.timelines.factories import contacts, schedule, set_layers, weekly

CONFIRM = "mutation($s: ID!) { confirmAssignments(scheduleId: $s) { newAssignment } }"
DEST_SUB = """subscription($s: ID!) { destinationStatusChanged(scheduleId: $s) {
  id status config } }"""
NOTICE_SUB = "subscription { noticeChanged { kind status address } }"
CREATE_CHANNEL = """mutation($i: CreateNotificationChannelInput!) {
  createNotificationChannel(input: $i) { id } }"""


@dataclass
class Remote:
    """GraphQL over HTTP to the server, as one token (the factories' ``api`` shape)."""

    client: httpx.AsyncClient
    token: str

    async def ok(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = (
            await self.client.post(
                "/graphql",
                json={"query": query, "variables": variables or {}},
                headers={"Authorization": f"Bearer {self.token}"},
            )
        ).json()
        assert not body.get("errors"), body
        data: dict[str, Any] = body["data"]
        return data


@dataclass
class Served:
    ws: str
    client: httpx.AsyncClient
    tokens: dict[str, str]  # "A:VIEWER", "A:ADMIN", "B:ADMIN"

    def remote(self, who: str) -> Remote:
        return Remote(self.client, self.tokens[who])


@pytest.fixture
async def served(backend: str, tmp_path: Path) -> AsyncIterator[Served]:
    url = await prepare_database(backend, tmp_path)
    settings = Settings(
        database_url=url,
        run_jobs=False,
        response_cache_entries=0,
        allow_private_addresses=True,
        export_grace_seconds=0,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        tokens = {}
        for org_name, roles in (("A", (Role.VIEWER, Role.ADMIN)), ("B", (Role.ADMIN,))):
            org = await auth_service.create_organization(name=org_name)
            for role in roles:
                _, secret = await auth_service.create_token(
                    org_id=org.id, name=role.value, role=role
                )
                tokens[f"{org_name}:{role.value}"] = secret
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
        task = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            while not server.started:
                assert not task.done(), "uvicorn did not start"
                await asyncio.sleep(0.02)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                yield Served(f"ws://127.0.0.1:{port}/graphql", client, tokens)
        finally:
            server.should_exit = True
            await task
            sock.close()


@pytest.fixture
def executions() -> Iterator[Counter[str]]:
    """GraphQL executions of subscription events, counted in graphql-core (not our code)."""
    counts: Counter[str] = Counter()
    original = Executor.execute_operation

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self.operation.operation == OperationType.SUBSCRIPTION:
            counts["events"] += 1
        return original(self, *args, **kwargs)

    Executor.execute_operation = counted  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        Executor.execute_operation = original  # type: ignore[method-assign]


async def subscribed(
    stack: AsyncExitStack,
    served: Served,
    who: str,
    protocol: str,
    query: str,
    variables: dict[str, Any],
) -> Connection:
    ws = await stack.enter_async_context(
        websockets.connect(served.ws, subprotocols=[protocol])  # type: ignore[list-item]
    )
    conn = Connection(ws, protocol)
    assert (await conn.init(served.tokens[who]))["type"] == "connection_ack"
    await conn.subscribe("1", query, variables)
    return conn


async def settled(members: int) -> None:
    """Until the server holds ``members`` subscribers in its shared executions."""
    for _ in range(250):
        if sum(len(e.members) for e in subscriptions.running()) == members:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never {members} members: {subscriptions.running()}")


@asynccontextmanager
async def exported_schedule(served: Served) -> AsyncIterator[tuple[str, Any]]:
    """Organization A's schedule with confirmed shifts and a webhook destination not yet
    exported; yields its id and a function that exports it, then swaps who is on call (the
    status turns OK, then ERROR)."""
    admin = served.remote("A:ADMIN")
    people = await contacts(admin, "Ann", "Bob")  # type: ignore[arg-type]
    s = await schedule(admin, horizon=3)  # type: ignore[arg-type]

    async def rotate(order: list[str]) -> None:
        await set_layers(
            admin,  # type: ignore[arg-type]
            s["tiers"][0]["id"],
            [weekly("Daily", "2026-01-01T00:00", order, unit="DAY")],
        )

    await rotate(people)
    await admin.ok(CONFIRM, {"s": s["id"]})
    async with hook_receiver() as hook:
        dest = (await admin.ok(CREATE, {"i": webhook(s["id"], hook.url)}))["createDestination"]
        steps = iter([lambda: admin.ok(EXPORT, {"id": dest["id"]}), lambda: rotate(people[::-1])])

        async def step() -> None:
            await next(steps)()

        yield s["id"], step


async def test_same_document_and_role_share_one_execution_and_roles_never_mix(
    served: Served, executions: Counter[str]
) -> None:
    """Three VIEWERs (both protocols) share one execution; an ADMIN with the identical
    document and variables gets its own, with the unredacted webhook URL."""
    async with exported_schedule(served) as (sid, export), AsyncExitStack() as stack:
        viewers = [
            await subscribed(stack, served, "A:VIEWER", protocol, DEST_SUB, {"s": sid})
            for protocol in ("graphql-transport-ws", "graphql-ws", "graphql-transport-ws")
        ]
        admin = await subscribed(
            stack, served, "A:ADMIN", "graphql-transport-ws", DEST_SUB, {"s": sid}
        )
        await settled(4)
        assert sorted(len(e.members) for e in subscriptions.running()) == [1, 3]

        await export()
        seen = [(await c.next_payload("1"))["data"]["destinationStatusChanged"] for c in viewers]
        mine = (await admin.next_payload("1"))["data"]["destinationStatusChanged"]
        assert seen[0] == seen[1] == seen[2]
        assert seen[0]["status"] == mine["status"] == "OK"
        assert seen[0]["config"]["url"].endswith("/***"), seen[0]
        assert mine["config"]["url"].endswith("/hook"), mine
        # One execution per event for the viewers, one for the admin.
        assert executions["events"] == 2, executions

        # A subscriber leaving does not end the others' execution; the last one does.
        await viewers[0].ws.close()
        await settled(3)
        await export()
        for conn in [*viewers[1:], admin]:
            payload = await conn.next_payload("1")
            assert payload["data"]["destinationStatusChanged"]["status"] == "ERROR", payload
    for _ in range(250):
        if not subscriptions.running():
            break
        await asyncio.sleep(0.02)
    assert subscriptions.running() == []


async def test_two_organizations_with_the_same_document_hear_only_their_own(
    served: Served,
) -> None:
    """Two ADMINs of A and one of B send the identical document (no variables): a notice of
    A reaches A's subscribers only, and one of B reaches B's only."""
    async with AsyncExitStack() as stack:
        a1, a2 = [
            await subscribed(stack, served, "A:ADMIN", protocol, NOTICE_SUB, {})
            for protocol in ("graphql-transport-ws", "graphql-ws")
        ]
        b = await subscribed(stack, served, "B:ADMIN", "graphql-transport-ws", NOTICE_SUB, {})
        await settled(3)
        assert sorted(len(e.members) for e in subscriptions.running()) == [1, 2]

        for who, address in (("A:ADMIN", "ann@a.example"), ("B:ADMIN", "bea@b.example")):
            remote = served.remote(who)
            contact = await remote.ok('mutation { createContact(input: {name: "X"}) { id } }')
            await remote.ok(
                CREATE_CHANNEL,
                {
                    "i": {
                        "kind": "EMAIL",
                        "address": address,
                        "contactId": contact["createContact"]["id"],
                    }
                },
            )
        for conn in (a1, a2):
            notice = (await conn.next_payload("1"))["data"]["noticeChanged"]
            assert notice["address"] == "ann@a.example", notice
            await conn.nothing_for("1", 0.3)
        notice = (await b.next_payload("1"))["data"]["noticeChanged"]
        assert notice["address"] == "bea@b.example", notice
        await b.nothing_for("1", 0.3)


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_an_unknown_schedule_fails_every_member_and_the_next_starts_afresh(
    served: Served,
) -> None:
    """A stream that fails before its first event (another organization's schedule) tells
    every member, in its protocol's shape, and leaves nothing running."""
    async with exported_schedule(served) as (sid, _export), AsyncExitStack() as stack:
        for protocol in ("graphql-transport-ws", "graphql-ws"):
            conn = await subscribed(stack, served, "B:ADMIN", protocol, DEST_SUB, {"s": sid})
            payload = await conn.next_payload("1")
            assert payload["errors"][0]["extensions"]["code"] == "NOT_FOUND", payload
        assert subscriptions.running() == []


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_odd_subscribe_payloads_run_alone_and_answer(served: Served) -> None:
    """Documents that do not parse, and queries or names of the wrong type, never join a
    shared execution: graphql-transport-ws closes with 4400 on a syntax error."""
    async with AsyncExitStack() as stack:
        conn = await subscribed(stack, served, "A:ADMIN", "graphql-transport-ws", "{{{", {})
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await conn.next_payload("1")
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400
    for query in (["a list"], 7):
        assert subscriptions.shape_of(query, None) is None  # type: ignore[arg-type]
    assert subscriptions.shape_of("subscription { noticeChanged { id } }", {"a": 1}) is None  # type: ignore[arg-type]
    assert subscriptions.running() == []


def test_the_shapes_cache_stays_within_its_bound() -> None:
    for i in range(subscriptions._SHAPES_KEPT + 100):
        subscriptions.shape_of(f"subscription S{i} {{ noticeChanged {{ id }} }}", None)
    lines = dict(line.rsplit(" ", 1) for line in subscriptions.metric_lines())
    entries = int(lines["rotagraph_subscription_shape_cache_entries"])
    assert 0 < entries <= int(lines["rotagraph_subscription_shape_cache_max_entries"])
