"""GraphQL documents and small helpers for on-demand shift tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.auth import service as auth_service
from app.auth.roles import Role
from tests.support import Api

FIELDS = "id start end contacts { id name } tier { id } warnings"
CREATE = (
    f"mutation($i: CreateOnDemandShiftInput!) {{ createOnDemandShift(input: $i) {{ {FIELDS} }} }}"
)
UPDATE = (
    "mutation($id: ID!, $i: UpdateOnDemandShiftInput!) "
    f"{{ updateOnDemandShift(id: $id, input: $i) {{ {FIELDS} }} }}"
)
DELETE = "mutation($id: ID!) { deleteOnDemandShift(id: $id) { deletedId } }"
GET = f"query($id: ID!) {{ onDemandShift(id: $id) {{ {FIELDS} }} }}"
LIST = """query($f: OnDemandShiftFilter, $first: Int, $after: String) {
  onDemandShifts(filter: $f, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id start end contacts { name } } } }"""
TIER_LIST = """query($t: ID!, $first: Int, $after: String) { tier(id: $t) {
  onDemandShifts(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id start end } } } }"""
SHIFTS = """query($t: ID!, $from: DateTime!, $to: DateTime!) { tier(id: $t) {
  shifts(from: $from, to: $to) { start end origin assignees { name } } } }"""


def at(day: int, hour: int, minute: int = 0) -> str:
    """An instant in March 2026, UTC, as the API takes it."""
    return f"2026-03-{day:02d}T{hour:02d}:{minute:02d}:00Z"


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def span(shift: dict[str, Any]) -> tuple[datetime, datetime]:
    return instant(shift["start"]), instant(shift["end"])


async def create(
    api: Api,
    tier: str,
    start: str,
    end: str,
    contact_ids: list[str],
    *,
    sure: bool = False,
    token: str | None = None,
) -> dict[str, Any]:
    data = await api.ok(
        CREATE,
        {
            "i": {
                "tierId": tier,
                "start": start,
                "end": end,
                "contactIds": contact_ids,
                "sure": sure,
            }
        },
        token=token,
    )
    result: dict[str, Any] = data["createOnDemandShift"]
    return result


async def tier_shifts(
    api: Api, tier: str, start: str, end: str
) -> list[tuple[datetime, datetime, str, list[str]]]:
    data = await api.ok(SHIFTS, {"t": tier, "from": start, "to": end})
    return [
        (instant(s["start"]), instant(s["end"]), s["origin"], [a["name"] for a in s["assignees"]])
        for s in data["tier"]["shifts"]
    ]


async def on_demand_of_tier(api: Api, tier: str) -> list[tuple[datetime, datetime, list[str]]]:
    """Every on-demand shift of the tier, by start: (start, end, contact names)."""
    data = await api.ok(LIST, {"f": {"tierIds": [tier]}, "first": 100})
    return [
        (instant(n["start"]), instant(n["end"]), [c["name"] for c in n["contacts"]])
        for n in data["onDemandShifts"]["nodes"]
    ]


async def other_organization(name: str = "Other") -> str:
    """A second organization; returns its ADMIN token."""
    org = await auth_service.create_organization(name=name)
    _, secret = await auth_service.create_token(org_id=org.id, name="admin", role=Role.ADMIN)
    return secret
