"""Calendar feeds: secret URLs of confirmed shifts, parsed back with icalendar."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any
from urllib.parse import urlsplit

import icalendar

from tests.support import Api
from tests.timelines.factories import contacts, schedule, set_layers, weekly

CREATE = """mutation($i: CreateCalendarFeedInput!) { createCalendarFeed(input: $i) {
  url feed { id scope busy prefix revokedAt schedule { name } tier { number } contact { name } } } }"""
REVOKE = "mutation($id: ID!) { revokeCalendarFeed(id: $id) { id revokedAt } }"
CONFIRM = "mutation($s: ID!) { confirmAssignments(scheduleId: $s) { tier { id } } }"


async def create(api: Api, **input: Any) -> dict[str, Any]:
    data = await api.ok(CREATE, {"i": input})
    result: dict[str, Any] = data["createCalendarFeed"]
    return result


async def fetch(api: Api, url: str, **headers: str) -> tuple[int, bytes, dict[str, str]]:
    response = await api.client.get(urlsplit(url).path, headers=headers)
    return response.status_code, response.content, dict(response.headers)


def events(body: bytes) -> list[Any]:
    calendar = icalendar.Calendar.from_ical(body)
    return sorted(calendar.walk("VEVENT"), key=lambda e: (e["DTSTART"].dt, str(e["UID"])))


def utc(event: Any, key: str) -> str:
    return str(event[key].dt.astimezone(UTC).strftime("%m-%dT%H:%M"))


async def test_schedule_feed_across_dst_with_cancelled_entries(api: Api) -> None:
    long_name = 'Ann, the; on-call "lead" ' + "x" * 80
    ann, bob, cid = await contacts(api, long_name, "Bob", "Cid")
    s = await schedule(api, "Ops, East", timezone="America/New_York", horizon=10)
    tier = s["tiers"][0]["id"]
    await set_layers(
        api,
        tier,
        [weekly("Daily", "2026-03-01T09:00", [ann, bob], unit="DAY", timezone="America/New_York")],
    )
    await api.ok(CONFIRM, {"s": s["id"]})

    created = await create(api, scheduleId=s["id"])
    url = created["url"]
    assert url.startswith("http://testserver/feeds/rgf_") and url.endswith(".ics")
    secret = urlsplit(url).path.split("/")[-1][: -len(".ics")]
    assert created["feed"]["scope"] == "SCHEDULE" and created["feed"]["busy"] is True
    assert created["feed"]["schedule"] == {"name": "Ops, East"}
    listed = await api.ok("{ calendarFeeds { totalCount nodes { id prefix scope } } }")
    assert listed["calendarFeeds"]["totalCount"] == 1
    assert secret not in json.dumps(listed) and secret.startswith(
        listed["calendarFeeds"]["nodes"][0]["prefix"]
    )

    status, body, headers = await fetch(api, url)
    assert status == 200 and headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(body)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    text = body.decode()
    assert "Ann\\, the\\; on-call" in text  # escaped
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))  # folded
    assert "\r\n " in text
    found = events(body)
    # Confirmed from now (2026-03-02 12:00Z) to the horizon; DTSTART carries the zone.
    assert str(found[0]["DTSTART"].params["TZID"]) == "America/New_York"
    spans = [(utc(e, "DTSTART"), utc(e, "DTEND"), str(e["SUMMARY"])[:3]) for e in found]
    assert spans[:4] == [
        ("03-01T14:00", "03-02T14:00", "Ann"),  # the turn that began 03-01 09:00 EST
        ("03-02T14:00", "03-03T14:00", "Bob"),
        ("03-03T14:00", "03-04T14:00", "Ann"),
        ("03-04T14:00", "03-05T14:00", "Bob"),
    ]
    # Clocks go forward on 2026-03-08: the 09:00 handoff moves from 14:00Z to 13:00Z.
    assert ("03-07T14:00", "03-08T13:00") in [(a, b) for a, b, _ in spans]
    assert ("03-08T13:00", "03-09T13:00") in [(a, b) for a, b, _ in spans]
    assert {str(e["STATUS"]) for e in found} == {"CONFIRMED"}
    assert {str(e["TRANSP"]) for e in found} == {"OPAQUE"}
    assert str(found[1]["SUMMARY"]) == "Bob on call: Ops, East, tier 1"
    uids = {str(e["UID"]) for e in found}

    # The same answer again: same UIDs, same bytes, and a 304 for a client that has it.
    status, again, headers = await fetch(api, url)
    assert again == body
    status, _, _ = await fetch(api, url, **{"If-None-Match": headers["etag"]})
    assert status == 304

    # Ann leaves the rotation: her future events come back cancelled, Cid's are new.
    await set_layers(
        api,
        tier,
        [weekly("Daily", "2026-03-01T09:00", [cid, bob], unit="DAY", timezone="America/New_York")],
    )
    status, body, _ = await fetch(api, url)
    found = events(body)
    cancelled = [e for e in found if str(e["STATUS"]) == "CANCELLED"]
    assert cancelled and all(str(e["SUMMARY"]).startswith("Ann") for e in cancelled)
    assert {str(e["UID"]) for e in cancelled} <= uids
    assert all(int(e["SEQUENCE"]) == 1 for e in cancelled)
    assert all(str(e["TRANSP"]) == "TRANSPARENT" for e in cancelled)
    live = [e for e in found if str(e["STATUS"]) == "CONFIRMED"]
    assert {str(e["SUMMARY"])[:3] for e in live} == {"Bob", "Cid"}
    # Bob's events kept their UIDs (tier, start and contact did not change).
    assert {str(e["UID"]) for e in live if str(e["SUMMARY"]).startswith("Bob")} <= uids
    # Still cancelled on the next fetch (a client that did not look in between sees it too).
    assert len(
        [e for e in events((await fetch(api, url))[1]) if str(e["STATUS"]) == "CANCELLED"]
    ) == len(cancelled)

    # Revoked: 404 at once; an unknown secret too.
    revoked = await api.ok(REVOKE, {"id": created["feed"]["id"]})
    assert revoked["revokeCalendarFeed"]["revokedAt"] is not None
    assert (await fetch(api, url))[0] == 404
    assert (await fetch(api, "/feeds/rgf_not-a-real-secret.ics"))[0] == 404
    listed = await api.ok("{ calendarFeeds { totalCount } }")
    assert listed["calendarFeeds"]["totalCount"] == 0


async def test_contact_and_tier_feeds(api: Api) -> None:
    ann, bob = await contacts(api, "Ann", "Bob", timezone="Europe/London")
    s = await schedule(api, "Support", timezone="UTC", tiers=2, horizon=5)
    first, second = (t["id"] for t in s["tiers"])
    await set_layers(api, first, [weekly("Days", "2026-03-01T00:00", [ann, bob], unit="DAY")])
    await set_layers(api, second, [weekly("Backup", "2026-03-01T00:00", [bob], unit="WEEK")])
    await api.ok(CONFIRM, {"s": s["id"]})

    mine = await create(api, contactId=bob, busy=False, name="My on-call")
    assert mine["feed"]["scope"] == "CONTACT" and mine["feed"]["contact"] == {"name": "Bob"}
    _, body, _ = await fetch(api, mine["url"])
    calendar = icalendar.Calendar.from_ical(body)
    assert str(calendar["X-WR-CALNAME"]) == "My on-call"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    found = events(body)
    summaries = {str(e["SUMMARY"]) for e in found}
    assert summaries == {"On call: Support, tier 1", "On call: Support, tier 2"}
    assert {str(e["TRANSP"]) for e in found} == {"TRANSPARENT"}  # marked free by choice
    assert all(str(e["UID"]).endswith("-2@rotagraph") for e in found)  # Bob's contact id

    tier_feed = await create(api, tierId=second)
    assert tier_feed["feed"]["tier"] == {"number": 2}
    found = events((await fetch(api, tier_feed["url"]))[1])
    assert [(utc(e, "DTSTART"), utc(e, "DTEND")) for e in found] == [("03-01T00:00", "03-08T00:00")]

    error = await api.error(CREATE, {"i": {"tierId": second, "contactId": bob}})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    error = await api.error(CREATE, {"i": {"scheduleId": s["id"]}}, token=api.tokens["VIEWER"])
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_feed_of_a_deleted_schedule_is_gone(api: Api) -> None:
    s = await schedule(api, "Temp")
    created = await create(api, scheduleId=s["id"])
    assert (await fetch(api, created["url"]))[0] == 200
    await api.ok("mutation($id: ID!) { deleteSchedule(id: $id) { deletedId } }", {"id": s["id"]})
    assert (await fetch(api, created["url"]))[0] == 404
