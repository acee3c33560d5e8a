"""The CALDAV adapter against a real Radicale server (tests/servers.py)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import icalendar
import pytest
import pytest_asyncio

from app import clock
from app.caldav import CalDavClient
from app.caldav.urls import resource_url
from app.destinations.adapters import adapter_for
from app.destinations.adapters.base import (
    ExportFailed,
    ExportRequest,
    ExportResult,
    Person,
    PreviousItem,
    Segment,
)
from app.destinations.adapters.caldav import CalDavAdapter, event_uid
from tests.servers import RadicaleServer, radicale_server

T0 = datetime(2030, 3, 4, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
ANN, BOB, CAROL = 1, 2, 3
PEOPLE = {
    ANN: Person(ANN, "Ann Lee", "ann@example.com", None),
    BOB: Person(BOB, "Bob Stone", None, None),
    CAROL: Person(CAROL, "Carol Diaz", "carol@example.com", None),
}


@pytest.fixture(scope="module")
def radicale() -> Iterator[RadicaleServer]:
    with radicale_server() as server:
        yield server


@pytest_asyncio.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest_asyncio.fixture
async def calendar_url(radicale: RadicaleServer, session: aiohttp.ClientSession) -> str:
    """A fresh calendar for each test, created through CalDAV (MKCALENDAR)."""
    client = CalDavClient(
        session, radicale.url, username=radicale.username, password=radicale.password
    )
    calendar = await client.mkcalendar(
        radicale.calendar_url(f"oncall-{uuid.uuid4().hex[:8]}"), display_name="On call"
    )
    return calendar.url


def seg(hours_from: int, hours_to: int, contact: int) -> Segment:
    return Segment(T0 + hours_from * H, T0 + hours_to * H, contact)


def request(
    radicale: RadicaleServer,
    url: str,
    segments: Sequence[Segment],
    *,
    previous: Sequence[PreviousItem] = (),
    password: str | None = None,
    start: datetime = T0,
    end: datetime = T0 + 72 * H,
    **extra: Any,
) -> ExportRequest:
    return ExportRequest(
        destination_id=11,
        schedule_name="Platform",
        config={"url": url, "username": radicale.username, "retryInitialSeconds": 0.01, **extra},
        secrets={"password": radicale.password if password is None else password},
        range_start=start,
        range_end=end,
        segments=list(segments),
        people=PEOPLE,
        idempotency_key="key",
        previous_items=list(previous),
    )


async def export(req: ExportRequest, session: aiohttp.ClientSession) -> ExportResult:
    clock.use(clock.FixedClock(T0 - 24 * H))
    return await CalDavAdapter().export(req, session)


async def read_back(
    radicale: RadicaleServer, session: aiohttp.ClientSession, url: str
) -> list[tuple[str, datetime, datetime, str]]:
    """(UID, DTSTART, DTEND, SUMMARY) of every event in the calendar, by REPORT, sorted."""
    client = CalDavClient(
        session, radicale.url, username=radicale.username, password=radicale.password
    )
    out = []
    for resource in await client.events(url, T0 - 1000 * H, T0 + 1000 * H):
        for event in icalendar.Calendar.from_ical(resource.ics).walk("VEVENT"):
            start, end = event.decoded("dtstart"), event.decoded("dtend")
            assert start.utcoffset() == timedelta(0) and end.utcoffset() == timedelta(0)
            assert str(event["dtstart"].to_ical()).endswith("Z'")  # written in UTC
            out.append((str(event["uid"]), start, end, str(event["summary"])))
    return sorted(out, key=lambda e: e[1])


async def test_export_creates_one_event_per_segment(
    radicale: RadicaleServer, session: aiohttp.ClientSession, calendar_url: str
) -> None:
    segments = [seg(0, 12, ANN), seg(12, 24, BOB), seg(24, 36, ANN)]
    result = await export(request(radicale, calendar_url, segments), session)

    events = await read_back(radicale, session, calendar_url)
    assert [(s, e) for _, s, e, _ in events] == [(s.start, s.end) for s in segments]
    assert [summary for *_, summary in events] == [
        "On call: Ann Lee (Platform)",
        "On call: Bob Stone (Platform)",
        "On call: Ann Lee (Platform)",
    ]
    assert [uid for uid, *_ in events] == [event_uid(11, s) for s in segments]
    assert result.removed == []
    assert [(i.start, i.end) for i in result.created] == [(s.start, s.end) for s in segments]
    path = calendar_url.removeprefix(radicale.url.rstrip("/"))
    assert [i.external_id for i in result.created] == [
        f"{path}{event_uid(11, s)}.ics" for s in segments
    ]


async def test_reexport_replaces_without_duplicates(
    radicale: RadicaleServer, session: aiohttp.ClientSession, calendar_url: str
) -> None:
    first = await export(
        request(radicale, calendar_url, [seg(0, 12, ANN), seg(12, 24, BOB), seg(24, 36, ANN)]),
        session,
    )
    by_start = {i.start: i for i in first.created}

    # Bob's shift is gone (Ann covers 0-24 merged), the last one ends later, Carol is new.
    second = await export(
        request(
            radicale,
            calendar_url,
            [seg(0, 24, ANN), seg(24, 40, ANN), seg(40, 48, CAROL)],
            previous=first.created,
        ),
        session,
    )
    events = await read_back(radicale, session, calendar_url)
    assert [(s, e) for _, s, e, _ in events] == [
        (T0, T0 + 24 * H),
        (T0 + 24 * H, T0 + 40 * H),
        (T0 + 40 * H, T0 + 48 * H),
    ]
    assert not any("Bob" in summary for *_, summary in events)
    # Re-written in place (same UID): reported removed and created, so the stored row is replaced.
    assert sorted(second.removed) == sorted(i.external_id for i in first.created)
    assert [(i.start, i.end) for i in second.created] == [(s, e) for _, s, e, _ in events]

    # The same export again changes nothing and reports nothing new.
    stored = [*second.created]
    third = await export(
        request(
            radicale,
            calendar_url,
            [seg(0, 24, ANN), seg(24, 40, ANN), seg(40, 48, CAROL)],
            previous=stored,
        ),
        session,
    )
    assert third.created == [] and third.removed == []
    assert len(await read_back(radicale, session, calendar_url)) == 3
    assert by_start[T0].external_id in {i.external_id for i in stored}


async def test_a_crashed_export_leaves_nothing_behind(
    radicale: RadicaleServer, session: aiohttp.ClientSession, calendar_url: str
) -> None:
    """Events written by an export that was never recorded are found by their UID and
    replaced; other people's events in the calendar are left alone."""
    client = CalDavClient(
        session, radicale.url, username=radicale.username, password=radicale.password
    )
    foreign = icalendar.Calendar()
    foreign.add("prodid", "-//someone//EN")
    foreign.add("version", "2.0")
    meeting = icalendar.Event()
    meeting.add("uid", "team-meeting-1")
    meeting.add("dtstamp", T0)
    meeting.add("dtstart", T0 + 2 * H)
    meeting.add("dtend", T0 + 3 * H)
    meeting.add("summary", "Team meeting")
    foreign.add_component(meeting)
    await client.put(
        resource_url(calendar_url, "team-meeting-1.ics"), foreign.to_ical(), create_only=True
    )

    await export(
        request(radicale, calendar_url, [seg(0, 12, ANN), seg(12, 24, BOB)]), session
    )  # lost
    result = await export(
        request(radicale, calendar_url, [seg(0, 12, ANN), seg(12, 24, CAROL)]), session
    )

    events = await read_back(radicale, session, calendar_url)
    assert [(uid, s, e) for uid, s, e, _ in events] == [
        (event_uid(11, seg(0, 12, ANN)), T0, T0 + 12 * H),
        ("team-meeting-1", T0 + 2 * H, T0 + 3 * H),
        (event_uid(11, seg(12, 24, CAROL)), T0 + 12 * H, T0 + 24 * H),
    ]
    assert len(result.created) == 2


