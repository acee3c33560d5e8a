"""coverRequestChanged over a WebSocket of a real server, and the leased expiry job running in
it (SPEC §11): a request is made, offered on, and expires when its window starts uncovered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.destinations.test_faults import Remote, Tokens, server_process
from tests.destinations.test_subscriptions import connect
from tests.processes import AppServer
from tests.timelines.factories import weekly

ENV = {"RUN_JOBS": "true", "STATUS_INTERVAL_SECONDS": "0.2", "CONFIRM_INTERVAL_SECONDS": "3600"}
SUB = """subscription($s: ID!) { coverRequestChanged(scheduleId: $s) {
  id status requester { name } offers { contact { name } } } }"""


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[AppServer, Tokens]]:
    async with server_process("sqlite", tmp_path, **ENV) as pair:
        yield pair


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def test_changes_are_published_and_an_uncovered_request_expires(
    served: tuple[AppServer, Tokens],
) -> None:
    server, tokens = served
    admin = Remote(server, tokens.admin)
    ids = []
    for name in ("Ann", "Bob"):
        made = await admin.ok(
            "mutation($n: String!) { createContact(input: {name: $n}) { id } }", {"n": name}
        )
        ids.append(made["createContact"]["id"])
    made = await admin.ok('mutation { createSchedule(input: {name: "Ops"}) { id tiers { id } } }')
    schedule = made["createSchedule"]["id"]
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    # A daily rotation whose first turn (Ann's) began an hour ago.
    start = f"{now - timedelta(hours=1):%Y-%m-%dT%H:%M}"
    await admin.ok(
        "mutation($t: ID!, $l: [LayerInput!]!) { setTierLayers(tierId: $t, layers: $l) { id } }",
        {"t": made["createSchedule"]["tiers"][0]["id"], "l": [weekly("D", start, ids, unit="DAY")]},
    )
    ann = await admin.ok(
        'mutation($c: ID!) { createPersonalToken(contactId: $c, name: "p") { secret } }',
        {"c": ids[0]},
    )
    async with connect(
        server, ann["createPersonalToken"]["secret"], "graphql-transport-ws"
    ) as conn:
        await conn.subscribe("1", SUB, {"s": schedule})
        async with connect(server, tokens.other_admin, "graphql-transport-ws") as stranger:
            await stranger.subscribe("x", SUB, {"s": schedule})
            refused = await stranger.next_payload("x")
            assert refused["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        window_start = datetime.now(UTC) + timedelta(seconds=3)
        asked = await Remote(server, ann["createPersonalToken"]["secret"]).ok(
            """mutation($s: ID!, $from: DateTime!, $to: DateTime!) {
              requestCover(scheduleId: $s, from: $from, to: $to) { id } }""",
            {
                "s": schedule,
                "from": iso(window_start),
                "to": iso(window_start + timedelta(minutes=5)),
            },
        )
        request_id = asked["requestCover"]["id"]
        event = (await conn.next_payload("1"))["data"]["coverRequestChanged"]
        assert (event["id"], event["status"], event["requester"]["name"]) == (
            request_id,
            "OPEN",
            "Ann",
        )
        await admin.ok(
            "mutation($r: ID!, $c: ID) { offerCover(requestId: $r, contactId: $c) { id } }",
            {"r": request_id, "c": ids[1]},
        )
        event = (await conn.next_payload("1"))["data"]["coverRequestChanged"]
        assert event["status"] == "OFFERED" and event["offers"] == [{"contact": {"name": "Bob"}}]
        event = (await conn.next_payload("1", timeout=15))["data"]["coverRequestChanged"]
        assert event["status"] == "EXPIRED"
