"""Substitutions and weekday entries change who is on call (SPEC §2 Availability), through
the whole app."""

from __future__ import annotations

from typing import Any

from tests.support import Api
from tests.timelines.factories import contacts, schedule, set_layers, weekly

SHIFTS = """query($t: ID!, $from: DateTime!, $to: DateTime!) { tier(id: $t) {
  shifts(from: $from, to: $to) { start end origin assignees { name } } } }"""
CREATE = "mutation($i: [CreateSubstitutionInput!]!) { createSubstitutions(inputs: $i) { id } }"


async def shifts(
    api: Api, tier: str, start: str, end: str
) -> list[tuple[str, str, str, list[str]]]:
    data = await api.ok(SHIFTS, {"t": tier, "from": start, "to": end})
    return [
        (s["start"][5:16], s["end"][5:16], s["origin"], [a["name"] for a in s["assignees"]])
        for s in data["tier"]["shifts"]
    ]


async def daily(api: Api, names: list[str], **extra: Any) -> tuple[dict[str, Any], str, list[str]]:
    ids = await contacts(api, *names)
    s = await schedule(api)
    tier = s["tiers"][0]["id"]
    await set_layers(api, tier, [weekly("Daily", "2026-03-02T09:00", ids, unit="DAY", **extra)])
    return s, tier, ids


async def test_an_unavailability_hands_the_turn_to_the_next_participant(api: Api) -> None:
    s, tier, (_ann, bob, _cid) = await daily(api, ["Ann", "Bob", "Cid"])
    await api.ok(
        CREATE,
        {
            "i": [
                {
                    "contactId": bob,
                    "scheduleId": s["id"],
                    "recurrence": {"type": "OCCURRENCE", "from": "2026-03-03", "to": "2026-03-04"},
                }
            ]
        },
    )
    got = await shifts(api, tier, "2026-03-02T09:00:00Z", "2026-03-04T09:00:00Z")
    # Bob is away on Mar 3 and 4 (whole days in the schedule's zone): his turn, Mar 3 09:00
    # to Mar 4 09:00, goes to the next participant, Cid.
    assert got == [
        ("03-02T09:00", "03-03T09:00", "LAYER", ["Ann"]),
        ("03-03T09:00", "03-04T09:00", "SUBSTITUTION", ["Cid"]),
    ]


async def test_a_replacement_takes_the_same_position(api: Api) -> None:
    s, tier, (ann, _bob) = await daily(
        api, ["Ann", "Bob"], staffRotation={"numberOfStaffOnCall": 2}
    )
    (eve,) = await contacts(api, "Eve")
    await api.ok(
        CREATE,
        {
            "i": [
                {
                    "contactId": ann,
                    "replacementId": eve,
                    "scheduleId": s["id"],
                    "recurrence": {"type": "OCCURRENCE", "from": "2026-03-02", "to": "2026-03-02"},
                }
            ]
        },
    )
    got = await shifts(api, tier, "2026-03-02T09:00:00Z", "2026-03-03T09:00:00Z")
    assert got == [
        ("03-02T09:00", "03-03T00:00", "SUBSTITUTION", ["Eve", "Bob"]),
        ("03-03T00:00", "03-03T09:00", "LAYER", ["Ann", "Bob"]),
    ]


async def test_a_partial_window_splits_the_shift(api: Api) -> None:
    s, tier, (ann, _bob, _cid) = await daily(api, ["Ann", "Bob", "Cid"])
    await api.ok(
        CREATE,
        {
            "i": [
                {
                    "contactId": ann,
                    "scheduleId": s["id"],
                    "window": {"start": "12:00", "end": "14:00"},
                    "recurrence": {"type": "OCCURRENCE", "from": "2026-03-02", "to": "2026-03-02"},
                }
            ]
        },
    )
    got = await shifts(api, tier, "2026-03-02T09:00:00Z", "2026-03-03T09:00:00Z")
    assert got == [
        ("03-02T09:00", "03-02T12:00", "LAYER", ["Ann"]),
        ("03-02T12:00", "03-02T14:00", "SUBSTITUTION", ["Bob"]),
        ("03-02T14:00", "03-03T09:00", "LAYER", ["Ann"]),
    ]


async def test_a_monday_to_friday_participant_is_skipped_at_the_weekend(api: Api) -> None:
    ids = await contacts(api, "Ann", "Bob")
    s = await schedule(api)
    tier = s["tiers"][0]["id"]
    layer = weekly("Daily", "2026-03-02T09:00", [], unit="DAY")
    # The reference numbers days 1 = Sunday, so its [2,3,4,5,6] is Monday to Friday.
    layer["participants"] = [
        {"contactId": ids[0], "weekdays": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]},
        {"contactId": ids[1]},
    ]
    await set_layers(api, tier, [layer])
    got = await shifts(api, tier, "2026-03-06T09:00:00Z", "2026-03-09T09:00:00Z")
    # Fri 6th is Ann's day (turn 4: Ann) and she keeps the whole Friday turn to Sat 09:00;
    # Sat 7th is Bob's; Sun 8th would be Ann's but she is off at the weekend.
    assert got == [
        ("03-06T09:00", "03-07T09:00", "LAYER", ["Ann"]),
        ("03-07T09:00", "03-08T09:00", "LAYER", ["Bob"]),
        ("03-08T09:00", "03-09T09:00", "SUBSTITUTION", ["Bob"]),
    ], got


async def test_confirmed_future_follows_a_new_substitution(api: Api) -> None:
    from app.shifts import models

    s, _tier, (ann, bob) = await daily(api, ["Ann", "Bob"])
    await api.ok(
        "mutation($s: ID!) { confirmAssignments(scheduleId: $s) { newAssignment } }", {"s": s["id"]}
    )
    await api.ok(
        CREATE,
        {
            "i": [
                {
                    "contactId": bob,
                    "scheduleId": s["id"],
                    "recurrence": {"type": "OCCURRENCE", "from": "2026-03-03", "to": "2026-03-03"},
                }
            ]
        },
    )
    rows = await models.Shift.all().order_by("start")
    got = [
        (r.start.isoformat()[5:16], r.end.isoformat()[5:16], r.origin, r.assignees)
        for r in rows[:3]
    ]
    ids = {"Ann": int(_pk(ann)), "Bob": int(_pk(bob))}
    # Bob is away all of Mar 3: his turn from 09:00 falls to Ann until midnight, then his again.
    assert got == [
        ("03-02T12:00", "03-03T09:00", "LAYER", [ids["Ann"]]),
        ("03-03T09:00", "03-04T00:00", "SUBSTITUTION", [ids["Ann"]]),
        ("03-04T00:00", "03-04T09:00", "LAYER", [ids["Bob"]]),
    ]


def _pk(global_id: str) -> str:
    import base64

    return base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode().split(":")[1]
