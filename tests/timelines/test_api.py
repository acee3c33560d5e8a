"""The computed schedule graph through the whole app."""

from __future__ import annotations

from datetime import timedelta

from tests.support import NOW, Api, count_sql, table_counts
from tests.timelines.factories import contacts, schedule, set_layers, weekly

SHIFTS = """query($t: ID!, $from: DateTime!, $to: DateTime!) { tier(id: $t) {
  shifts(from: $from, to: $to) { start end origin assignees { name } layer { name } } } }"""


def iso(d) -> str:  # type: ignore[no-untyped-def]
    return d.isoformat().replace("+00:00", "Z")


async def test_daily_rotation_shifts(api: Api) -> None:
    a, b, c = await contacts(api, "Ann", "Bob", "Cid")
    s = await schedule(api)
    tier = s["tiers"][0]["id"]
    await set_layers(api, tier, [weekly("Daily", "2026-03-01T09:00", [a, b, c], unit="DAY")])
    data = await api.ok(
        SHIFTS, {"t": tier, "from": "2026-03-01T09:00:00Z", "to": "2026-03-04T09:00:00Z"}
    )
    shifts = data["tier"]["shifts"]
    assert [s["assignees"][0]["name"] for s in shifts] == ["Ann", "Bob", "Cid"]
    assert shifts[0]["start"].startswith("2026-03-01T09:00") and shifts[0]["origin"] == "LAYER"
    assert shifts[0]["layer"]["name"] == "Daily"


