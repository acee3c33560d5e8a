"""Destinations under the outbound address policy (issue 12, finding 3), and secrets that
stay with their address (finding 4), through the whole API on both backends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from app.destinations import models as destination_models
from tests.destinations.receiver import serving
from tests.destinations.test_faults import (
    CREATE,
    EXPORT,
    SECRET,
    daily_schedule,
    hook_receiver,
    webhook,
)
from tests.support import Api, prepare_database, running_app, table_counts

UPDATE = """mutation($id: ID!, $i: UpdateDestinationInput!) {
  updateDestination(id: $id, input: $i) { id config } }"""

# Every spelling the sweep tried: loopback, private, link-local (cloud metadata), CGNAT,
# unspecified, multicast, IPv6 unique-local and loopback, mapped and legacy IPv4 forms.
REFUSED = [
    "http://127.0.0.1/hook",
    "http://localhost:8080/hook",
    "http://LOCALHOST./hook",
    "http://api.localhost/hook",
    "http://[::1]/hook",
    "http://10.0.0.1/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://[fd00::1]/hook",
    "http://100.64.0.1/hook",
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://127.1/hook",
    "http://2130706433/hook",
    "http://0x7f000001/hook",
    "http://0177.0.0.1/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:a9fe:a9fe]/hook",
    "http://[64:ff9b::a00:1]/hook",
    "http://[2002:7f00:1::]/hook",
]


@pytest_asyncio.fixture
async def guarded(backend: str, tmp_path: Path) -> AsyncIterator[Api]:
    """The app with the address policy on, as it runs by default."""
    url = await prepare_database(backend, tmp_path)
    async with running_app(url, backend, allow_private_addresses=False) as api:
        yield api


def pagerduty(schedule_id: str, base_url: str) -> dict[str, Any]:
    return {
        "scheduleId": schedule_id,
        "name": "pd",
        "kind": "PAGERDUTY",
        "autoExport": False,
        "config": {"scheduleId": "PABC123", "baseUrl": base_url},
        "secrets": {"apiToken": "pd-token-0123456789"},
    }


def caldav(schedule_id: str, url: str) -> dict[str, Any]:
    return {
        "scheduleId": schedule_id,
        "name": "cal",
        "kind": "CALDAV",
        "autoExport": False,
        "config": {"url": url, "username": "ann"},
        "secrets": {"password": "caldav-password"},
    }


async def test_non_public_addresses_are_refused_in_every_spelling(guarded: Api) -> None:
    s = await daily_schedule(guarded)
    before = await table_counts()
    for address in REFUSED:
        for make, field in (
            (webhook, "input.config.url"),
            (pagerduty, "input.config.baseUrl"),
            (caldav, "input.config.url"),
        ):
            error = await guarded.error(CREATE, {"i": make(s["id"], address)})
            assert error["extensions"]["code"] == "BAD_USER_INPUT", (address, error)
            assert error["extensions"]["fields"] == [field], (address, error)
            assert "not allowed" in error["message"]
    assert await table_counts() == before
    # A public address is accepted (nothing is sent: the export is not automatic).
    made = await guarded.ok(CREATE, {"i": webhook(s["id"], "https://hooks.example.com/x")})
    assert made["createDestination"]["id"]


async def test_an_export_never_connects_to_a_refused_address(guarded: Api) -> None:
    """A stored address the policy refuses (written before the policy, or a name that
    resolves to loopback) fails at connect time: nothing reaches the server."""
    s = await daily_schedule(guarded)
    async with hook_receiver() as hook:
        port = hook.url.rsplit(":", 1)[1].split("/", 1)[0]
        made = await guarded.ok(CREATE, {"i": webhook(s["id"], "https://hooks.example.com/x")})
        pk = (await destination_models.Destination.get(kind="WEBHOOK")).id
        for url in (hook.url, f"http://localhost:{port}/hook"):
            await destination_models.Destination.filter(id=pk).update(
                config={"url": url, "retryInitialSeconds": 0.01, "maxAttempts": 3}
            )
            done = (await guarded.ok(EXPORT, {"id": made["createDestination"]["id"]}))[
                "exportDestination"
            ]
            assert done["status"] == "ERROR"
            assert "not allowed" in done["lastError"], done
            assert "after" not in done["lastError"]  # a refusal is not retried
        assert hook.deliveries == []


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_exports_do_not_follow_redirects(api: Api, status: int) -> None:
    s = await daily_schedule(api)

    async with hook_receiver() as target:

        class Redirect(web.HTTPException):
            status_code = status

        async def handle(request: web.Request) -> web.Response:
            raise Redirect(headers={"Location": target.url})

        async with serving("/hook", handle) as url:
            dest = await api.ok(CREATE, {"i": webhook(s["id"], url)})
            done = (await api.ok(EXPORT, {"id": dest["createDestination"]["id"]}))[
                "exportDestination"
            ]
        assert done["status"] == "ERROR"
        assert f"HTTP {status} (redirects are not followed)" in done["lastError"]
        assert target.deliveries == []


async def test_last_error_never_carries_the_remote_body(api: Api) -> None:
    """A VIEWER reads lastError: it says the host and the status, never what the remote
    server answered (an internal service's error page, a token it echoed)."""
    s = await daily_schedule(api)

    async def handle(request: web.Request) -> web.Response:
        return web.Response(status=400, text="internal-db-password=hunter2 stack trace")

    async with serving("/hook/k3y", handle) as url:
        dest = await api.ok(CREATE, {"i": webhook(s["id"], url)})
        await api.ok(EXPORT, {"id": dest["createDestination"]["id"]})
    read = await api.ok(
        "query($id: ID!) { destination(id: $id) { lastError } }",
        {"id": dest["createDestination"]["id"]},
        token=api.tokens["VIEWER"],
    )
    error = read["destination"]["lastError"]
    assert error == "127.0.0.1 answered HTTP 400", error


async def test_secrets_must_be_given_again_when_the_address_moves(api: Api) -> None:
    s = await daily_schedule(api)
    pd = (await api.ok(CREATE, {"i": pagerduty(s["id"], "https://api.pagerduty.com")}))[
        "createDestination"
    ]
    cal = (await api.ok(CREATE, {"i": caldav(s["id"], "https://dav.example.com/cal/")}))[
        "createDestination"
    ]
    before = await table_counts()
    error = await api.error(
        UPDATE,
        {
            "id": pd["id"],
            "i": {"config": {"scheduleId": "PABC123", "baseUrl": "https://evil.test"}},
        },
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == ["input.secrets.apiToken"]
    error = await api.error(
        UPDATE,
        {"id": cal["id"], "i": {"config": {"url": "https://evil.test/cal/", "username": "ann"}}},
    )
    assert error["extensions"]["fields"] == ["input.secrets.password"]
    assert await table_counts() == before
    stored = await destination_models.Destination.get(kind="PAGERDUTY")
    assert stored.config["baseUrl"] == "https://api.pagerduty.com"

    # Another path on the same server keeps the secret; a new server with the secret given
    # again is accepted.
    await api.ok(
        UPDATE,
        {
            "id": cal["id"],
            "i": {"config": {"url": "https://dav.example.com/other/", "username": "ann"}},
        },
    )
    await api.ok(
        UPDATE,
        {
            "id": pd["id"],
            "i": {
                "config": {"scheduleId": "PABC123", "baseUrl": "https://eu.pagerduty.com"},
                "secrets": {"apiToken": "another-token-000"},
            },
        },
    )
    # A webhook's signing secret never travels (only signatures do): a new URL keeps it.
    hook = (await api.ok(CREATE, {"i": webhook(s["id"], "https://a.example.com/h")}))[
        "createDestination"
    ]
    await api.ok(UPDATE, {"id": hook["id"], "i": {"config": {"url": "https://b.example.com/h"}}})
    moved = await destination_models.Destination.get(kind="WEBHOOK")
    assert moved.secrets == {"signingSecret": SECRET}
