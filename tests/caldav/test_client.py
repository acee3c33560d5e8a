"""The async CalDAV client against a real Radicale server (tests/servers.py)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import aiohttp
import icalendar
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer

from app.caldav import (
    AccessDenied,
    AlreadyExists,
    CalDavClient,
    NotACalendar,
    NotFound,
    PreconditionFailed,
    ProtocolError,
    Unavailable,
)
from app.caldav.urls import is_inside, resource_url, safe_url
from app.caldav.webdav import parse_multistatus
from app.outbound import RetryPolicy
from tests.servers import RadicaleServer, free_port, radicale_server

T0 = datetime(2030, 5, 6, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)
FAST = RetryPolicy(attempts=2, initial=0.01, jitter=0.01)


@pytest.fixture(scope="module")
def radicale() -> Iterator[RadicaleServer]:
    with radicale_server(users={"other": "other-password"}) as server:
        yield server


@pytest_asyncio.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest_asyncio.fixture
async def client(radicale: RadicaleServer, session: aiohttp.ClientSession) -> CalDavClient:
    return CalDavClient(
        session, radicale.url, username=radicale.username, password=radicale.password, policy=FAST
    )


def name() -> str:
    return f"cal-{uuid.uuid4().hex[:8]}"


def event(uid: str, start: datetime, end: datetime, summary: str = "Busy") -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//tests//EN")
    calendar.add("version", "2.0")
    vevent = icalendar.Event()
    vevent.add("uid", uid)
    vevent.add("dtstamp", T0)
    vevent.add("dtstart", start)
    vevent.add("dtend", end)
    vevent.add("summary", summary)
    calendar.add_component(vevent)
    return calendar.to_ical()


async def test_discovery_lists_calendars_with_their_names(
    radicale: RadicaleServer, client: CalDavClient
) -> None:
    work = await client.mkcalendar(radicale.calendar_url(name()), display_name="Work & on-call")
    tasks = await client.mkcalendar(
        radicale.calendar_url(name()), display_name="Tasks", components=["VTODO"]
    )

    assert await client.principal() == radicale.home_url
    assert await client.calendar_homes() == [radicale.home_url]
    found = {c.url: c for c in await client.discover()}
    assert found[work.url].display_name == "Work & on-call"
    assert found[work.url].components == ("VEVENT",) and found[work.url].supports("VEVENT")
    assert found[work.url].ctag and found[work.url].sync_token
    assert found[tasks.url].display_name == "Tasks" and not found[tasks.url].supports("VEVENT")

    # Discovery also starts from a calendar URL, and a calendar's own properties are readable.
    from_calendar = CalDavClient(
        client.session, work.url, username=radicale.username, password=radicale.password
    )
    assert work.url in {c.url for c in await from_calendar.discover()}
    assert (await client.calendar(work.url.rstrip("/"))).display_name == "Work & on-call"


async def test_put_report_get_delete_with_etags(
    radicale: RadicaleServer, client: CalDavClient
) -> None:
    calendar = await client.mkcalendar(radicale.calendar_url(name()))
    url = resource_url(calendar.url, "shift 1@rotagraph.ics")  # escaped in the URL
    assert "%20" in url

    await client.put(url, event("shift-1", T0, T0 + 8 * H), create_only=True)
    with pytest.raises(PreconditionFailed):
        await client.put(url, event("shift-1", T0, T0 + 8 * H), create_only=True)
    await client.put(
        resource_url(calendar.url, "later.ics"), event("later", T0 + 48 * H, T0 + 49 * H)
    )

    (found,) = await client.events(calendar.url, T0 - H, T0 + 24 * H)
    assert unquote(found.url) == unquote(url) and found.etag
    parsed = icalendar.Calendar.from_ical(found.ics)
    (vevent,) = parsed.walk("VEVENT")
    assert vevent.decoded("dtstart") == T0 and vevent.decoded("dtend") == T0 + 8 * H
    assert await client.events(calendar.url, T0 + 9 * H, T0 + 24 * H) == []
    assert len(await client.events(calendar.url, T0, T0 + 100 * H)) == 2
    assert [r.url for r in await client.multiget(calendar.url, [found.href])] == [found.url]

    # Updates are conditional on the ETag when asked.
    with pytest.raises(PreconditionFailed):
        await client.put(url, event("shift-1", T0, T0 + 9 * H), etag='"not-the-etag"')
    new_etag = await client.put(url, event("shift-1", T0, T0 + 9 * H), etag=found.etag)
    fetched = await client.get(url)
    assert fetched.etag == new_etag and "DTEND:20300506T170000Z" in fetched.ics

    with pytest.raises(PreconditionFailed):
        await client.delete(url, etag=found.etag)  # stale
    assert await client.delete(url, etag=fetched.etag) is True
    assert await client.delete(url, missing_ok=True) is False
    with pytest.raises(NotFound):
        await client.delete(url)
    with pytest.raises(NotFound):
        await client.get(url)


async def test_errors_are_specific_and_carry_no_password(
    radicale: RadicaleServer, session: aiohttp.ClientSession, client: CalDavClient
) -> None:
    bad = CalDavClient(session, radicale.url, username=radicale.username, password="not-it-42")
    with pytest.raises(AccessDenied) as refused:
        await bad.discover()
    assert refused.value.status == 401 and "not-it-42" not in str(refused.value)

    other = CalDavClient(session, radicale.url, username="other", password="other-password")
    theirs = await other.mkcalendar(radicale.calendar_url(name(), user="other"))
    with pytest.raises(AccessDenied) as forbidden:
        await client.calendar(theirs.url)
    assert forbidden.value.status == 403

    with pytest.raises(NotFound):
        await client.calendar(radicale.calendar_url("does-not-exist"))
    with pytest.raises(NotACalendar):
        await client.calendar(radicale.home_url)
    calendar = await client.mkcalendar(radicale.calendar_url(name()))
    with pytest.raises(AlreadyExists, match="already exists"):
        await client.mkcalendar(calendar.url)

    nowhere = CalDavClient(
        session,
        f"http://127.0.0.1:{free_port()}/",
        username="u",
        password="p",
        policy=FAST,
        timeout=2,
    )
    with pytest.raises(Unavailable):
        await nowhere.discover()


async def test_a_web_server_that_is_not_caldav(session: aiohttp.ClientSession) -> None:
    async def page(request: web.Request) -> web.Response:
        if request.method == "PROPFIND":
            return web.Response(status=405)
        return web.Response(text="<html>hello</html>", content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", page)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        url = str(server.make_url("/calendar/"))
        client = CalDavClient(session, url, username="u", password="p", policy=FAST)
        with pytest.raises(NotACalendar, match="does not look like a CalDAV server"):
            await client.discover()
        with pytest.raises(NotACalendar):
            await client.calendar(url)
    finally:
        await server.close()


def test_helpers() -> None:
    assert (
        safe_url("https://ann:pw@cal.example.com:8443/dav/") == "https://cal.example.com:8443/dav/"
    )
    assert is_inside("http://h/u/cal", "http://h/u/cal/x.ics")
    assert not is_inside("http://h/u/cal/", "http://h/u/cal/")
    assert not is_inside("http://h/u/cal/", "http://h/u/calendar2/x.ics")
    assert not is_inside("http://h/u/cal/", "http://evil/u/cal/x.ics")
    with pytest.raises(ProtocolError, match="malformed XML"):
        parse_multistatus(b"<multistatus", "http://h/")
    with pytest.raises(ProtocolError, match="multistatus"):
        parse_multistatus(b"<html/>", "http://h/")
    (only,) = parse_multistatus(
        b'<d:multistatus xmlns:d="DAV:"><d:response><d:href>/a%20b/</d:href>'
        b"<d:propstat><d:prop><d:displayname>A</d:displayname></d:prop>"
        b"<d:status>HTTP/1.1 200 OK</d:status></d:propstat>"
        b"<d:propstat><d:prop><d:getetag/></d:prop><d:status>HTTP/1.1 404 Not Found</d:status>"
        b"</d:propstat></d:response></d:multistatus>",
        "http://h/x/",
    )
    assert only.url == "http://h/a%20b/" and set(only.props) == {"{DAV:}displayname"}