async def test_window_limits_are_bad_user_input(api: Api) -> None:
    s = await schedule(api)
    tier = s["tiers"][0]["id"]
    error = await api.error(
        SHIFTS, {"t": tier, "from": "2026-01-01T00:00:00Z", "to": "2027-01-03T00:00:00Z"}
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["extensions"]["fields"] == [
        "to"
    ]
    error = await api.error(
        SHIFTS, {"t": tier, "from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_on_call_now_across_a_handoff(api: Api) -> None:
    a, b = await contacts(api, "Ann", "Bob")
    s = await schedule(api)
    await set_layers(
        api, s["tiers"][0]["id"], [weekly("Daily", "2026-03-01T09:00", [a, b], unit="DAY")]
    )
    query = "query($s: ID!) { schedule(id: $s) { onCallNow { since until assignees { name } } nextHandoffs(count: 2) { at from { name } to { name } } } }"
    api.clock.set(NOW.replace(hour=8, minute=59))  # 2026-03-02 08:59: still turn 0 (Ann)
    before = (await api.ok(query, {"s": s["id"]}))["schedule"]
    assert before["onCallNow"][0]["assignees"] == [{"name": "Ann"}]
    assert before["onCallNow"][0]["since"].startswith("2026-03-01T09:00")
    assert before["nextHandoffs"][0]["at"].startswith("2026-03-02T09:00")
    assert before["nextHandoffs"][0]["from"] == [{"name": "Ann"}]
    assert before["nextHandoffs"][0]["to"] == [{"name": "Bob"}]
    api.clock.advance(timedelta(minutes=1))
    after = (await api.ok(query, {"s": s["id"]}))["schedule"]
    assert after["onCallNow"][0]["assignees"] == [{"name": "Bob"}]
    assert after["onCallNow"][0]["since"].startswith("2026-03-02T09:00")
    assert after["onCallNow"][0]["until"].startswith("2026-03-03T09:00")


async def test_confirm_keeps_ids_and_never_rewrites_the_past(api: Api) -> None:
    from app.shifts import models

    a, b, c = await contacts(api, "Ann", "Bob", "Cid")
    s = await schedule(api, horizon=3)
    tier = s["tiers"][0]["id"]
    await set_layers(api, tier, [weekly("Daily", "2026-03-01T09:00", [a, b], unit="DAY")])
    confirmed = await api.ok(
        "mutation($s: ID!) { confirmAssignments(scheduleId: $s) { confirmedUntil newAssignment } }",
        {"s": s["id"]},
    )
    assert confirmed["confirmAssignments"][0]["newAssignment"] is True
    assert confirmed["confirmAssignments"][0]["confirmedUntil"].startswith("2026-03-06T00:00")
    rows_before = {(r.start, r.end): r.id for r in await models.Shift.all()}
    assert len(rows_before) == 4  # from 12:00 now: to 09:00, two whole days, then to 00:00 (H)

    api.clock.advance(timedelta(days=1))  # 2026-03-03 12:00
    again = await api.ok(
        "mutation($s: ID!) { confirmAssignments(scheduleId: $s) { changedFrom } }", {"s": s["id"]}
    )
    assert again["confirmAssignments"][0]["changedFrom"] is not None  # the horizon added a day
    kept = {r.start: r.id for r in await models.Shift.all()}
    for (start, _), pk in rows_before.items():
        assert kept.get(start) == pk  # the last row grew to the new horizon, same id

    # Edit the rotation: yesterday's rows stay as they were, the future changes.
    await set_layers(api, tier, [weekly("Daily", "2026-03-01T09:00", [c], unit="DAY")])
    rows = await models.Shift.all().order_by("start")
    past = [r for r in rows if r.end <= api.clock.now()]
    assert past
    history = {(r.start, r.end): r.assignees for r in past}
    for start, end in rows_before:
        if end <= api.clock.now():
            assert (start, end) in history
    future = [r for r in rows if r.start >= api.clock.now()]
    names = {r.assignees[0] for r in future}
    assert len(names) == 1  # only Cid from now on
    shifts = await api.ok(
        SHIFTS, {"t": tier, "from": "2026-03-02T09:00:00Z", "to": "2026-03-04T09:00:00Z"}
    )
    got = [(s["start"][5:16], s["assignees"][0]["name"]) for s in shifts["tier"]["shifts"]]
    assert got == [
        ("03-02T09:00", "Cid"),  # before the first confirmation: computed from today's rules
        ("03-02T12:00", "Bob"),  # confirmed history
        ("03-03T09:00", "Ann"),  # the running row, cut at now by the edit
        ("03-03T12:00", "Cid"),  # computed from now on
    ]


async def test_sql_count_for_shifts_is_constant_in_schedules(api: Api) -> None:
    a, b = await contacts(api, "Ann", "Bob")
    query = """{ schedules { edges { node { tiers { shifts(from: "2026-03-01T00:00:00Z", to: "2026-03-31T00:00:00Z") { assignees { name } } } } } } }"""

    from app.timelines.cache import CACHE

    async def run() -> int:
        CACHE.clear()
        await api.ok("{ viewer { role } }")
        with count_sql() as statements:
            await api.ok(query)
        return len(statements)

    for i in range(2):
        s = await schedule(api, f"S{i}", tiers=2)
        for t in s["tiers"]:
            await set_layers(api, t["id"], [weekly("W", "2026-03-02T09:00", [a, b])])
    few = await run()
    for i in range(2, 12):
        s = await schedule(api, f"S{i}", tiers=2)
        for t in s["tiers"]:
            await set_layers(api, t["id"], [weekly("W", "2026-03-02T09:00", [a, b])])
    many = await run()
    assert few == many, (few, many)


async def test_preview_changes_nothing_and_diffs(api: Api) -> None:
    a, b, c = await contacts(api, "Ann", "Bob", "Cid")
    s = await schedule(api)
    tier = s["tiers"][0]["id"]
    await set_layers(api, tier, [weekly("Daily", "2026-03-01T09:00", [a, b], unit="DAY")])
    before = await table_counts()
    query = """query($t: ID!, $d: TierDraftInput!) { previewTier(tierId: $t, draft: $d,
      from: "2026-03-01T09:00:00Z", to: "2026-03-03T09:00:00Z") {
        timeline { shifts { assignees { name } } layers { layer { name } shifts { overridden } } gaps { start } }
        diff { start end change before { name } after { name } } } }"""
    draft = {"layers": [weekly("Daily", "2026-03-01T09:00", [a, c], unit="DAY")]}
    data = (await api.ok(query, {"t": tier, "d": draft}))["previewTier"]
    assert [s["assignees"][0]["name"] for s in data["timeline"]["shifts"]] == ["Ann", "Cid"]
    assert data["timeline"]["layers"][0]["layer"] is None  # a draft layer is not stored
    assert data["diff"] == [
        {
            "start": "2026-03-02T09:00:00+00:00",
            "end": "2026-03-03T09:00:00+00:00",
            "change": "REASSIGNED",
            "before": [{"name": "Bob"}],
            "after": [{"name": "Cid"}],
        }
    ]
    assert await table_counts() == before
