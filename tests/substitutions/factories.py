"""Plain async factories and GraphQL documents for substitution tests."""

from __future__ import annotations

from typing import Any

from app.api.relay import encode_id
from app.contacts import service as contact_service
from app.schedules import service as schedule_service
from tests.support import Api

FIELDS = """
id kind status timezone effectiveTimezone endsOn createdAt updatedAt
contact { id name } replacement { id name } schedule { id name }
recurrence { type datesApplicable { from to } everyN rule }
window { start end crossesMidnight }
"""
CREATE = (
    "mutation($inputs: [CreateSubstitutionInput!]!) "
    f"{{ createSubstitutions(inputs: $inputs) {{ {FIELDS} }} }}"
)
UPDATE = (
    "mutation($ids: [ID!]!, $patch: UpdateSubstitutionInput!) "
    f"{{ updateSubstitutions(ids: $ids, patch: $patch) {{ {FIELDS} }} }}"
)
DELETE = f"mutation($ids: [ID!]!) {{ deleteSubstitutions(ids: $ids) {{ {FIELDS} }} }}"
GET = f"query($id: ID!) {{ substitution(id: $id) {{ {FIELDS} }} }}"
LIST = """
query($filter: SubstitutionFilter, $sort: [SubstitutionSort!], $first: Int, $after: String) {
  substitutions(filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
    nodes { id status kind contact { name } }
  }
}"""
OCCURRENCES = """
query($id: ID!, $from: DateTime!, $to: DateTime!) {
  substitution(id: $id) { occurrences(from: $from, to: $to) { start end } }
}"""


async def contact(org_id: int, name: str) -> str:
    row = await contact_service.create_contact(
        org_id=org_id, fields=contact_service.ContactFields(name=name)
    )
    return encode_id("Contact", row.id)


async def schedule(
    org_id: int, name: str = "Primary", timezone: str = "UTC", tiers: int = 1
) -> str:
    row = await schedule_service.create_schedule(
        org_id=org_id,
        fields=schedule_service.ScheduleFields(name=name, timezone=timezone),
        tier_count=tiers,
    )
    return encode_id("Schedule", row.id)


def repeat(start: str = "2026-03-02", end: str = "2026-03-08") -> dict[str, Any]:
    return {"type": "REPEAT", "from": start, "to": end}


def item(contact_id: str, **fields: Any) -> dict[str, Any]:
    """A CreateSubstitutionInput: an org-wide UTC unavailability unless told otherwise."""
    base: dict[str, Any] = {"contactId": contact_id, "recurrence": repeat(), "timezone": "UTC"}
    base.update(fields)
    return base


async def create(
    api: Api, *items: dict[str, Any], token: str | None = None
) -> list[dict[str, Any]]:
    data = await api.ok(CREATE, {"inputs": list(items)}, token=token)
    created: list[dict[str, Any]] = data["createSubstitutions"]
    return created


async def create_one(api: Api, contact_id: str, **fields: Any) -> dict[str, Any]:
    return (await create(api, item(contact_id, **fields)))[0]


async def listed(api: Api, **variables: Any) -> dict[str, Any]:
    data = await api.ok(LIST, variables)
    page: dict[str, Any] = data["substitutions"]
    return page


async def occurrences(api: Api, sub_id: str, start: str, end: str) -> list[tuple[str, str]]:
    data = await api.ok(OCCURRENCES, {"id": sub_id, "from": start, "to": end})
    return [(o["start"], o["end"]) for o in data["substitution"]["occurrences"]]
