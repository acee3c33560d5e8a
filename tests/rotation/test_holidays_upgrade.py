"""A new ``holidays`` library version is an edit of every calendar it moves (SPEC §9): the
running turn of an ACTIVE_TURNS layer stays under the old dates, later turns follow the new.

The upgrade is simulated by swapping the library's answers (a past holiday dropped, a future
one added) and its version string after the schedule's dates were recorded under the real one.
"""

from __future__ import annotations

from datetime import date

import pytest

from app.db import transaction
from app.holiday_calendars import regions
from app.layers import holiday_upgrade
from app.schedules import models as schedule_models
from tests.rotation.test_api import NOW_AND_NEXT, shift_names
from tests.support import NOW, Api
from tests.timelines.factories import contacts, schedule, set_layers, weekly

CALENDAR = """mutation($s: ID!) {
  updateSchedule(id: $s, input: {holidayCalendar: {region: "US"}}) { id } }"""
DROPPED = date(2026, 2, 16)  # Presidents' Day, in the past at NOW (2026-03-02T12:00Z)
ADDED = date(2026, 3, 4)


def upgrade(monkeypatch: pytest.MonkeyPatch) -> None:
    real = regions._year

    def moved(code: str, year: int) -> tuple[tuple[date, str], ...]:
        days = dict(real(code, year))
        if code == "US" and year == 2026:
            days.pop(DROPPED)
            days[ADDED] = "New day"
        return tuple(sorted(days.items()))

    monkeypatch.setattr(regions, "_year", moved)
    monkeypatch.setattr(regions, "LIBRARY_VERSION", "9999.1")


async def reconcile() -> list[int]:
    async with transaction():
        return await holiday_upgrade.reconcile(now=NOW)


async def on_call(api: Api, schedule_id: str) -> list[str]:
    data = (await api.ok(NOW_AND_NEXT, {"s": schedule_id}))["schedule"]
    return [a["name"] for entry in data["onCallNow"] for a in entry["assignees"]]


async def test_an_upgrade_keeps_who_is_on_call_now_and_moves_later_turns(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, c = await contacts(api, "Ann", "Bob", "Cid")
    s = await schedule(api)
    tier = s["tiers"][0]["id"]
    layer = weekly("Daily", "2026-01-01T00:00", [a, b, c], unit="DAY")
    layer.update(advance="ACTIVE_TURNS", onHolidays="SKIP")
    await api.ok(CALENDAR, {"s": s["id"]})  # first, so no calendar edit pins the layer
    await set_layers(api, tier, [layer])
    stored = await schedule_models.Schedule.get()
    assert stored.holidays_version == regions.LIBRARY_VERSION
    assert stored.holiday_region_snapshot is not None
    assert DROPPED.isoformat() in stored.holiday_region_snapshot["dates"]
    # 2026-01-01, 01-19 and 02-16 were skipped: 57 active turns before today's, Ann's.
    before = await shift_names(api, tier, "2026-03-02T00:00:00Z", "2026-03-07T00:00:00Z")
    assert before == [
        ("2026-03-02T00:00", "Ann"),
        ("2026-03-03T00:00", "Bob"),
        ("2026-03-04T00:00", "Cid"),
        ("2026-03-05T00:00", "Ann"),
        ("2026-03-06T00:00", "Bob"),
    ]
    assert await reconcile() == []  # same version: nothing moves

    upgrade(monkeypatch)
    assert await reconcile() == [stored.id]
    assert await on_call(api, s["id"]) == ["Ann"]  # 58 active turns now, but she stays on
    after = await shift_names(api, tier, "2026-03-02T00:00:00Z", "2026-03-07T00:00:00Z")
    assert after == [
        ("2026-03-02T00:00", "Ann"),
        ("2026-03-03T00:00", "Bob"),
        # 03-04 became a holiday: skipped, and the rotation resumes with Cid.
        ("2026-03-05T00:00", "Cid"),
        ("2026-03-06T00:00", "Ann"),
    ]
    stored = await schedule_models.Schedule.get()
    assert stored.holidays_version == "9999.1"
    assert stored.holiday_region_snapshot is not None
    assert DROPPED.isoformat() not in stored.holiday_region_snapshot["dates"]
    assert await reconcile() == []  # recorded: a second run changes nothing


async def test_without_the_pin_the_upgrade_would_move_who_is_on_call_now(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same upgrade with the recorded snapshot lost: nothing to compare, so no pin."""
    a, b, c = await contacts(api, "Ann", "Bob", "Cid")
    s = await schedule(api)
    layer = weekly("Daily", "2026-01-01T00:00", [a, b, c], unit="DAY")
    layer.update(advance="ACTIVE_TURNS", onHolidays="SKIP")
    await api.ok(CALENDAR, {"s": s["id"]})
    await set_layers(api, s["tiers"][0]["id"], [layer])
    assert await on_call(api, s["id"]) == ["Ann"]
    await schedule_models.Schedule.all().update(holiday_region_snapshot=None)
    upgrade(monkeypatch)
    assert await reconcile() == []
    await api.ok(CALENDAR, {"s": s["id"]})  # any write: the tier's inputs changed
    assert await on_call(api, s["id"]) == ["Bob"]
