"""Destinations through the whole app: export to a real local webhook receiver."""

from __future__ import annotations

import hashlib
import hmac

from tests.destinations.receiver import webhook_receiver
from tests.support import Api
from tests.timelines.factories import contacts, schedule, set_layers, weekly

SECRET = "s3cret-signing-key-000"
CREATE = """mutation($i: CreateDestinationInput!) { createDestination(input: $i) {
  id status exportedUntil secretKeys config } }"""
EXPORT = """mutation($id: ID!) { exportDestination(id: $id, wait: true) {
  status exportedUntil lastError lastAttemptAt lastSuccessAt } }"""


async def setup_schedule(api: Api) -> dict:  # type: ignore[type-arg]
    a, b = await contacts(api, "Ann", "Bob")
    s = await schedule(api, horizon=3)
    await set_layers(
        api, s["tiers"][0]["id"], [weekly("Daily", "2026-03-01T09:00", [a, b], unit="DAY")]
    )
    await api.ok(
        "mutation($s: ID!) { confirmAssignments(scheduleId: $s) { newAssignment } }", {"s": s["id"]}
    )
    return s


async def test_webhook_export_round_trip(api: Api) -> None:
    s = await setup_schedule(api)
    async with webhook_receiver() as receiver:
        created = await api.ok(
            CREATE,
            {
                "i": {
                    "scheduleId": s["id"],
                    "name": "hook",
                    "kind": "WEBHOOK",
                    "autoExport": False,
                    "config": {"url": receiver.url, "retryInitialSeconds": 0.01},
                    "secrets": {"signingSecret": SECRET},
                }
            },
        )
        dest = created["createDestination"]
        assert dest["status"] == "PENDING" and dest["secretKeys"] == ["signingSecret"]
        assert "s3cret" not in str(created)
        done = (await api.ok(EXPORT, {"id": dest["id"]}))["exportDestination"]
        assert done["status"] == "OK", done
        assert done["exportedUntil"].startswith("2026-03-06T00:00")
        assert len(receiver.deliveries) == 1
        delivery = receiver.deliveries[0]
        expected = "sha256=" + hmac.new(SECRET.encode(), delivery.raw, hashlib.sha256).hexdigest()
        assert delivery.signature == expected
        names = [sh["contact"]["name"] for sh in delivery.body["shifts"]]
        assert names == ["Bob", "Ann", "Bob", "Ann"]
        # The current shift, as confirmed: confirmation began at now (12:00).
        assert delivery.body["shifts"][0]["start"].startswith("2026-03-02T12:00")
        status = await api.ok(
            "query($s: ID!) { schedule(id: $s) { status destinations { status } } }", {"s": s["id"]}
        )
        assert status["schedule"]["status"] == "OK"


async def test_retry_then_success_keeps_one_key(api: Api) -> None:
    s = await setup_schedule(api)
    async with webhook_receiver() as receiver:
        receiver.script = [500, 503, 200]
        created = await api.ok(
            CREATE,
            {
                "i": {
                    "scheduleId": s["id"],
                    "name": "hook",
                    "kind": "WEBHOOK",
                    "autoExport": False,
                    "config": {"url": receiver.url, "retryInitialSeconds": 0.01},
                    "secrets": {"signingSecret": SECRET},
                }
            },
        )
        done = (await api.ok(EXPORT, {"id": created["createDestination"]["id"]}))[
            "exportDestination"
        ]
        assert done["status"] == "OK"
        assert len(receiver.deliveries) == 3 and len(set(receiver.keys)) == 1


async def test_client_error_fails_at_once(api: Api) -> None:
    s = await setup_schedule(api)
    async with webhook_receiver() as receiver:
        receiver.script = [400]
        created = await api.ok(
            CREATE,
            {
                "i": {
                    "scheduleId": s["id"],
                    "name": "hook",
                    "kind": "WEBHOOK",
                    "autoExport": False,
                    "config": {"url": receiver.url, "retryInitialSeconds": 0.01},
                    "secrets": {"signingSecret": SECRET},
                }
            },
        )
        done = (await api.ok(EXPORT, {"id": created["createDestination"]["id"]}))[
            "exportDestination"
        ]
        assert done["status"] == "ERROR" and done["exportedUntil"] is None
        assert "HTTP 400" in done["lastError"]
        assert len(receiver.deliveries) == 1
