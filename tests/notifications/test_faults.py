"""Delivery faults (SPEC §12): the SMTP server down then up, a webhook answering 5xx then
2xx, a permanent 4xx, and the process killed mid-send. No notice is lost; a notice reaches
its receiver twice only with the same stable id."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import signal
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tortoise import Tortoise

from app.db import tortoise_config
from app.jobs.models import JobRow
from app.notifications import models
from tests.destinations.test_faults import hook_receiver, seed_tokens, statuses
from tests.notifications.helpers import (
    CREATE_CHANNEL,
    SECRET,
    deliver,
    email_channel,
    notices,
    settings_for,
)
from tests.notifications.smtp import smtp_server
from tests.processes import start_app_server
from tests.support import Api, prepare_database
from tests.timelines.factories import contacts


async def alert(api: Api, *, channel_id: int | None, transport: str, address: str) -> None:
    """A destination alert due now (written as the planner would)."""
    await models.Notice.create(
        organization_id=api.org_id,
        kind="DESTINATION",
        key=f"fault:{address}",
        uid=f"fault-{transport.lower()}",
        transport=transport,
        address=address,
        due_at=api.clock.now(),
        channel_id=channel_id,
        data={"schedule": "Ops", "destination": "hook (WEBHOOK)", "reason": "export failing"},
    )


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_smtp_down_then_up_delivers_once_with_backoff(api: Api) -> None:
    (ann,) = await contacts(api, "Ann")
    with smtp_server() as box:
        channel = await email_channel(api, box, ann, "ann@example.org")
        box.stop()
        await alert(api, channel_id=None, transport="EMAIL", address="ops@example.org")
        await deliver(api, settings_for(box))
        (waiting,) = await notices(api, kind=["DESTINATION"])
        assert waiting["status"] == "PENDING" and waiting["attempts"] == 1
        assert waiting["error"].startswith(f"SMTP 127.0.0.1:{box.port}")
        assert waiting["dueAt"].startswith("2026-03-02T12:00:05")  # 5 s of backoff
        box.start()
        await deliver(api, settings_for(box))  # not due again yet
        assert len(box.mails) == 1
        api.clock.advance(timedelta(seconds=5))
        await deliver(api, settings_for(box))
        mail = (await box.wait_for(2))[-1]
        assert mail["To"] == "ops@example.org" and mail["Message-ID"] == "<fault-email@rotagraph>"
        (sent,) = await notices(api, kind=["DESTINATION"])
        assert sent["status"] == "SENT" and sent["attempts"] == 2 and sent["error"] is None
        assert channel


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_5xx_webhook_is_retried_with_the_same_id_and_a_4xx_fails(api: Api) -> None:
    (ann,) = await contacts(api, "Ann")
    async with hook_receiver(statuses(200, 503)) as hook:
        created = (
            await api.ok(
                CREATE_CHANNEL,
                {
                    "i": {
                        "kind": "WEBHOOK",
                        "address": hook.url,
                        "contactId": ann,
                        "signingSecret": SECRET,
                    }
                },
            )
        )["createNotificationChannel"]
        channel = await models.NotificationChannel.get(address=hook.url)
        await alert(api, channel_id=channel.id, transport="WEBHOOK", address=hook.url)
        await deliver(api, settings_for())
        (waiting,) = await notices(api, kind=["DESTINATION"])
        assert waiting["status"] == "PENDING" and "503" in waiting["error"]
        api.clock.advance(timedelta(seconds=5))
        await deliver(api, settings_for())
        await hook.wait_for(3)
        first, second = hook.deliveries[1:]
        assert first.key == second.key == "fault-webhook" and first.raw == second.raw
        for d in (first, second):
            assert (
                d.signature
                == "sha256=" + hmac.new(SECRET.encode(), d.raw, hashlib.sha256).hexdigest()
            )
        (sent,) = await notices(api, kind=["DESTINATION"])
        assert sent["status"] == "SENT" and sent["attempts"] == 2
        assert created["verified"]
    async with hook_receiver(statuses(410)) as gone:
        await models.NotificationChannel.filter(id=channel.id).update(address=gone.url)
        await models.Notice.filter(kind="DESTINATION").delete()
        await alert(api, channel_id=channel.id, transport="WEBHOOK", address=gone.url)
        await deliver(api, settings_for())
        (failed,) = await notices(api, kind=["DESTINATION"])
        assert failed["status"] == "FAILED" and "410" in failed["error"] and failed["attempts"] == 1


async def test_killed_mid_send_sends_again_with_the_same_message_id(
    backend: str, tmp_path: Path
) -> None:
    """The server process is SIGKILLed while the SMTP server holds its mail: the notice stays
    PENDING with its lease; a restarted process takes it over when the lease expires and
    sends it again with the same Message-ID. Nothing is lost and nothing is sent a third time."""
    url = await prepare_database(backend, tmp_path)
    await seed_tokens(url)
    with smtp_server() as box:
        await Tortoise.init(config=tortoise_config(url))
        try:
            await models.Notice.create(
                organization_id=1,
                kind="DESTINATION",
                key="killed",
                uid="killed-notice",
                transport="EMAIL",
                address="ops@example.org",
                due_at=datetime.now(UTC) - timedelta(seconds=1),
                data={"schedule": "Ops", "destination": "hook (WEBHOOK)", "reason": "r"},
            )
        finally:
            await Tortoise.close_connections()
        env = {
            "RUN_JOBS": "true",
            "SMTP_URL": box.url,
            "NOTICE_POLL_SECONDS": "0.2",
            "NOTICE_LEASE_SECONDS": "2",
        }
        killed = threading.Event()
        box.on_data = lambda mail: killed.wait(10)  # hold "250 OK" until the sender is dead
        server = await start_app_server(url, tmp_path / "server.log", env=env)
        try:
            await box.wait_for(1, timeout=15)
            server.kill()
            killed.set()
            await asyncio.to_thread(server.process.wait, 10)
            assert server.process.returncode == -signal.SIGKILL
            box.on_data = None
            await Tortoise.init(config=tortoise_config(url))
            try:
                left = await models.Notice.get(key="killed")
                assert left.status == "PENDING" and left.attempts == 0
                assert await JobRow.filter(kind="notice", status="RUNNING").count() == 1
            finally:
                await Tortoise.close_connections()
            await server.restart()
            await box.wait_for(2, timeout=15)
            await asyncio.sleep(1.5)  # a third mail would arrive by now
        finally:
            server.stop()
        assert box.ids() == ["<killed-notice@rotagraph>"] * 2
        await Tortoise.init(config=tortoise_config(url))
        try:
            done = await models.Notice.get(key="killed")
            assert done.status == "SENT" and done.attempts == 1
        finally:
            await Tortoise.close_connections()
