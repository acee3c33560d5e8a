"""Faults at a webhook destination (SPEC §4): a 500 then a 200, a timeout, a 400, and the
process killed between sending and recording. Each checks exportedUntil, the status, the
deliveries the receiver saw and their idempotency keys.

The helpers here (a scriptable webhook receiver and a real uvicorn server process) are used by
the other destination tests too.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web
from tortoise import Tortoise

from app.auth import service as auth_service
from app.auth.roles import Role
from app.db import tortoise_config
from app.destinations import models as destination_models
from tests.destinations.receiver import Delivery, free_port
from tests.processes import AppServer, start_app_server
from tests.support import Api, prepare_database
from tests.timelines.factories import contacts, schedule, set_layers, weekly

SECRET = "s3cret-signing-key-000"

# ----------------------------------------------------------------------- receiver

Answer = Callable[[int], Awaitable[int]]


@dataclass
class Hook:
    """A local webhook receiver. ``answer(n)`` (n = 0 for the first request) decides the HTTP
    status and may wait first; waits end early when the receiver closes."""

    url: str
    deliveries: list[Delivery] = field(default_factory=list)
    answer: Answer | None = None
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def keys(self) -> list[str]:
        return [d.key for d in self.deliveries]

    async def pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self.closing.wait(), seconds)
        except TimeoutError:
            pass

    async def wait_for(self, count: int, timeout: float = 10.0) -> None:
        async def enough() -> None:
            async with self.arrived:
                await self.arrived.wait_for(lambda: len(self.deliveries) >= count)

        try:
            await asyncio.wait_for(enough(), timeout)
        except TimeoutError:
            raise AssertionError(f"{len(self.deliveries)} deliveries, expected {count}") from None


@asynccontextmanager
async def hook_receiver(answer: Answer | None = None) -> AsyncIterator[Hook]:
    port = free_port()
    hook = Hook(url=f"http://127.0.0.1:{port}/hook", answer=answer)

    async def handle(request: web.Request) -> web.Response:
        raw = await request.read()
        n = len(hook.deliveries)
        hook.deliveries.append(
            Delivery(
                key=request.headers.get("Idempotency-Key", ""),
                signature=request.headers.get("X-Rotagraph-Signature", ""),
                body=json.loads(raw),
                raw=raw,
            )
        )
        async with hook.arrived:
            hook.arrived.notify_all()
        status = await hook.answer(n) if hook.answer else 200
        return web.json_response({"ok": 200 <= status < 300}, status=status)

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield hook
    finally:
        hook.closing.set()
        await runner.cleanup()


def statuses(*codes: int) -> Answer:
    """Answer with these codes in turn, then 200."""

    async def answer(n: int) -> int:
        return codes[n] if n < len(codes) else 200

    return answer


# ------------------------------------------------------------------ server process


@dataclass
class Tokens:
    admin: str
    viewer: str
    other_admin: str  # of another organization


async def seed_tokens(url: str) -> Tokens:
    """Two organizations with tokens, written straight into a prepared database."""
    await Tortoise.init(config=tortoise_config(url))
    try:
        org = await auth_service.create_organization(name="Acme")
        _, admin = await auth_service.create_token(org_id=org.id, name="a", role=Role.ADMIN)
        _, viewer = await auth_service.create_token(org_id=org.id, name="v", role=Role.VIEWER)
        other = await auth_service.create_organization(name="Other")
        _, other_admin = await auth_service.create_token(org_id=other.id, name="o", role=Role.ADMIN)
    finally:
        await Tortoise.close_connections()
    return Tokens(admin=admin, viewer=viewer, other_admin=other_admin)


@asynccontextmanager
async def server_process(
    backend: str, tmp_path: Path, **env: str
) -> AsyncIterator[tuple[AppServer, Tokens]]:
    url = await prepare_database(backend, tmp_path)
    tokens = await seed_tokens(url)
    server = await start_app_server(url, tmp_path / "server.log", env=env)
    try:
        yield server, tokens
    finally:
        server.stop()


class Remote:
    """GraphQL over HTTP against a server process."""

    def __init__(self, server: AppServer, token: str) -> None:
        self.server = server
        self.token = token

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.server.base, timeout=30) as client:
            response = await client.post(
                "/graphql",
                json={"query": query, "variables": variables or {}},
                headers={"Authorization": f"Bearer {self.token}"},
            )
        body: dict[str, Any] = response.json()
        return body

    async def ok(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await self.post(query, variables)
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data


# -------------------------------------------------------------------- API faults

CREATE = """mutation($i: CreateDestinationInput!) { createDestination(input: $i) { id status exportedUntil } }"""
EXPORT = """mutation($id: ID!) { exportDestination(id: $id, wait: true) {
  status exportedUntil lastError lastAttemptAt lastSuccessAt } }"""
CONFIRM = "mutation($s: ID!) { confirmAssignments(scheduleId: $s) { newAssignment } }"
LAYER_START = "2026-03-01T00:00"


async def daily_schedule(api: Api | Remote, start: str = LAYER_START) -> dict[str, Any]:
    a, b = await contacts(api, "Ann", "Bob")  # type: ignore[arg-type]
    s = await schedule(api, horizon=3)  # type: ignore[arg-type]
    await set_layers(api, s["tiers"][0]["id"], [weekly("Daily", start, [a, b], unit="DAY")])  # type: ignore[arg-type]
    await api.ok(CONFIRM, {"s": s["id"]})
    return s


def webhook(schedule_id: str, url: str, **config: Any) -> dict[str, Any]:
    auto = config.pop("autoExport", False)
    return {
        "scheduleId": schedule_id,
        "name": "hook",
        "kind": "WEBHOOK",
        "autoExport": auto,
        "config": {"url": url, "retryInitialSeconds": 0.01, **config},
        "secrets": {"signingSecret": SECRET},
    }


async def test_500_then_200_is_retried_with_the_same_key(api: Api) -> None:
    s = await daily_schedule(api)
    async with hook_receiver(statuses(500)) as hook:
        dest = (await api.ok(CREATE, {"i": webhook(s["id"], hook.url)}))["createDestination"]
        done = (await api.ok(EXPORT, {"id": dest["id"]}))["exportDestination"]
        assert done["status"] == "OK" and done["lastError"] is None
        # H = 2026-03-06T00:00: every confirmed shift is exported.
        assert done["exportedUntil"].startswith("2026-03-06T00:00")
        assert len(hook.deliveries) == 2
        assert hook.keys[0] == hook.keys[1] and len(hook.keys[0]) == 64
        assert hook.deliveries[0].raw == hook.deliveries[1].raw
        rows = await destination_models.Delivery.all()
        assert [(r.state, r.idempotency_key) for r in rows] == [("OK", hook.keys[0])]


async def test_a_timeout_fails_after_the_allowed_attempts(api: Api) -> None:
    s = await daily_schedule(api)

    async def stall(n: int) -> int:
        await hook.pause(5)
        return 200

    async with hook_receiver(stall) as hook:
        dest = (
            await api.ok(
                CREATE, {"i": webhook(s["id"], hook.url, timeoutSeconds=0.2, maxAttempts=2)}
            )
        )["createDestination"]
        started = asyncio.get_running_loop().time()
        done = (await api.ok(EXPORT, {"id": dest["id"]}))["exportDestination"]
        assert asyncio.get_running_loop().time() - started < 3
        assert done["status"] == "ERROR"
        assert "did not answer within" in done["lastError"] and "after 2 tries" in done["lastError"]
        assert done["exportedUntil"] is None and done["lastSuccessAt"] is None
        assert done["lastAttemptAt"] is not None
        assert len(hook.deliveries) == 2 and len(set(hook.keys)) == 1
        assert SECRET not in done["lastError"]


async def test_a_timeout_after_a_success_keeps_exported_until(api: Api) -> None:
    s = await daily_schedule(api)
    slow = False

    async def answer(n: int) -> int:
        if slow:
            await hook.pause(5)
        return 200

    async with hook_receiver(answer) as hook:
        dest = (
            await api.ok(
                CREATE, {"i": webhook(s["id"], hook.url, timeoutSeconds=0.2, maxAttempts=2)}
            )
        )["createDestination"]
        first = (await api.ok(EXPORT, {"id": dest["id"]}))["exportDestination"]
        assert first["status"] == "OK"
        # New shifts further ahead (beyond 72 h), then the destination stops answering in time.
        await api.ok(
            'mutation($s: ID!) { confirmAssignments(scheduleId: $s, until: "2026-03-09T00:00:00Z") { newAssignment } }',
            {"s": s["id"]},
        )
        slow = True
        second = (await api.ok(EXPORT, {"id": dest["id"]}))["exportDestination"]
        assert second["exportedUntil"] == first["exportedUntil"]
        assert second["lastSuccessAt"] == first["lastSuccessAt"]
        assert "did not answer within" in second["lastError"]
        assert second["status"] == "WARNING"  # only shifts beyond 72 h are missing
        assert len(hook.deliveries) == 3 and hook.keys[1] == hook.keys[2] != hook.keys[0]


async def test_400_fails_at_once(api: Api) -> None:
    s = await daily_schedule(api)
    async with hook_receiver(statuses(400, 400, 400)) as hook:
        dest = (await api.ok(CREATE, {"i": webhook(s["id"], hook.url)}))["createDestination"]
        done = (await api.ok(EXPORT, {"id": dest["id"]}))["exportDestination"]
        assert done["status"] == "ERROR" and done["exportedUntil"] is None
        assert "HTTP 400" in done["lastError"]
        assert len(hook.deliveries) == 1 and len(hook.keys[0]) == 64
        rows = await destination_models.Delivery.all()
        assert [(r.state, r.idempotency_key) for r in rows] == [("FAILED", hook.keys[0])]


# ------------------------------------------------------------- killed mid-export

REMOTE_DEST = "query($id: ID!) { node(id: $id) { ... on Destination { status exportedUntil lastError lastSuccessAt } } }"


async def test_killed_between_sending_and_recording_sends_again_with_the_same_key(
    backend: str, tmp_path: Path
) -> None:
    """The server process dies (SIGKILL) while the receiver holds its first delivery. After a
    restart on the same database nothing is requested: the export is still due, runs again and
    carries the same idempotency key."""
    # On PostgreSQL the restarted process waits for the dead one's export lease to expire
    # (on SQLite, a single process, it releases it at start-up): keep the lease short.
    env = {
        "RUN_JOBS": "true",
        "EXPORT_POLL_SECONDS": "0.2",
        "STATUS_INTERVAL_SECONDS": "0.5",
        "EXPORT_LEASE_SECONDS": "3",
    }
    async with server_process(backend, tmp_path, **env) as (server, tokens):
        killed = asyncio.Event()

        async def answer(n: int) -> int:
            if n == 0:
                server.kill()  # before answering: the server never learns the outcome
                killed.set()
                await hook.pause(1)
            return 200

        async with hook_receiver(answer) as hook:
            remote = Remote(server, tokens.admin)
            # Shifts start at the layer's start, well before now (the server's real clock).
            s = await daily_schedule(remote, start="2026-01-01T00:00")
            created = (await remote.ok(CREATE, {"i": webhook(s["id"], hook.url, autoExport=True)}))[
                "createDestination"
            ]
            await hook.wait_for(1)
            await asyncio.wait_for(killed.wait(), 5)
            assert server.process is not None
            await asyncio.to_thread(server.process.wait, 10)
            assert server.process.returncode == -signal.SIGKILL

            # The database as the killed process left it: nothing recorded, the export still due.
            await Tortoise.init(config=tortoise_config(server.database_url))
            try:
                row = await destination_models.Destination.get()
                assert row.exported_until is None and row.attempts_finished == 0
                assert row.export_due_at is not None
                assert [d.state for d in await destination_models.Delivery.all()] == ["SENDING"]
            finally:
                await Tortoise.close_connections()

            await server.restart()
            await hook.wait_for(2, timeout=15)

            async def recorded() -> dict[str, Any]:
                for _ in range(100):
                    dest = (await remote.ok(REMOTE_DEST, {"id": created["id"]}))["node"]
                    if dest["exportedUntil"] is not None:
                        return dest
                    await asyncio.sleep(0.1)
                raise AssertionError("the second export was not recorded")

            dest = await recorded()
            assert dest["status"] == "OK" and dest["lastError"] is None
            await asyncio.sleep(0.6)  # a few more worker polls: nothing else is sent
            assert len(hook.deliveries) == 2
            assert hook.keys[0] == hook.keys[1]
            assert hook.deliveries[0].raw == hook.deliveries[1].raw

        await Tortoise.init(config=tortoise_config(server.database_url))
        try:
            row = await destination_models.Destination.get()
            assert row.export_due_at is None and row.attempts_finished == 1
            body = hook.deliveries[1].body
            assert row.exported_until is not None
            assert (
                row.exported_until.isoformat() == body["shifts"][-1]["end"] == body["range"]["end"]
            )
            states = [
                (d.state, d.idempotency_key)
                for d in await destination_models.Delivery.all().order_by("id")
            ]
            assert states == [("LOST", hook.keys[0]), ("OK", hook.keys[0])]
        finally:
            await Tortoise.close_connections()
