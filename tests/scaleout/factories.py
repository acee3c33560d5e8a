"""Data for the multi-process tests, made through the GraphQL API of a running process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.scaleout.cluster import Node, gql

SECRET = "scale-out-signing-secret"
CREATE_DESTINATIONS_MAX = 25  # aliases per request (the API allows 30)
DESTINATION_STATUS = "query($id: ID!) { destination(id: $id) { status exportedUntil } }"
EXPORT = "mutation($id: ID!, $w: Boolean!) { exportDestination(id: $id, wait: $w) { status } }"
EXPORT_SCHEDULE = "mutation($id: ID!, $w: Boolean!) { exportSchedule(id: $id, wait: $w) { id } }"


async def daily_schedule(node: Node, token: str, name: str) -> dict[str, Any]:
    """A schedule whose one tier rotates two new contacts daily from two days ago, confirmed
    (so it has shifts to export now and ahead)."""
    people = []
    for person in ("Ann", "Bob"):
        data = await gql(
            node,
            token,
            'mutation($n: String!) { createContact(input: {name: $n, timezone: "UTC"}) { id } }',
            {"n": f"{person} of {name}"},
        )
        people.append(data["createContact"]["id"])
    created = (
        await gql(
            node,
            token,
            "mutation($i: CreateScheduleInput!) { createSchedule(input: $i) { id tiers { id } } }",
            {"i": {"name": name, "tierCount": 1, "assignmentHorizonDays": 3}},
        )
    )["createSchedule"]
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)
    layer = {
        "name": "Daily",
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "timezone": "UTC",
        "rotation": {"unit": "DAY", "length": 1},
        "participants": [{"contactId": pk} for pk in people],
    }
    await gql(
        node,
        token,
        "mutation($t: ID!, $l: [LayerInput!]!) { setTierLayers(tierId: $t, layers: $l) { id } }",
        {"t": created["tiers"][0]["id"], "l": [layer]},
    )
    await gql(
        node,
        token,
        "mutation($s: ID!) { confirmAssignments(scheduleId: $s) { newAssignment } }",
        {"s": created["id"]},
    )
    return {"id": created["id"], "tier": created["tiers"][0]["id"], "people": people}


def webhook(schedule_id: str, url: str, name: str = "hook") -> dict[str, Any]:
    return {
        "scheduleId": schedule_id,
        "name": name,
        "kind": "WEBHOOK",
        "autoExport": False,
        "config": {"url": url, "retryInitialSeconds": 0.05, "timeoutSeconds": 30},
        "secrets": {"signingSecret": SECRET},
    }


async def destinations(node: Node, token: str, schedule_id: str, url: str, count: int) -> list[str]:
    """``count`` webhook destinations (auto export off), several per request."""
    ids: list[str] = []
    while len(ids) < count:
        batch = min(CREATE_DESTINATIONS_MAX, count - len(ids))
        variables = {
            f"i{n}": webhook(schedule_id, url, f"hook {len(ids) + n}") for n in range(batch)
        }
        params = ", ".join(f"$i{n}: CreateDestinationInput!" for n in range(batch))
        fields = " ".join(f"d{n}: createDestination(input: $i{n}) {{ id }}" for n in range(batch))
        data = await gql(node, token, f"mutation({params}) {{ {fields} }}", variables)
        ids += [data[f"d{n}"]["id"] for n in range(batch)]
    return ids


def pk(global_id: str) -> int:
    """The database id inside a global id."""
    from app.api.relay import split_id

    return split_id(global_id)[1]
