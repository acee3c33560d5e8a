"""The export grace (SPEC §4, EXPORT_GRACE_SECONDS): a change's unexported shifts count only
once its export had a first attempt or the grace passed, so a dashboard watching
destinationStatusChanged never sees ERROR for a change the automatic export then covers.
Every WARNING and ERROR carries a statusReason; lastError is the last failure only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app.destinations.status import Status, in_grace, status_reason, with_grace
from tests.destinations.test_faults import (
    CREATE,
    Remote,
    Tokens,
    hook_receiver,
    server_process,
    statuses,
    webhook,
)
from tests.destinations.test_status import NOW, at
from tests.destinations.test_subscriptions import DEST_SUB, EXPORT, connect, daily
from tests.processes import AppServer
from tests.timelines.factories import set_layers, weekly

GRACE = 3  # seconds
ENV = {
    "RUN_JOBS": "true",
    "STATUS_INTERVAL_SECONDS": "0.2",
    "EXPORT_POLL_SECONDS": "0.2",
    "CONFIRM_INTERVAL_SECONDS": "3600",
    "EXPORT_GRACE_SECONDS": str(GRACE),
}
READ = """query($id: ID!) { node(id: $id) { ... on Destination {
  status statusReason lastError exportedUntil autoExport } } }"""
G = timedelta(seconds=60)


def test_grace_lasts_until_an_attempt_after_the_change_or_the_grace_ends() -> None:
    changed = NOW
    assert in_grace(changed_at=changed, last_attempt_at=None, grace=G, now=at(0.01))
    # an attempt that started before the change does not end the grace
    assert in_grace(
        changed_at=changed, last_attempt_at=NOW - timedelta(seconds=5), grace=G, now=at(0.01)
    )
    assert not in_grace(changed_at=changed, last_attempt_at=NOW, grace=G, now=at(0.01))
    assert not in_grace(changed_at=changed, last_attempt_at=None, grace=G, now=NOW + G)
    assert not in_grace(changed_at=None, last_attempt_at=None, grace=G, now=NOW)
    # during a grace the status never gets worse than before the change
    assert with_grace(Status.ERROR, Status.OK) is Status.OK
    assert with_grace(Status.WARNING, Status.OK) is Status.OK
    assert with_grace(Status.OK, Status.ERROR) is Status.OK
    assert with_grace(Status.ERROR, Status.PENDING) is Status.PENDING
    assert with_grace(Status.PENDING, Status.OK) is Status.PENDING


def test_every_warning_and_error_says_why() -> None:
    shifts = [(at(-1), at(5)), (at(80), at(90))]
    common: dict[str, Any] = {"shifts": shifts, "now": NOW, "exported_until": None}
    assert status_reason(Status.OK, last_error=None, auto_export=True, **common) is None
    assert status_reason(Status.PENDING, last_error=None, auto_export=True, **common) is None
    error = status_reason(
        Status.ERROR, last_error="HTTP 500 from hooks.example", auto_export=True, **common
    )
    assert (
        error
        == "the shift running now is not exported; the last export failed: HTTP 500 from hooks.example"
    )
    manual = status_reason(
        Status.WARNING, last_error=None, auto_export=False, **{**common, "exported_until": at(5)}
    )
    assert manual == (
        "shifts from 2026-03-05 20:00 UTC are not exported; "
        "autoExport is off: run exportDestination or exportSchedule"
    )


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[AppServer, Tokens]]:
    async with server_process("sqlite", tmp_path, **ENV) as pair:
        yield pair


async def _events(conn: Any, sid: str, seconds: float) -> list[dict[str, Any]]:
    seen = []
    try:
        while True:
            seen.append((await conn.next_payload(sid, timeout=seconds))["data"])
    except TimeoutError:
        return seen


async def test_grace_on_a_live_server(served: tuple[AppServer, Tokens]) -> None:
    """One server for both cases (a server start costs more than the checks)."""
    server, tokens = served
    await _no_error_flashes_across_a_change_and_its_automatic_export(server, tokens)
    await _after_the_grace_an_unexported_change_is_error_with_its_reason(server, tokens)
    assert "Traceback" not in server.log()


async def _no_error_flashes_across_a_change_and_its_automatic_export(
    server: AppServer, tokens: Tokens
) -> None:
    remote = Remote(server, tokens.admin)
    async with hook_receiver() as hook:
        s, (ann, bob) = await daily(remote, "Ann", "Bob")
        auto = (await remote.ok(CREATE, {"i": webhook(s["id"], hook.url, autoExport=True)}))[
            "createDestination"
        ]
        assert (await remote.ok(EXPORT, {"id": auto["id"]}))["exportDestination"]["status"] == "OK"
        async with connect(server, tokens.viewer, "graphql-transport-ws") as conn:
            await conn.subscribe("d", DEST_SUB, {"s": s["id"]})
            await asyncio.sleep(0.3)
            before = len(hook.deliveries)
            # Who is on call now changes: the automatic export follows within the grace.
            await set_layers(
                remote,
                s["tiers"][0]["id"],
                [weekly("Daily", "2026-01-01T00:00", [bob, ann], unit="DAY")],
            )  # type: ignore[arg-type]
            await hook.wait_for(before + 1)
            seen = await _events(conn, "d", GRACE + 1.0)
            assert all(e["destinationStatusChanged"]["status"] != "ERROR" for e in seen), seen
        read = (await remote.ok(READ, {"id": auto["id"]}))["node"]
        assert read["status"] == "OK" and read["statusReason"] is None
        assert read["lastError"] is None


async def _after_the_grace_an_unexported_change_is_error_with_its_reason(
    server: AppServer, tokens: Tokens
) -> None:
    remote = Remote(server, tokens.admin)
    async with hook_receiver() as hook:
        s, (ann, bob) = await daily(remote, "Ann", "Bob")
        manual = (await remote.ok(CREATE, {"i": webhook(s["id"], hook.url)}))["createDestination"]
        await remote.ok(EXPORT, {"id": manual["id"]})
        async with connect(server, tokens.viewer, "graphql-ws") as conn:
            await conn.subscribe("d", DEST_SUB, {"s": s["id"]})
            await asyncio.sleep(0.3)
            changed = asyncio.get_running_loop().time()
            await set_layers(
                remote,
                s["tiers"][0]["id"],
                [weekly("Daily", "2026-01-01T00:00", [bob, ann], unit="DAY")],
            )  # type: ignore[arg-type]
            event = await conn.next_payload("d", timeout=GRACE + 5)
            assert event["data"]["destinationStatusChanged"]["status"] == "ERROR"
            assert asyncio.get_running_loop().time() - changed >= GRACE - 0.5
        read = (await remote.ok(READ, {"id": manual["id"]}))["node"]
        assert read["statusReason"] == (
            "the shift running now is not exported; "
            "autoExport is off: run exportDestination or exportSchedule"
        )
        assert read["lastError"] is None

    # A failing receiver: the reason and lastError tell the failure.
    async with hook_receiver(statuses(*[400] * 5)) as failing:
        s, _ = await daily(remote, "Cy", "Di")
        dest = (await remote.ok(CREATE, {"i": webhook(s["id"], failing.url)}))["createDestination"]
        await remote.post(EXPORT, {"id": dest["id"]})
        read = (await remote.ok(READ, {"id": dest["id"]}))["node"]
        assert read["status"] == "ERROR" and read["lastError"], read
        assert read["statusReason"].startswith("the shift running now is not exported; ")
        assert read["statusReason"].endswith("the last export failed: " + read["lastError"])
    assert "Traceback" not in server.log()
