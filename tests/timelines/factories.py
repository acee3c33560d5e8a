"""Plain async factories for computed-graph tests (through the API)."""

from __future__ import annotations

from typing import Any

from tests.support import Api


async def contacts(api: Api, *names: str, timezone: str = "UTC") -> list[str]:
    ids = []
    for name in names:
        data = await api.ok(
            "mutation($n: String!, $z: String!) { createContact(input: {name: $n, timezone: $z}) { id } }",
            {"n": name, "z": timezone},
        )
        ids.append(data["createContact"]["id"])
    return ids


async def schedule(
    api: Api, name: str = "Ops", *, timezone: str = "UTC", tiers: int = 1, horizon: int = 28
) -> dict[str, Any]:
    data = await api.ok(
        "mutation($i: CreateScheduleInput!) { createSchedule(input: $i) { id tiers { id number } } }",
        {
            "i": {
                "name": name,
                "timezone": timezone,
                "tierCount": tiers,
                "assignmentHorizonDays": horizon,
            }
        },
    )
    result: dict[str, Any] = data["createSchedule"]
    return result


async def set_layers(api: Api, tier_id: str, layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    data = await api.ok(
        "mutation($t: ID!, $l: [LayerInput!]!) { setTierLayers(tierId: $t, layers: $l) { id index } }",
        {"t": tier_id, "l": layers},
    )
    result: list[dict[str, Any]] = data["setTierLayers"]
    return result


def weekly(name: str, start: str, participant_ids: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "start": start,
        "timezone": extra.pop("timezone", "UTC"),
        "rotation": {"unit": extra.pop("unit", "WEEK"), "length": extra.pop("length", 1)},
        "participants": [{"contactId": pk} for pk in participant_ids],
        **extra,
    }
