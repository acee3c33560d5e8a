"""CALDAV connections against a real Radicale server (tests/servers.py); calendars and events
are created through CalDAV (MKCALENDAR, PUT)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import aiohttp
import pytest

from app.api.relay import split_id
from app.caldav import CalDavClient
from app.caldav.urls import resource_url
from app.calendars import importer
from app.calendars import models as calendar_models
from tests.calendars.ics_server import vcalendar
from tests.calendars.queries import CONNECT, SET_IMPORTS, connect, contact_view, import_now
from tests.servers import RadicaleServer, radicale_server
from tests.support import Api, table_counts
from tests.timelines.factories import contacts

VACATION = """UID:vacation
DTSTART;VALUE=DATE:20260316
DTEND;VALUE=DATE:20260318
SUMMARY:Vacation"""
WEEKLY_OFF = """UID:fridays
DTSTART;VALUE=DATE:20260306
DTEND;VALUE=DATE:20260307
RRULE:FREQ=WEEKLY;COUNT=4
EXDATE;VALUE=DATE:20260313
SUMMARY:Fridays off"""
WEEKLY_MOVED = """UID:fridays
RECURRENCE-ID;VALUE=DATE:20260320
DTSTART;VALUE=DATE:20260319
DTEND;VALUE=DATE:20260320
SUMMARY:Thursday instead"""
MEETING = """UID:standup
DTSTART:20260310T090000Z
DTEND:20260310T093000Z
SUMMARY:Standup"""


@pytest.fixture(scope="module")
def radicale() -> Iterator[RadicaleServer]:
    with radicale_server() as server:
        yield server


async def account(radicale: RadicaleServer) -> tuple[str, str, dict[str, str]]:
    """A fresh Radicale user with three calendars made through CalDAV; returns the user,
    password and calendar URLs by name."""
    user, password = f"u{uuid.uuid4().hex[:8]}", "pw-" + uuid.uuid4().hex
    radicale.add_user(user, password)
    async with aiohttp.ClientSession() as session:
        client = CalDavClient(session, radicale.url, username=user, password=password)
        urls = {}
        for name, components in (
            ("Holidays", ["VEVENT"]),
            ("Work", ["VEVENT"]),
            ("Tasks", ["VTODO"]),
        ):
            calendar = await client.mkcalendar(
                radicale.calendar_url(name.lower(), user=user),
                display_name=name,
                components=components,
            )
            urls[name] = calendar.url
        await client.put(
            resource_url(urls["Holidays"], "vacation.ics"), vcalendar(VACATION, name=None)
        )
        await client.put(
            resource_url(urls["Holidays"], "fridays.ics"),
            vcalendar(WEEKLY_OFF, WEEKLY_MOVED, name=None),
        )
        await client.put(resource_url(urls["Work"], "standup.ics"), vcalendar(MEETING, name=None))
    return user, password, urls


async def put(radicale: RadicaleServer, user: str, password: str, url: str, body: str) -> None:
    async with aiohttp.ClientSession() as session:
        client = CalDavClient(session, radicale.url, username=user, password=password)
        await client.put(url, body)


async def test_caldav_connect_import_and_reconnect(capi: Api, radicale: RadicaleServer) -> None:
    user, password, urls = await account(radicale)
    (ann,) = await contacts(capi, "Ann")

    # Wrong password: refused, nothing saved, the password never echoed.
    before = await table_counts()
    error = await capi.error(
        CONNECT,
        {
            "c": ann,
            "p": "CALDAV",
            "s": {"url": radicale.url, "username": user, "password": "nope-123"},
        },
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == ["settings.password"]
    assert "refused" in error["message"] and "nope-123" not in json.dumps(error)
    error = await capi.error(
        CONNECT, {"c": ann, "p": "CALDAV", "s": {"url": radicale.url, "username": user}}
    )
    assert error["extensions"]["fields"] == ["settings.password"]  # nothing to reuse yet
    assert await table_counts() == before

    connection = await connect(
        capi, ann, "CALDAV", url=radicale.url, username=user, password=password
    )
    port = radicale.url.rstrip("/").rsplit(":", 1)[1]
    assert connection["account"] == f"{user} @ 127.0.0.1:{port}"
    assert [c["name"] for c in connection["calendars"]] == ["Holidays", "Work"]  # no VTODO list
    assert all(not c["importEnabled"] and c["status"] == "PENDING" for c in connection["calendars"])
    assert password not in json.dumps(connection)

    # Reconnecting the same account without the password reuses the stored one.
    again = await connect(capi, ann, "CALDAV", url=radicale.url, username=user)
    assert again["id"] == connection["id"]
    assert [c["id"] for c in again["calendars"]] == [c["id"] for c in connection["calendars"]]
    # The same user name at another address: the stored password stays with its address
    # (issue 12, finding 4), so it must be given again and nothing is sent or saved.
    before = await table_counts()
    elsewhere = radicale.url.replace("127.0.0.1", "localhost")
    error = await capi.error(
        CONNECT, {"c": ann, "p": "CALDAV", "s": {"url": elsewhere, "username": user}}
    )
    assert error["extensions"]["fields"] == ["settings.password"]
    assert await table_counts() == before

    holidays, work = connection["calendars"]
    await capi.ok(
        SET_IMPORTS,
        {
            "id": connection["id"],
            "i": [
                {"calendarId": holidays["id"], "enabled": True},
                {"calendarId": work["id"], "enabled": True},
            ],
        },
    )
    await importer.drain()
    view = await contact_view(capi, ann)
    cals = {c["name"]: c for c in view["calendarConnections"][0]["calendars"]}
    assert cals["Holidays"]["status"] == "OK" and cals["Work"]["status"] == "OK"
    assert cals["Work"]["blockCount"] == 0  # a 30-minute standup is not time off
    got = [(a["start"][5:16], a["end"][5:16]) for a in view["availability"]]
    assert got == [
        ("03-06T00:00", "03-07T00:00"),  # Friday off; 03-13 excluded by EXDATE
        ("03-16T00:00", "03-18T00:00"),  # vacation
        ("03-19T00:00", "03-20T00:00"),  # 03-20 moved to Thursday by its override
        ("03-27T00:00", "03-28T00:00"),
    ]

    # Importing again (unchanged ctags) stays OK; a new event changes the ctag and is read.
    result = await import_now(capi, connection["id"])
    assert {c["status"] for c in result["calendars"]} == {"OK"}
    await put(
        radicale,
        user,
        password,
        resource_url(urls["Work"], "offsite.ics"),
        vcalendar("UID:offsite\nDTSTART:20260324T080000Z\nDTEND:20260324T170000Z", name=None),
    )
    result = await import_now(capi, connection["id"])
    assert {c["name"]: c["blockCount"] for c in result["calendars"]} == {"Holidays": 4, "Work": 1}

    # Credentials refused later (say the password changed): ERROR, the blocks stay.
    row = await calendar_models.CalendarConnection.get(id=split_id(connection["id"])[1])
    row.settings = {**row.settings, "password": "changed-elsewhere"}
    await row.save()
    await calendar_models.ConnectedCalendar.filter(connection_id=row.id).update(etag=None)
    result = await import_now(capi, connection["id"])
    for calendar in result["calendars"]:
        assert calendar["status"] == "ERROR" and "refused" in calendar["lastError"]
        assert "changed-elsewhere" not in calendar["lastError"]
    assert {c["name"]: c["blockCount"] for c in result["calendars"]} == {"Holidays": 4, "Work": 1}
    assert len((await contact_view(capi, ann))["availability"]) == 5


async def test_caldav_url_of_one_calendar_and_not_a_calendar(
    capi: Api, radicale: RadicaleServer
) -> None:
    user, password, urls = await account(radicale)
    (ann,) = await contacts(capi, "Ann")
    connection = await connect(
        capi, ann, "CALDAV", url=urls["Holidays"], username=user, password=password
    )
    assert [c["name"] for c in connection["calendars"]] == ["Holidays"]
    error = await capi.error(
        CONNECT,
        {
            "c": ann,
            "p": "CALDAV",
            "s": {"url": radicale.url + "nobody-here/", "username": user, "password": password},
        },
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
