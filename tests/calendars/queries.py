"""GraphQL documents and small helpers shared by the calendar API tests."""

from __future__ import annotations

from typing import Any

from tests.support import Api

CALENDAR_FIELDS = "id name importEnabled filter status blockCount lastError lastImportedAt"
CONNECTION_FIELDS = f"id provider account contact {{ name }} calendars {{ {CALENDAR_FIELDS} }}"

CONNECT = f"""mutation($c: ID!, $p: CalendarProvider!, $s: CalendarSourceInput!) {{
  connectCalendar(contactId: $c, provider: $p, settings: $s) {{ {CONNECTION_FIELDS} }} }}"""
SET_IMPORTS = f"""mutation($id: ID!, $i: [CalendarImportInput!]!) {{
  setCalendarImports(connectionId: $id, imports: $i) {{ {CONNECTION_FIELDS} }} }}"""
IMPORT_NOW = f"""mutation($id: ID!) {{
  importCalendarsNow(connectionId: $id, wait: true) {{ {CONNECTION_FIELDS} }} }}"""
DISCONNECT = "mutation($id: ID!) { disconnectCalendar(connectionId: $id) { deletedId } }"
CONTACT = f"""query($c: ID!, $from: DateTime!, $to: DateTime!) {{ node(id: $c) {{ ... on Contact {{
  calendarConnections {{ {CONNECTION_FIELDS} }}
  availability(from: $from, to: $to) {{ start end sources }} }} }} }}"""


async def connect(api: Api, contact: str, provider: str, **settings: Any) -> dict[str, Any]:
    data = await api.ok(CONNECT, {"c": contact, "p": provider, "s": settings})
    result: dict[str, Any] = data["connectCalendar"]
    return result


async def enable(
    api: Api, connection: dict[str, Any], *, filter: str | None = None, index: int = 0
) -> dict[str, Any]:
    item: dict[str, Any] = {"calendarId": connection["calendars"][index]["id"], "enabled": True}
    if filter:
        item["filter"] = filter
    data = await api.ok(SET_IMPORTS, {"id": connection["id"], "i": [item]})
    result: dict[str, Any] = data["setCalendarImports"]
    return result


async def import_now(api: Api, connection_id: str) -> dict[str, Any]:
    data = await api.ok(IMPORT_NOW, {"id": connection_id})
    result: dict[str, Any] = data["importCalendarsNow"]
    return result


async def contact_view(
    api: Api, contact: str, start: str = "2026-03-01T00:00:00Z", end: str = "2026-04-01T00:00:00Z"
) -> dict[str, Any]:
    data = await api.ok(CONTACT, {"c": contact, "from": start, "to": end})
    result: dict[str, Any] = data["node"]
    return result