async def test_bad_password_fails_with_a_clear_message(
    radicale: RadicaleServer, session: aiohttp.ClientSession, calendar_url: str
) -> None:
    with pytest.raises(ExportFailed) as failed:
        await export(
            request(radicale, calendar_url, [seg(0, 12, ANN)], password="wrong-password-123"),
            session,
        )
    message = str(failed.value)
    assert message.startswith("CalDAV:") and "refused the user name or password" in message
    assert "wrong-password-123" not in message and radicale.password not in message
    assert await read_back(radicale, session, calendar_url) == []


async def test_a_url_that_is_not_a_calendar_fails(
    radicale: RadicaleServer, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(ExportFailed, match="is not a CalDAV calendar"):
        await export(request(radicale, radicale.home_url, [seg(0, 12, ANN)]), session)
    with pytest.raises(ExportFailed, match="was not found"):
        await export(
            request(radicale, radicale.calendar_url("missing"), [seg(0, 12, ANN)]), session
        )


async def test_events_show_free_unless_configured_busy(
    radicale: RadicaleServer, session: aiohttp.ClientSession, calendar_url: str
) -> None:
    client = CalDavClient(
        session, radicale.url, username=radicale.username, password=radicale.password
    )
    await export(request(radicale, calendar_url, [seg(0, 12, ANN)]), session)
    await export(
        request(radicale, calendar_url, [seg(12, 24, BOB)], start=T0 + 12 * H, busy=True), session
    )
    transp = {}
    for resource in await client.events(calendar_url, T0, T0 + 24 * H):
        for event in icalendar.Calendar.from_ical(resource.ics).walk("VEVENT"):
            transp[event.decoded("dtstart")] = str(event["transp"])
    assert transp == {T0: "TRANSPARENT", T0 + 12 * H: "OPAQUE"}


def test_check_config() -> None:
    adapter = adapter_for("CALDAV")
    assert adapter.kind == "CALDAV"
    good = {"url": "https://cal.example.com/dav/ann/oncall/", "username": "ann"}
    assert adapter.check_config(good, {"password": "pw"}) == []
    assert (
        adapter.check_config(
            {**good, "timeoutSeconds": 5, "maxAttempts": 2, "busy": True}, {"password": "pw"}
        )
        == []
    )
    fields = [
        f
        for f, _ in adapter.check_config(
            {
                "url": "https://ann:pw@cal.example.com/",
                "username": "a:b",
                "timeoutSeconds": -1,
                "busy": "yes",
            },
            {},
        )
    ]
    assert fields == [
        "config.url",
        "config.username",
        "config.timeoutSeconds",
        "config.busy",
        "secrets.password",
    ]
    assert [
        f for f, _ in adapter.check_config({"url": "ftp://x", "maxAttempts": 0}, {"password": "x"})
    ] == [
        "config.url",
        "config.username",
        "config.maxAttempts",
    ]
