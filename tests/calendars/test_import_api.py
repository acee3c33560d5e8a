"""Calendar connections through the whole app, against a real local ICS server."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from app.calendars import importer
from app.calendars import models as calendar_models
from tests.calendars.ics_server import IcsServer, vcalendar
from tests.calendars.queries import (
    CONNECT,
    DISCONNECT,
    connect,
    contact_view,
    enable,
    import_now,
)
from tests.support import Api, prepare_database, running_app, table_counts
from tests.timelines.factories import contacts

SECRET_PATH = "/calendar/ical/ann%40example.com/private-0123456789abcdef/basic.ics"
VACATION = """UID:vacation
DTSTART;VALUE=DATE:20260305
DTEND;VALUE=DATE:20260307
SUMMARY:Vacation in Lisbon"""
OFFSITE = """UID:offsite
DTSTART:20260310T090000Z
DTEND:20260310T170000Z
SUMMARY:Offsite"""
MEETING = """UID:meeting
DTSTART:20260311T100000Z
DTEND:20260311T110000Z
SUMMARY:1:1"""


async def test_connect_refuses_unusable_sources_and_saves_nothing(
    capi: Api, server: IcsServer
) -> None:
    (ann,) = await contacts(capi, "Ann")
    server.fail("/down.ics", 503)
    server.fail("/locked.ics", 401)
    server.serve("/page.html", "<html><body>Sign in</body></html>")
    cases = {
        "http://127.0.0.1:9/cal.ics": "could not be reached",
        server.url("/down.ics"): "HTTP 503",
        server.url("/missing.ics"): "no calendar at this address",
        server.url("/locked.ics"): "refused the credentials",
        server.url("/page.html"): "not a calendar",
        "ftp://example.com/cal.ics": "http:// or https://",
    }
    before = await table_counts()
    for url, message in cases.items():
        error = await capi.error(CONNECT, {"c": ann, "p": "ICS_URL", "s": {"url": url}})
        assert error["extensions"]["code"] == "BAD_USER_INPUT", url
        assert error["extensions"]["fields"] == ["settings.url"], url
        assert message in error["message"], (url, error["message"])
    error = await capi.error(
        CONNECT,
        {"c": ann, "p": "ICS_URL", "s": {"url": server.url("/x.ics"), "password": "pw"}},
    )
    assert error["extensions"]["fields"] == ["settings.username"]
    assert await table_counts() == before


async def test_import_status_and_failures_keep_blocks(capi: Api, server: IcsServer) -> None:
    (ann,) = await contacts(capi, "Ann", timezone="Europe/Lisbon")
    server.serve(SECRET_PATH, vcalendar(VACATION, OFFSITE, MEETING))
    url = server.url(SECRET_PATH)

    connection = await connect(capi, ann, "ICS_URL", url=url)
    assert connection["provider"] == "ICS_URL" and connection["account"] == "127.0.0.1"
    (calendar,) = connection["calendars"]
    assert calendar["name"] == "Ann's calendar"
    assert calendar["importEnabled"] is False and calendar["filter"] == "LONG_OR_ALL_DAY"
    assert calendar["status"] == "PENDING" and calendar["blockCount"] == 0
    assert "private-0123" not in json.dumps(connection)

    # Reconnecting the same address keeps the connection (and its choices).
    again = await connect(capi, ann, "ICS_URL", url=url + "#again")
    assert again["id"] == connection["id"] and again["calendars"][0]["id"] == calendar["id"]

    saved = await enable(capi, connection)
    assert saved["calendars"][0]["importEnabled"] is True
    await importer.drain()
    view = await contact_view(capi, ann)
    (cal,) = view["calendarConnections"][0]["calendars"]
    assert cal["status"] == "OK" and cal["lastError"] is None
    assert cal["blockCount"] == 2  # the vacation and the 8-hour offsite; not the meeting
    assert cal["lastImportedAt"].startswith("2026-03-02T12:00")
    # Lisbon is on UTC in March: whole local days.
    got = [(a["start"][:16], a["end"][:16], a["sources"]) for a in view["availability"]]
    assert got == [
        ("2026-03-05T00:00", "2026-03-07T00:00", ["CALENDAR"]),
        ("2026-03-10T09:00", "2026-03-10T17:00", ["CALENDAR"]),
    ]

    # Unchanged source: 304, blocks kept, the import still counts as a success.
    capi.clock.advance(timedelta(minutes=20))
    result = await import_now(capi, connection["id"])
    assert server.statuses(SECRET_PATH)[-1] == 304
    assert result["calendars"][0]["status"] == "OK"
    assert result["calendars"][0]["lastImportedAt"].startswith("2026-03-02T12:20")
    assert result["calendars"][0]["blockCount"] == 2

    # A failing source: ERROR with a message, the previous blocks stay.
    for answer, message in (
        (lambda: server.fail(SECRET_PATH, 500), "HTTP 500"),
        (
            lambda: server.serve(SECRET_PATH, "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR"),
            "could not be read",
        ),
        (lambda: server.fail(SECRET_PATH, 403), "refused"),
    ):
        answer()
        result = await import_now(capi, connection["id"])
        failed = result["calendars"][0]
        assert failed["status"] == "ERROR" and message in failed["lastError"], failed
        assert "private-0123" not in failed["lastError"]
        assert failed["blockCount"] == 2
        assert len((await contact_view(capi, ann))["availability"]) == 2

    # The next good import replaces the blocks.
    server.serve(SECRET_PATH, vcalendar(OFFSITE))
    result = await import_now(capi, connection["id"])
    assert result["calendars"][0]["status"] == "OK" and result["calendars"][0]["blockCount"] == 1
    assert len((await contact_view(capi, ann))["availability"]) == 1

    # Turning it off removes its busy time; disconnecting removes everything.
    await capi.ok(
        "mutation($id: ID!, $i: [CalendarImportInput!]!) { setCalendarImports(connectionId: $id, imports: $i) { id } }",
        {"id": connection["id"], "i": [{"calendarId": calendar["id"], "enabled": False}]},
    )
    assert (await contact_view(capi, ann))["availability"] == []
    await enable(capi, connection, filter="ALL_BUSY")
    await importer.drain()
    assert len((await contact_view(capi, ann))["availability"]) == 1
    data = await capi.ok(DISCONNECT, {"id": connection["id"]})
    assert data["disconnectCalendar"]["deletedId"] == connection["id"]
    view = await contact_view(capi, ann)
    assert view["calendarConnections"] == [] and view["availability"] == []
    assert await calendar_models.AvailabilityBlock.all().count() == 0


async def test_filter_choice_and_periodic_import(capi: Api, server: IcsServer) -> None:
    (ann,) = await contacts(capi, "Ann")
    server.serve("/a.ics", vcalendar(VACATION, OFFSITE, MEETING))
    connection = await connect(capi, ann, "ICS_URL", url=server.url("/a.ics"))
    await enable(capi, connection, filter="ALL_BUSY")
    await importer.drain()
    view = await contact_view(capi, ann)
    assert view["calendarConnections"][0]["calendars"][0]["filter"] == "ALL_BUSY"
    assert len(view["availability"]) == 3  # the 1-hour meeting counts now

    # The periodic job imports calendars not tried for an interval.
    settings = capi.client._transport.app.state.settings  # type: ignore[attr-defined]
    assert await importer.import_due(settings) == 0  # tried just now
    server.serve("/a.ics", vcalendar(VACATION))
    capi.clock.advance(timedelta(seconds=settings.calendar_import_interval_seconds))
    assert await importer.import_due(settings) == 1
    assert len((await contact_view(capi, ann))["availability"]) == 1


async def test_private_addresses_are_refused_by_default(
    backend: str, tmp_path: Path, server: IcsServer
) -> None:
    url = await prepare_database(backend, tmp_path)
    async with running_app(url, backend, allow_private_addresses=False) as api:
        (ann,) = await contacts(api, "Ann")
        server.serve("/a.ics", vcalendar(VACATION))
        variables = {"c": ann, "p": "ICS_URL", "s": {"url": server.url("/a.ics")}}
        error = await api.error(CONNECT, variables)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "not a public address" in error["message"]
        assert server.requests == []


async def test_roles_and_foreign_ids(capi: Api, server: IcsServer) -> None:
    (ann,) = await contacts(capi, "Ann")
    server.serve("/a.ics", vcalendar(VACATION))
    variables = {"c": ann, "p": "ICS_URL", "s": {"url": server.url("/a.ics")}}
    error = await capi.error(CONNECT, variables, token=capi.tokens["VIEWER"])
    assert error["extensions"]["code"] == "FORBIDDEN"
    error = await capi.error(CONNECT, {**variables, "c": "Q29udGFjdDo5OTk"})
    assert error["extensions"]["code"] == "NOT_FOUND"
    connection = await connect(capi, ann, "ICS_URL", url=server.url("/a.ics"))
    node = await capi.ok(
        "query($id: ID!) { node(id: $id) { id ... on CalendarConnection { account } } }",
        {"id": connection["id"]},
    )
    assert node["node"]["account"] == "127.0.0.1"
