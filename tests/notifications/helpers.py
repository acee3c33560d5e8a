"""Shared steps of the notification tests: channels through the API, delivery passes."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from app import clock
from app.notifications import delivery
from app.settings import Settings
from tests.notifications.smtp import Mailbox, parts
from tests.support import Api

SECRET = "notice-signing-secret-0001"

CREATE_CHANNEL = """mutation($i: CreateNotificationChannelInput!) {
  createNotificationChannel(input: $i) { id kind address verified paused } }"""
VERIFY = """mutation($id: ID!, $c: String!) {
  verifyNotificationChannel(id: $id, code: $c) { id verified } }"""
NOTICES = """query($f: NoticeFilter) { notices(filter: $f, first: 100) { totalCount edges { node {
  id uid kind status transport address dueAt sentAt attempts error subject data } } } }"""


def settings_for(box: Mailbox | None = None, **overrides: Any) -> Settings:
    base = Settings(
        smtp_url=box.url if box else None,
        smtp_timeout_seconds=2,
        allow_private_addresses=True,
        notice_lease_seconds=2,
    )
    return replace(base, **overrides)


async def deliver(api: Api, settings: Settings) -> int:
    """One delivery pass on the test's clock."""
    clock.use(api.clock)
    return await delivery.run_due(settings)


async def notices(api: Api, **where: Any) -> list[dict[str, Any]]:
    data = await api.ok(NOTICES, {"f": where or None})
    return [e["node"] for e in data["notices"]["edges"]]


async def email_channel(api: Api, box: Mailbox, contact_id: str, address: str) -> str:
    """An EMAIL channel of the contact, verified with the code the SMTP server received."""
    created = (
        await api.ok(
            CREATE_CHANNEL, {"i": {"kind": "EMAIL", "address": address, "contactId": contact_id}}
        )
    )["createNotificationChannel"]
    assert created["verified"] is False
    before = len(box.mails)
    await deliver(api, settings_for(box))
    mail = (await box.wait_for(before + 1))[-1]
    assert mail["To"] == address
    code = re.search(r"code is (\d{6})", parts(mail)["text"])
    assert code is not None
    verified = await api.ok(VERIFY, {"id": created["id"], "c": code.group(1)})
    assert verified["verifyNotificationChannel"]["verified"] is True
    return str(created["id"])
