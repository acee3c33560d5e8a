"""A rotation-rule change reaches an export destination end to end (SPEC §9, §4): a layer edit
that adds a future pause, or skips an extra holiday date, is confirmed and exported, and the
webhook receiver's shifts show the lower layer through the day that became inactive."""

from __future__ import annotations

from typing import Any

from tests.destinations.test_exports import CONFIRM, CREATE, export, shifts_of
from tests.destinations.test_faults import hook_receiver, webhook
from tests.support import Api
from tests.timelines.factories import contacts, schedule, set_layers, weekly

UPDATE = "mutation($id: ID!, $input: LayerInput!) { updateLayer(id: $id, input: $input) { id } }"
CALENDAR = """mutation($s: ID!, $c: HolidayCalendarInput) {
  updateSchedule(id: $s, input: {holidayCalendar: $c}) { id } }"""
DAY = "2026-03-01T00:00"  # daily turns at midnight UTC; the test clock stands at 2026-03-02T12:00


async def layered_schedule(api: Api) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
    """Cid covers every day underneath; Ann and Bob alternate daily above him."""
    ann, bob, cid = await contacts(api, "Ann", "Bob", "Cid")
    s = await schedule(api, horizon=4)
    upper = weekly("Daily", DAY, [ann, bob], unit="DAY")
    stored = await set_layers(
        api, s["tiers"][0]["id"], [weekly("Backup", DAY, [cid], unit="DAY"), upper]
    )
    await api.ok(CONFIRM, {"s": s["id"]})
    upper["id"] = stored[1]["id"]
    return s, [ann, bob, cid], upper


async def test_a_future_pause_reaches_the_webhook_receiver(api: Api) -> None:
    s, _, upper = await layered_schedule(api)
    async with hook_receiver() as hook:
        dest = (await api.ok(CREATE, {"i": webhook(s["id"], hook.url)}))["createDestination"]
        await export(api, dest["id"])
        before = shifts_of(hook)
        assert ("2026-03-04T00:00", "2026-03-05T00:00", "Bob") in before
        assert all(name != "Cid" for _, _, name in before)

        await api.ok(
            UPDATE,
            {
                "id": upper["id"],
                "input": {**upper, "pauses": [{"from": "2026-03-04", "to": "2026-03-04"}]},
            },
        )
        await api.ok(CONFIRM, {"s": s["id"]})
        done = await export(api, dest["id"])
        assert done["status"] == "OK"
        after = shifts_of(hook)
        # The export restarts at the paused day: Cid shows through, and with EVERY_TURN the
        # rotation kept moving through the pause, so 03-05 stays Ann's.
        assert after == [
            ("2026-03-04T00:00", "2026-03-05T00:00", "Cid"),
            ("2026-03-05T00:00", "2026-03-06T00:00", "Ann"),
            ("2026-03-06T00:00", "2026-03-07T00:00", "Bob"),
        ]


async def test_a_skipped_extra_holiday_reaches_the_webhook_receiver(api: Api) -> None:
    s, _, upper = await layered_schedule(api)
    async with hook_receiver() as hook:
        dest = (await api.ok(CREATE, {"i": webhook(s["id"], hook.url)}))["createDestination"]
        await export(api, dest["id"])
        before = shifts_of(hook)
        assert ("2026-03-05T00:00", "2026-03-06T00:00", "Ann") in before

        calendar = {"extraDates": [{"date": "2026-03-05", "name": "Company day"}]}
        await api.ok(CALENDAR, {"s": s["id"], "c": calendar})
        await api.ok(UPDATE, {"id": upper["id"], "input": {**upper, "onHolidays": "SKIP"}})
        await api.ok(CONFIRM, {"s": s["id"]})
        done = await export(api, dest["id"])
        assert done["status"] == "OK"
        after = shifts_of(hook)
        assert after == [
            ("2026-03-05T00:00", "2026-03-06T00:00", "Cid"),
            ("2026-03-06T00:00", "2026-03-07T00:00", "Bob"),
        ]
