"""Subscriptions over a real WebSocket to a real uvicorn server (SPEC §4, §6): both protocols,
authenticated in connection_init, organization-scoped, each event read afresh."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import websockets

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

PROTOCOLS = ["graphql-transport-ws", "graphql-ws"]
ENV = {
    "RUN_JOBS": "true",
    "STATUS_INTERVAL_SECONDS": "0.2",
    "EXPORT_POLL_SECONDS": "0.2",
    "CONFIRM_INTERVAL_SECONDS": "3600",
    # A change waits this long for its export before its shifts count (SPEC §4); short, so
    # the unexported change below turns ERROR within the test.
    "EXPORT_GRACE_SECONDS": "1",
}


class Connection:
    """One WebSocket speaking either protocol; ``next_payload(id)`` returns the next result
    (data or errors) of a subscription, skipping keep-alives."""

    def __init__(self, ws: Any, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol
        self.pending: dict[str, list[dict[str, Any]]] = {}

    async def init(self, token: str) -> dict[str, Any]:
        await self.ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        while True:
            message: dict[str, Any] = json.loads(await self.ws.recv())
            if message["type"] != "ka":
                return message

    async def subscribe(self, sid: str, query: str, variables: dict[str, Any]) -> None:
        kind = "subscribe" if self.protocol == "graphql-transport-ws" else "start"
        await self.ws.send(
            json.dumps(
                {"id": sid, "type": kind, "payload": {"query": query, "variables": variables}}
            )
        )
        self.pending.setdefault(sid, [])

    async def next_payload(self, sid: str, timeout: float = 10.0) -> dict[str, Any]:
        async def read() -> dict[str, Any]:
            while not self.pending.get(sid):
                message = json.loads(await self.ws.recv())
                kind = message["type"]
                if kind == "ping":
                    await self.ws.send(json.dumps({"type": "pong"}))
                elif kind in ("next", "data"):
                    self.pending.setdefault(message["id"], []).append(message["payload"])
                elif kind == "error":
                    payload = message["payload"]
                    errors = (
                        payload if isinstance(payload, list) else payload.get("errors", [payload])
                    )
                    self.pending.setdefault(message["id"], []).append({"errors": errors})
            return self.pending[sid].pop(0)

        return await asyncio.wait_for(read(), timeout)

    async def nothing_for(self, sid: str, seconds: float) -> None:
        try:
            payload = await self.next_payload(sid, timeout=seconds)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected event: {payload}")


@asynccontextmanager
async def connect(server: AppServer, token: str, protocol: str) -> AsyncIterator[Connection]:
    async with websockets.connect(server.ws, subprotocols=[protocol]) as ws:  # type: ignore[list-item]
        conn = Connection(ws, protocol)
        assert (await conn.init(token))["type"] == "connection_ack"
        yield conn


@pytest.fixture
async def served(backend: str, tmp_path: Path) -> AsyncIterator[tuple[AppServer, Tokens]]:
    async with server_process(backend, tmp_path, **ENV) as pair:
        yield pair


# ------------------------------------------------------------------------ auth


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_bad_token_is_rejected_in_connection_init(
    served: tuple[AppServer, Tokens], protocol: str
) -> None:
    server, _ = served
    async with websockets.connect(server.ws, subprotocols=[protocol]) as ws:  # type: ignore[list-item]
        conn = Connection(ws, protocol)
        if protocol == "graphql-transport-ws":
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await conn.init("rg_not-a-token")
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
        else:
            message = await conn.init("rg_not-a-token")
            assert message["type"] == "connection_error"
            assert message["payload"]["extensions"]["code"] == "UNAUTHENTICATED"


# -------------------------------------------------------------------- statuses

DEST_SUB = """subscription($s: ID!) { destinationStatusChanged(scheduleId: $s) {
  id status exportedUntil schedule { status } } }"""
SCHEDULE_SUB = "subscription($s: ID!) { scheduleStatusChanged(scheduleId: $s) { id status } }"
ON_CALL_SUB = """subscription($s: ID!) { onCallChanged(scheduleId: $s) {
  id onCallNow { assignees { name } until } } }"""
EXPORT = "mutation($id: ID!) { exportDestination(id: $id, wait: true) { status } }"


async def daily(remote: Remote, *names: str) -> tuple[dict[str, Any], list[str]]:
    people = await contacts(remote, *names)  # type: ignore[arg-type]
    s = await schedule(remote, horizon=3)  # type: ignore[arg-type]
    layers = await set_layers(
        remote, s["tiers"][0]["id"], [weekly("Daily", "2026-01-01T00:00", people, unit="DAY")]
    )  # type: ignore[arg-type]
    await remote.ok(CONFIRM, {"s": s["id"]})
    s["layer"] = layers[0]["id"]
    return s, people


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_status_events_after_exports_and_changes(
    served: tuple[AppServer, Tokens], protocol: str
) -> None:
    server, tokens = served
    remote = Remote(server, tokens.admin)
    s, (ann, bob) = await daily(remote, "Ann", "Bob")
    async with hook_receiver() as hook:
        dest = (await remote.ok(CREATE, {"i": webhook(s["id"], hook.url)}))["createDestination"]
        assert dest["status"] == "PENDING"
        async with connect(server, tokens.viewer, protocol) as conn:
            await conn.subscribe("d", DEST_SUB, {"s": s["id"]})
            await conn.subscribe("s", SCHEDULE_SUB, {"s": s["id"]})
            await asyncio.sleep(0.3)  # let both subscriptions register
            assert (await remote.ok(EXPORT, {"id": dest["id"]}))["exportDestination"][
                "status"
            ] == "OK"
            first = await conn.next_payload("d")
            assert first["data"]["destinationStatusChanged"]["status"] == "OK"
            assert first["data"]["destinationStatusChanged"]["id"] == dest["id"]
            assert first["data"]["destinationStatusChanged"]["schedule"] == {"status": "OK"}
            assert (await conn.next_payload("s"))["data"]["scheduleStatusChanged"] == {
                "id": s["id"],
                "status": "OK",
            }

            # A change to the confirmed shifts right now, not exported (no autoExport): ERROR
            # once the grace has passed.
            await set_layers(
                remote,
                s["tiers"][0]["id"],
                [weekly("Daily", "2026-01-01T00:00", [bob, ann], unit="DAY")],
            )  # type: ignore[arg-type]
            # The status tick may publish an intermediate status it read while the change was
            # being written: what must arrive on this one connection is the fresh ERROR.
            second = await next_with_status(conn, "d", "destinationStatusChanged", "ERROR")
            # The same connection reads fresh rows (and a fresh schedule) for each event.
            assert second["data"]["destinationStatusChanged"]["schedule"] == {"status": "ERROR"}
            await next_with_status(conn, "s", "scheduleStatusChanged", "ERROR")

            # And back: export the change.
            await remote.ok(EXPORT, {"id": dest["id"]})
            third = await next_with_status(conn, "d", "destinationStatusChanged", "OK")
            assert third["data"]["destinationStatusChanged"]["exportedUntil"] is not None
            await next_with_status(conn, "s", "scheduleStatusChanged", "OK")
            await conn.nothing_for("d", 0.5)


async def next_with_status(conn: Any, sid: str, field: str, status: str) -> dict[str, Any]:
    """The next event of ``sid`` showing ``status`` (at most two others may come first)."""
    seen = []
    for _ in range(3):
        payload: dict[str, Any] = await conn.next_payload(sid)
        seen.append(payload["data"][field]["status"])
        if seen[-1] == status:
            return payload
    raise AssertionError(f"{field} never showed {status}: {seen}")


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_another_organizations_schedule_is_not_found(
    served: tuple[AppServer, Tokens], protocol: str
) -> None:
    server, tokens = served
    s, _ = await daily(Remote(server, tokens.admin), "Ann")
    async with connect(server, tokens.other_admin, protocol) as conn:
        for sid, query in (("d", DEST_SUB), ("s", SCHEDULE_SUB), ("o", ON_CALL_SUB)):
            await conn.subscribe(sid, query, {"s": s["id"]})
            payload = await conn.next_payload(sid)
            assert (
                payload.get("data") in (None, {})
                or payload["data"].get(next(iter(payload["data"]))) is None
            )
            assert payload["errors"][0]["extensions"]["code"] == "NOT_FOUND", payload


# ---------------------------------------------------------------------- on call

ON_DEMAND = "mutation($i: CreateOnDemandShiftInput!) { createOnDemandShift(input: $i) { id } }"


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def on_call_names(payload: dict[str, Any]) -> list[str]:
    return [
        a["name"]
        for entry in payload["data"]["onCallChanged"]["onCallNow"]
        for a in entry["assignees"]
    ]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_on_call_changes_on_a_write_and_at_a_handoff(
    served: tuple[AppServer, Tokens], protocol: str
) -> None:
    """(a) an on-demand shift covering now, created through the API, changes who is on call;
    (b) when it ends a few seconds later the status tick notices the handoff with no write."""
    server, tokens = served
    remote = Remote(server, tokens.admin)
    s, _ = await daily(remote, "Ann")
    bob = (await contacts(remote, "Bob"))[0]  # type: ignore[arg-type]
    tier = s["tiers"][0]["id"]
    async with connect(server, tokens.viewer, protocol) as conn:
        await conn.subscribe("o", ON_CALL_SUB, {"s": s["id"]})
        await asyncio.sleep(0.3)
        # A change that does not touch now: no event.
        tomorrow = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
        await remote.ok(
            ON_DEMAND,
            {
                "i": {
                    "tierId": tier,
                    "start": iso(tomorrow),
                    "end": iso(tomorrow + timedelta(hours=1)),
                    "contactIds": [bob],
                }
            },
        )
        await conn.nothing_for("o", 0.8)

        now = datetime.now(UTC).replace(microsecond=0)
        handoff = now + timedelta(seconds=4)
        await remote.ok(
            ON_DEMAND,
            {
                "i": {
                    "tierId": tier,
                    "start": iso(now - timedelta(minutes=5)),
                    "end": iso(handoff),
                    "contactIds": [bob],
                }
            },
        )
        first = await conn.next_payload("o", timeout=3)
        assert on_call_names(first) == ["Bob"]
        assert first["data"]["onCallChanged"]["onCallNow"][0]["until"].startswith(iso(handoff)[:19])
        # Nothing is written from here on: the handoff back to Ann comes from the clock.
        second = await conn.next_payload("o", timeout=10)
        assert datetime.now(UTC) >= handoff
        assert on_call_names(second) == ["Ann"]
        await conn.nothing_for("o", 0.6)
