"""Calendar feeds read by the parsers calendar apps use: every event lands on its shift.

ical.js (Thunderbird, Nextcloud, many web calendars) runs under Node; ``icalendar`` with
``recurring-ical-events`` and the ``ical`` package run here. Feeds of a schedule, a tier and a
contact in New York, London, Sydney and Lord Howe span the DST changes of March and April
2026; each parser's events, as UTC instants, must equal the tier's shifts (Tier.shifts).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import icalendar
import pytest
import recurring_ical_events
from ical.calendar_stream import IcsCalendarStream

from app.calendars import models as calendar_models
from app.contacts import models as contact_models
from tests.clients.conftest import Matrix, run_node
from tests.support import NOW, Api
from tests.timelines.factories import contacts, schedule, set_layers, weekly

CONFIRM = "mutation($s: ID!) { confirmAssignments(scheduleId: $s) { tier { id } } }"
FEED = "mutation($i: CreateCalendarFeedInput!) { createCalendarFeed(input: $i) { url } }"
SHIFTS = """query($t: ID!, $from: DateTime!, $to: DateTime!) { node(id: $t) { ... on Tier {
  shifts(from: $from, to: $to) { start end assignees { id name } } } } }"""
HORIZON = "query($t: ID!) { node(id: $t) { ... on Tier { confirmedUntil } } }"
ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "Australia/Lord_Howe"]
HORIZON_DAYS = 40  # from 2026-03-02: past New York's and London's spring-forward, and
# Sydney's and Lord Howe's fall-back (2026-04-05; Lord Howe moves by 30 minutes)

Span = tuple[str, str, str]  # start, end (UTC ISO), summary


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def by_icaljs(found: list[dict[str, Any]]) -> list[Span]:
    return sorted(
        (e["start"].replace(".000Z", "Z"), e["end"].replace(".000Z", "Z"), e["summary"])
        for e in found
        if e["status"] == "CONFIRMED"
    )


def by_icalendar(body: bytes) -> list[Span]:
    calendar = icalendar.Calendar.from_ical(body)
    found = recurring_ical_events.of(calendar).between(
        NOW - timedelta(days=30), NOW + timedelta(days=HORIZON_DAYS + 5)
    )
    return sorted(
        (_iso(e["DTSTART"].dt), _iso(e["DTEND"].dt), str(e["SUMMARY"]))
        for e in found
        if str(e["STATUS"]) == "CONFIRMED"
    )


def by_ical(body: bytes) -> list[Span]:
    calendar = IcsCalendarStream.calendar_from_ics(body.decode())
    return sorted(
        (_iso(e.dtstart), _iso(e.dtend), str(e.summary))
        for e in calendar.events
        if str(e.status) in {"CONFIRMED", "EventStatus.CONFIRMED"}
    )


async def _feed(api: Api, **scope: str) -> bytes:
    url = (await api.ok(FEED, {"i": scope}))["createCalendarFeed"]["url"]
    response = await api.client.get(urlsplit(url).path)
    assert response.status_code == 200, response.text
    return response.content


async def _expected(api: Api, tier: str, schedule_name: str, only: str | None) -> list[Span]:
    until = (await api.ok(HORIZON, {"t": tier}))["node"]["confirmedUntil"]
    window = {"t": tier, "from": _iso(NOW - timedelta(days=15)), "to": until}
    shifts = (await api.ok(SHIFTS, window))["node"]["shifts"]
    spans = []
    for shift in shifts:
        (person,) = shift["assignees"]
        if datetime.fromisoformat(shift["end"]) <= NOW or only not in (None, person["name"]):
            continue
        where = f"{schedule_name}, tier 1"
        summary = f"On call: {where}" if only else f"{person['name']} on call: {where}"
        spans.append(
            (
                _iso(datetime.fromisoformat(shift["start"])),
                _iso(datetime.fromisoformat(shift["end"])),
                summary,
            )
        )
    return sorted(spans)


@pytest.mark.parametrize("zone", ZONES)
async def test_feeds_across_dst_read_alike_by_icaljs_icalendar_and_ical(
    api: Api, matrix: Matrix, zone: str
) -> None:
    city = zone.split("/")[1].replace("_", " ")
    ann, bob = await contacts(api, f"Ann {city}", f"Bob {city}", timezone=zone)
    s = await schedule(api, f"Ops {city}", timezone=zone, horizon=HORIZON_DAYS)
    tier = s["tiers"][0]["id"]
    await set_layers(
        api, tier, [weekly("Daily", "2026-02-20T09:00", [ann, bob], unit="DAY", timezone=zone)]
    )
    await api.ok(CONFIRM, {"s": s["id"]})
    feeds = {
        "schedule feed": (await _feed(api, scheduleId=s["id"]), None),
        "tier feed": (await _feed(api, tierId=tier), None),
        "contact feed": (await _feed(api, contactId=ann), f"Ann {city}"),
    }
    for kind, (body, only) in feeds.items():
        expected = await _expected(api, tier, f"Ops {city}", only)
        # The running shift shows from its own start (09:00 local on 03-01 or 03-02), never
        # from the instant confirmation began (12:00Z).
        assert expected[0][0] != _iso(NOW)
        assert len(expected) >= HORIZON_DAYS // (1 if only is None else 2) - 1
        with matrix.case("ical.js", f"{kind} across DST (4 zones)"):
            assert by_icaljs(await run_node("ical_events.mjs", stdin=body)) == expected
        with matrix.case("icalendar + recurring-ical-events", f"{kind} across DST (4 zones)"):
            assert by_icalendar(body) == expected
        with matrix.case("ical (PyPI)", f"{kind} across DST (4 zones)"):
            assert by_ical(body) == expected


async def test_names_with_control_characters_are_refused_and_stored_ones_escaped(
    api: Api, matrix: Matrix
) -> None:
    created = await api.post(
        'mutation { createContact(input: {name: "Ann\\nEvil", timezone: "UTC"}) { id } }'
    )
    error = created["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == ["input.name"]
    assert await contact_models.Contact.all().count() == 0
    for bad in ["Ops\r\nX", "Ops\tX", "Ops\x00X", "Ops\u2028X"]:
        error = await api.error(
            "mutation($i: CreateScheduleInput!) { createSchedule(input: $i) { id } }",
            {"i": {"name": bad, "timezone": "UTC"}},
        )
        assert error["extensions"]["code"] == "BAD_USER_INPUT", bad
        assert error["extensions"]["fields"] == ["input.name"], bad

    (ann,) = await contacts(api, "Ann")
    s = await schedule(api, "Ops", horizon=3)
    tier = s["tiers"][0]["id"]
    await set_layers(api, tier, [weekly("Daily", "2026-03-01T09:00", [ann], unit="DAY")])
    await api.ok(CONFIRM, {"s": s["id"]})
    error = await api.error(FEED, {"i": {"scheduleId": s["id"], "name": "My\nfeed"}})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == ["input.name"]
    assert await calendar_models.CalendarFeed.all().count() == 0

    # Rows stored before the check existed: the feed still answers, every value escaped.
    await contact_models.Contact.filter(name="Ann").update(name="Ann\nLine, two;\x07 bell\\")
    url = (await api.ok(FEED, {"i": {"scheduleId": s["id"], "name": "Team; on-call, all"}}))[
        "createCalendarFeed"
    ]["url"]
    body = (await api.client.get(urlsplit(url).path)).content
    await calendar_models.CalendarFeed.all().update(name="Team\r\non-call")
    renamed = (await api.client.get(urlsplit(url).path)).content
    text = body.decode()
    assert "X-WR-CALNAME:Team\\; on-call\\, all\r\n" in text
    assert "X-PUBLISHED-TTL:PT15M\r\n" in text
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT15M\r\n" in text
    assert "SUMMARY:Ann\\nLine\\, two\\;  bell\\\\ on call: Ops\\, tier 1\r\n" in text
    assert "X-WR-CALNAME:Team\\non-call\r\n" in renamed.decode()
    summaries = {str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}
    assert summaries == {"Ann\nLine, two;  bell\\ on call: Ops, tier 1"}
    with matrix.case("ical.js", "feed with escaped names"):
        found = await run_node("ical_events.mjs", stdin=body)
        assert {e["summary"] for e in found} == summaries
    with matrix.case("ical (PyPI)", "feed with escaped names"):
        assert {
            str(e.summary) for e in IcsCalendarStream.calendar_from_ics(text).events
        } == summaries
