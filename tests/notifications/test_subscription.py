"""``noticeChanged`` over a WebSocket of a real server process whose delivery loop mails a
channel's code to a real SMTP server: subscribers see the notice planned, then SENT."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.destinations.test_faults import Remote, server_process
from tests.destinations.test_subscriptions import connect
from tests.notifications.helpers import CREATE_CHANNEL
from tests.notifications.smtp import smtp_server

SUB = "subscription { noticeChanged { kind status address uid } }"


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_notice_changed_publishes_planned_then_sent(backend: str, tmp_path: Path) -> None:
    with smtp_server() as box:
        env = {"RUN_JOBS": "true", "SMTP_URL": box.url, "NOTICE_POLL_SECONDS": "0.2"}
        async with server_process(backend, tmp_path, **env) as (server, tokens):
            remote = Remote(server, tokens.admin)
            async with connect(server, tokens.viewer, "graphql-transport-ws") as conn:
                await conn.subscribe("n", SUB, {})
                ann = await remote.ok('mutation { createContact(input: {name: "Ann"}) { id } }')
                await remote.ok(
                    CREATE_CHANNEL,
                    {
                        "i": {
                            "kind": "EMAIL",
                            "address": "ann@example.org",
                            "contactId": ann["createContact"]["id"],
                        }
                    },
                )
                planned = (await conn.next_payload("n"))["data"]["noticeChanged"]
                sent = (await conn.next_payload("n"))["data"]["noticeChanged"]
                assert (planned["kind"], planned["status"]) == ("VERIFY", "PENDING")
                assert (sent["kind"], sent["status"], sent["uid"]) == (
                    "VERIFY",
                    "SENT",
                    planned["uid"],
                )
                (mail,) = await box.wait_for(1)
                assert mail["Message-ID"] == f"<{sent['uid']}@rotagraph>"
            # Another organization's subscriber hears nothing of it.
            async with connect(server, tokens.other_admin, "graphql-transport-ws") as other:
                await other.subscribe("n", SUB, {})
                await remote.ok(
                    "mutation($id: ID!) { resendNotificationChannelCode(id: $id) { id } }",
                    {
                        "id": (
                            await remote.ok("{ notificationChannels { edges { node { id } } } }")
                        )["notificationChannels"]["edges"][0]["node"]["id"]
                    },
                )
                await box.wait_for(2)
                await other.nothing_for("n", 0.5)
