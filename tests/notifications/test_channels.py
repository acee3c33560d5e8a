"""Channels (SPEC §12): an EMAIL channel is verified by the code mailed to it (through a real
SMTP server), a WEBHOOK channel by a signed ping answered 2xx; bad input names its field and
writes nothing; a paused channel receives nothing."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest

from app.notifications import models
from tests.destinations.test_faults import hook_receiver, statuses
from tests.notifications.helpers import (
    CREATE_CHANNEL,
    SECRET,
    VERIFY,
    deliver,
    email_channel,
    notices,
    settings_for,
)
from tests.notifications.smtp import parts, smtp_server
from tests.support import Api, table_counts
from tests.timelines.factories import contacts, schedule


async def test_email_channel_is_verified_by_the_mailed_code(api: Api) -> None:
    (ann,) = await contacts(api, "Ann")
    with smtp_server() as box:
        created = (
            await api.ok(
                CREATE_CHANNEL,
                {"i": {"kind": "EMAIL", "address": "ann@example.org", "contactId": ann}},
            )
        )["createNotificationChannel"]
        assert created == {
            "id": created["id"],
            "kind": "EMAIL",
            "address": "ann@example.org",
            "verified": False,
            "paused": False,
        }
        await deliver(api, settings_for(box))
        (mail,) = await box.wait_for(1)
        body = parts(mail)
        code = re.search(r"code is (\d{6})", body["text"])
        assert code is not None and code.group(1) in body["html"]
        wrong = "000000" if code.group(1) != "000000" else "111111"
        error = await api.error(VERIFY, {"id": created["id"], "c": wrong})
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["fields"] == ["code"]
        ok = await api.ok(VERIFY, {"id": created["id"], "c": code.group(1)})
        assert ok["verifyNotificationChannel"]["verified"] is True
        # The code is mailed once and never shown by the API.
        (verify,) = await notices(api, kind=["VERIFY"])
        assert verify["status"] == "SENT" and "code" not in verify["data"]
        assert mail["Message-ID"] == f"<{verify['uid']}@rotagraph>"


async def test_webhook_channel_is_verified_by_a_signed_ping(api: Api) -> None:
    (ann,) = await contacts(api, "Ann")
    async with hook_receiver() as hook:
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
        assert created["verified"] is True
        (ping,) = hook.deliveries
        expected = "sha256=" + hmac.new(SECRET.encode(), ping.raw, hashlib.sha256).hexdigest()
        assert ping.signature == expected and ping.body["kind"] == "PING"
        assert ping.key == ping.body["id"]


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_webhook_that_refuses_the_ping_is_not_stored(api: Api) -> None:
    s = await schedule(api)
    async with hook_receiver(statuses(404)) as hook:
        before = await table_counts()
        error = await api.error(
            CREATE_CHANNEL,
            {
                "i": {
                    "kind": "WEBHOOK",
                    "address": hook.url,
                    "scheduleId": s["id"],
                    "signingSecret": SECRET,
                }
            },
        )
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["fields"] == ["input.address"]
        assert "404" in error["message"] and SECRET not in error["message"]
        assert await table_counts() == before


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_bad_channel_input_names_every_field(api: Api) -> None:
    (ann,) = await contacts(api, "Ann")
    before = await table_counts()
    error = await api.error(
        CREATE_CHANNEL,
        {
            "i": {
                "kind": "WEBHOOK",
                "address": "ftp://x",
                "contactId": ann,
                "signingSecret": "short",
            }
        },
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert set(error["extensions"]["fields"]) == {"input.address", "input.signingSecret"}
    error = await api.error(
        CREATE_CHANNEL, {"i": {"kind": "EMAIL", "address": "not-an-address", "contactId": ann}}
    )
    assert error["extensions"]["fields"] == ["input.address"]
    error = await api.error(CREATE_CHANNEL, {"i": {"kind": "EMAIL", "address": "a@b.org"}})
    assert error["extensions"]["fields"] == ["input.contactId"]
    assert await table_counts() == before


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_paused_channel_receives_nothing(api: Api) -> None:
    (ann,) = await contacts(api, "Ann")
    with smtp_server() as box:
        channel_id = await email_channel(api, box, ann, "ann@example.org")
        paused = await api.ok(
            "mutation($id: ID!) { setNotificationChannelPaused(id: $id, paused: true) { paused } }",
            {"id": channel_id},
        )
        assert paused["setNotificationChannelPaused"]["paused"] is True
        channel = await models.NotificationChannel.get(address="ann@example.org")
        await models.Notice.create(
            organization_id=api.org_id,
            kind="CHANGE",
            key="paused-test",
            uid="paused-test",
            transport="EMAIL",
            address="ann@example.org",
            due_at=api.clock.now(),
            channel_id=channel.id,
            contact_id=channel.contact_id,
            data={"before": {}},
        )
        await deliver(api, settings_for(box))
        (notice,) = await notices(api, kind=["CHANGE"])
        assert notice["status"] == "CANCELLED" and notice["error"] == "the channel is paused"
        assert len(box.mails) == 1  # the verification code only
