"""Imported busy time reaches the engine as unavailability and the confirmed future follows."""

from __future__ import annotations

from datetime import UTC, datetime

from app.api.relay import split_id
from app.calendars import importer
from app.shifts import models as shift_models
from tests.calendars.ics_server import IcsServer, vcalendar
from tests.calendars.queries import SET_IMPORTS, connect, enable
from tests.support import Api
from tests.timelines.factories import contacts, schedule, set_layers, weekly

SHIFTS = """query($t: ID!, $from: DateTime!, $to: DateTime!) { tier(id: $t) {
  shifts(from: $from, to: $to) { start end origin assignees { name } } } }"""
DAY_OFF = """UID:day-off
DTSTART;VALUE=DATE:20260303
DTEND;VALUE=DATE:20260304
SUMMARY:Dentist and errands"""
MEETING = """UID:meeting
DTSTART:20260306T100000Z
DTEND:20260306T110000Z
SUMMARY:Planning"""


async def shifts(api: Api, tier: str) -> list[tuple[str, str, str]]:
    data = await api.ok(
        SHIFTS, {"t": tier, "from": "2026-03-03T09:00:00Z", "to": "2026-03-07T09:00:00Z"}
    )
    return [
        (s["start"][5:16], s["end"][5:16], s["assignees"][0]["name"])
        for s in data["tier"]["shifts"]
    ]


async def test_all_day_block_hands_the_turn_on_and_a_meeting_does_not(
    capi: Api, server: IcsServer
) -> None:
    ann, bob, cid = await contacts(capi, "Ann", "Bob", "Cid")
    s = await schedule(capi, horizon=7)
    tier = s["tiers"][0]["id"]
    # Cid is reached through a group: the tier is still affected by Cid's busy time.
    group = await capi.ok(
        'mutation($m: [ID!]!) { createGroup(input: {name: "Night owls", memberIds: $m}) { id } }',
        {"m": [cid]},
    )
    layer = weekly("Daily", "2026-03-01T09:00", [ann, bob], unit="DAY")
    layer["participants"].append({"groupId": group["createGroup"]["id"]})
    await set_layers(capi, tier, [layer])
    await capi.ok(
        "mutation($s: ID!) { confirmAssignments(scheduleId: $s) { tier { id } } }", {"s": s["id"]}
    )
    before = await shifts(capi, tier)
    assert before == [
        ("03-03T09:00", "03-04T09:00", "Cid"),
        ("03-04T09:00", "03-05T09:00", "Ann"),
        ("03-05T09:00", "03-06T09:00", "Bob"),
        ("03-06T09:00", "03-07T09:00", "Cid"),
    ]

    server.serve("/cid.ics", vcalendar(DAY_OFF, MEETING))
    connection = await connect(capi, cid, "ICS_URL", url=server.url("/cid.ics"))
    await enable(capi, connection)  # LONG_OR_ALL_DAY
    await importer.drain()

    after = await shifts(capi, tier)
    assert after == [
        ("03-03T09:00", "03-04T00:00", "Ann"),  # Cid's day off: the next participant
        ("03-04T00:00", "03-04T09:00", "Cid"),
        ("03-04T09:00", "03-05T09:00", "Ann"),
        ("03-05T09:00", "03-06T09:00", "Bob"),
        ("03-06T09:00", "03-07T09:00", "Cid"),  # a 1-hour meeting does not count
    ]
    # The confirmed rows were recomputed in the import's transaction.
    _, ann_pk = split_id(ann)
    _, cid_pk = split_id(cid)
    rows = await shift_models.Shift.filter(start__gte=datetime(2026, 3, 3, 9, tzinfo=UTC)).order_by(
        "start"
    )
    assert [(r.start.isoformat()[5:16], r.assignees) for r in rows[:2]] == [
        ("03-03T09:00", [ann_pk]),
        ("03-04T00:00", [cid_pk]),
    ]

    # Every busy event counts under ALL_BUSY: the meeting hour goes to Ann too.
    await capi.ok(
        SET_IMPORTS,
        {
            "id": connection["id"],
            "i": [
                {
                    "calendarId": connection["calendars"][0]["id"],
                    "enabled": True,
                    "filter": "ALL_BUSY",
                }
            ],
        },
    )
    await importer.drain()
    assert (await shifts(capi, tier))[-3:] == [
        ("03-06T09:00", "03-06T10:00", "Cid"),
        ("03-06T10:00", "03-06T11:00", "Ann"),
        ("03-06T11:00", "03-07T09:00", "Cid"),
    ]

    # Disconnecting gives Cid the turns back.
    await capi.ok(
        "mutation($id: ID!) { disconnectCalendar(connectionId: $id) { deletedId } }",
        {"id": connection["id"]},
    )
    assert await shifts(capi, tier) == before
