"""The rotation rules through the API (SPEC §9): fields, validation naming fields, layer ids
kept, roster changes on a running rotation, holiday calendars, previews of each rule."""

from __future__ import annotations

from typing import Any

from app.shifts import models as shift_models
from tests.support import Api, table_counts
from tests.timelines.factories import contacts, schedule, set_layers, weekly

LAYER = """id name onHolidays participantHolidays advance pauses { from to }
participants { weekdays workingHours { start end } contact { name } }
rosterSegments { start turn offset contacts { name } }"""
UPDATE = (
    "mutation($id: ID!, $input: LayerInput!, $e: RosterChangeInput) "
    f"{{ updateLayer(id: $id, input: $input, effective: $e) {{ {LAYER} }} }}"
)
SET = (
    "mutation($t: ID!, $l: [LayerInput!]!, $e: RosterChangeInput) "
    f"{{ setTierLayers(tierId: $t, layers: $l, effective: $e) {{ {LAYER} }} }}"
)
NOW_AND_NEXT = """query($s: ID!) { schedule(id: $s) {
  onCallNow { since until assignees { name } }
  nextHandoffs(count: 3) { at from { name } to { name } } } }"""
SHIFTS = """query($t: ID!, $from: DateTime!, $to: DateTime!) { tier(id: $t) {
  shifts(from: $from, to: $to) { start end assignees { name } } } }"""
CONFIRM = "mutation($s: ID!) { confirmAssignments(scheduleId: $s) { changedFrom } }"


async def shift_names(api: Api, tier: str, start: str, end: str) -> list[tuple[str, str]]:
    data = await api.ok(SHIFTS, {"t": tier, "from": start, "to": end})
    return [
        (s["start"][:16], ", ".join(a["name"] for a in s["assignees"]))
        for s in data["tier"]["shifts"]
    ]


async def test_every_new_layer_field_round_trips(api: Api) -> None:
    a, b = await contacts(api, "Ann", "Bob", timezone="Australia/Sydney")
    s = await schedule(api)
    tier = s["tiers"][0]["id"]
    layer: dict[str, Any] = weekly("Desk", "2026-03-02T09:00", [a, b], unit="DAY")
    layer["participants"][0]["workingHours"] = {"start": "22:00", "end": "06:00"}
    layer["participants"][0]["weekdays"] = ["MONDAY", "FRIDAY"]
    layer.update(
        onHolidays="SKIP",
        participantHolidays=True,
        advance="ACTIVE_TURNS",
        pauses=[{"from": "2026-04-01", "to": "2026-04-03"}],
    )
    data = await api.ok(SET, {"t": tier, "l": [layer]})
    [saved] = data["setTierLayers"]
    assert saved["onHolidays"] == "SKIP" and saved["participantHolidays"] is True
    assert saved["advance"] == "ACTIVE_TURNS"
    assert saved["pauses"] == [{"from": "2026-04-01", "to": "2026-04-03"}]
    assert saved["participants"][0]["workingHours"] == {"start": "22:00", "end": "06:00"}
    assert saved["participants"][0]["weekdays"] == ["MONDAY", "FRIDAY"]
    assert saved["participants"][1]["workingHours"] is None
    assert saved["rosterSegments"] == []


async def test_bad_rule_input_names_its_field_and_writes_nothing(api: Api) -> None:
    a, b = await contacts(api, "Ann", "Bob")
    s = await schedule(api)
    tier = s["tiers"][0]["id"]
    [stored] = await set_layers(api, tier, [weekly("Desk", "2026-03-02T09:00", [a, b])])
    before = await table_counts()
    layer: dict[str, Any] = weekly("Desk", "2026-03-02T09:00", [a, b])
    layer["pauses"] = [
        {"from": "2026-04-01", "to": "2026-04-05"},
        {"from": "2026-04-05", "to": "2026-04-06"},
        {"from": "2026-05-02", "to": "2026-05-01"},
    ]
    layer["participants"][1]["workingHours"] = {"start": "25:00", "end": "6pm"}
    error = await api.error(UPDATE, {"id": stored["id"], "input": layer})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    fields = {e["field"] for e in error["extensions"]["errors"]}
    assert fields == {
        "input.pauses.1",
        "input.pauses.2.to",
        "input.participants.1.workingHours.start",
        "input.participants.1.workingHours.end",
    }
    fine = weekly("Desk", "2026-03-02T09:00", [a])
    error = await api.error(
        UPDATE,
        {"id": stored["id"], "input": fine, "e": {"mode": "AT", "at": "2026-03-01T00:00:00Z"}},
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["errors"][0]["field"] == "effective.at"
    error = await api.error(SET, {"t": tier, "l": [{**fine, "id": s["tiers"][0]["id"]}]})
    assert error["extensions"]["errors"][0]["field"] == "layers.0.id"
    assert await table_counts() == before


async def test_a_next_handoff_roster_change_keeps_now_the_handoffs_and_confirmed_rows(
    api: Api,
) -> None:
    """A running daily rotation (Ann, Bob, Cid; Bob on now) loses Cid and gains Dan."""
    a, b, c, d = await contacts(api, "Ann", "Bob", "Cid", "Dan")
    s = await schedule(api, horizon=4)
    tier = s["tiers"][0]["id"]
    [stored] = await set_layers(
        api, tier, [weekly("Daily", "2026-03-01T09:00", [a, b, c], unit="DAY")]
    )
    await api.ok(CONFIRM, {"s": s["id"]})
    rows_before = {
        (r.start, r.end, tuple(r.assignees)): r.id for r in await shift_models.Shift.all()
    }
    before = (await api.ok(NOW_AND_NEXT, {"s": s["id"]}))["schedule"]

    data = await api.ok(
        UPDATE,
        {"id": stored["id"], "input": weekly("Daily", "2026-03-01T09:00", [a, b, d], unit="DAY")},
    )
    segments = data["updateLayer"]["rosterSegments"]
    assert [(x["start"][:16], x["turn"], x["offset"]) for x in segments] == [
        ("2026-03-01T09:00", 0, 0),
        ("2026-03-03T09:00", 2, 0),  # Cid would have been next: Ann follows him
    ]
    assert [c["name"] for c in segments[1]["contacts"]] == ["Ann", "Bob", "Dan"]

    after = (await api.ok(NOW_AND_NEXT, {"s": s["id"]}))["schedule"]
    assert after["onCallNow"] == before["onCallNow"]
    assert before["onCallNow"][0]["assignees"] == [{"name": "Bob"}]
    assert [(h["at"][:16], h["to"][0]["name"]) for h in after["nextHandoffs"]] == [
        ("2026-03-03T09:00", "Ann"),
        ("2026-03-04T09:00", "Bob"),
        ("2026-03-05T09:00", "Dan"),
    ]
    await api.ok(CONFIRM, {"s": s["id"]})
    rows = await shift_models.Shift.all().order_by("start")
    running = [r for r in rows if r.start <= api.clock.now() < r.end]
    assert [(r.id, r.assignees) for r in running] == [
        (pk, list(who))
        for (start, end, who), pk in rows_before.items()
        if start <= api.clock.now() < end
    ]


async def test_layer_ids_survive_set_tier_layers_and_immediately_splits_the_turn(api: Api) -> None:
    a, b, c = await contacts(api, "Ann", "Bob", "Cid")
    s = await schedule(api)
    tier = s["tiers"][0]["id"]
    [daily, other] = await set_layers(
        api,
        tier,
        [
            weekly("Daily", "2026-03-01T09:00", [a, b], unit="DAY"),
            weekly("Other", "2026-03-01T09:00", [c]),
        ],
    )
    draft = {
        **weekly("Daily", "2026-03-01T09:00", [b, c], unit="DAY"),
        "id": daily["id"],
        "index": 5,
    }
    data = await api.ok(SET, {"t": tier, "l": [draft], "e": {"mode": "IMMEDIATELY"}})
    [kept] = data["setTierLayers"]
    assert kept["id"] == daily["id"]
    assert [x["start"][:16] for x in kept["rosterSegments"]] == [
        "2026-03-01T09:00",
        "2026-03-02T12:00",
    ]
    assert await shift_names(api, tier, "2026-03-02T09:00:00Z", "2026-03-04T09:00:00Z") == [
        ("2026-03-02T09:00", "Bob"),  # Bob's turn, continued by Bob himself at 12:00
        ("2026-03-03T09:00", "Cid"),
    ]
    ids = await api.ok("query($t: ID!) { tier(id: $t) { layers { id } } }", {"t": tier})
    assert ids["tier"]["layers"] == [{"id": daily["id"]}]  # Other was not named: deleted
    assert other["id"] != daily["id"]


async def test_holiday_calendars_regions_and_holiday_rules(api: Api) -> None:
    a, b, c = await contacts(api, "Ann", "Bob", "Cid")
    created = await api.ok(
        """mutation($i: CreateScheduleInput!) { createSchedule(input: $i) { id tiers { id }
          holidayCalendar { region extraDates { date name } excludedDates }
          holidays(from: "2026-11-01", to: "2026-12-31") { date name source } } }""",
        {
            "i": {
                "name": "Support",
                "timezone": "America/New_York",
                "holidayCalendar": {
                    "region": "us",
                    "extraDates": [{"date": "2026-12-24", "name": "Company day"}],
                    "excludedDates": ["2026-11-11"],
                },
            }
        },
    )
    s = created["createSchedule"]
    assert s["holidayCalendar"]["region"] == "US"
    assert s["holidays"] == [
        {"date": "2026-11-26", "name": "Thanksgiving Day", "source": "REGION"},
        {"date": "2026-12-24", "name": "Company day", "source": "EXTRA"},
        {"date": "2026-12-25", "name": "Christmas Day", "source": "REGION"},
    ]
    tier = s["tiers"][0]["id"]
    await set_layers(
        api,
        tier,
        [
            weekly("Weekly", "2026-11-23T09:00", [a], timezone="America/New_York", index=1),
            weekly(
                "Skips",
                "2026-11-23T09:00",
                [b],
                unit="DAY",
                timezone="America/New_York",
                onHolidays="SKIP",
                index=2,
            ),
            weekly(
                "Holidays",
                "2026-11-23T09:00",
                [c],
                unit="DAY",
                timezone="America/New_York",
                onHolidays="ONLY",
                index=3,
            ),
        ],
    )
    names = await shift_names(api, tier, "2026-11-25T14:00:00Z", "2026-11-28T14:00:00Z")
    assert names == [
        ("2026-11-25T14:00", "Bob"),
        ("2026-11-26T14:00", "Cid"),  # Thanksgiving: the holiday layer on top
        ("2026-11-27T14:00", "Bob"),
    ]
    before = await table_counts()
    for mutation, variables, field in (
        (
            'mutation($s: ID!) { updateSchedule(id: $s, input: {holidayCalendar: {region: "DE-BX"}}) { id } }',
            {"s": s["id"]},
            "input.holidayCalendar.region",
        ),
        (
            'mutation($c: ID!) { updateContact(id: $c, input: {holidayRegion: "GB-XYZ"}) { id } }',
            {"c": a},
            "input.holidayRegion",
        ),
    ):
        error = await api.error(mutation, variables)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        [problem] = error["extensions"]["errors"]
        assert problem["field"] == field and "close matches" in problem["message"]
    assert (
        "DE-BY"
        in (
            await api.error(
                'mutation($s: ID!) { updateSchedule(id: $s, input: {holidayCalendar: {region: "DE-BX"}}) { id } }',
                {"s": s["id"]},
            )
        )["extensions"]["errors"][0]["message"]
    )
    assert await table_counts() == before
    # Without the calendar, Thanksgiving is an ordinary day.
    await api.ok(
        "mutation($s: ID!) { updateSchedule(id: $s, input: {holidayCalendar: null}) { id } }",
        {"s": s["id"]},
    )
    names = await shift_names(api, tier, "2026-11-26T14:00:00Z", "2026-11-27T14:00:00Z")
    assert names == [("2026-11-26T14:00", "Bob")]


async def test_participant_holidays_follow_the_contacts_region(api: Api) -> None:
    [ann, bob] = await contacts(api, "Ann", "Bob", timezone="Europe/Berlin")
    await api.ok(
        'mutation($c: ID!) { updateContact(id: $c, input: {holidayRegion: "DE-BY"}) { holidayRegion } }',
        {"c": ann},
    )
    s = await schedule(api)
    tier = s["tiers"][0]["id"]
    await set_layers(
        api,
        tier,
        [
            weekly(
                "Weekly",
                "2026-09-28T00:00",
                [ann, bob],
                timezone="Europe/Berlin",
                participantHolidays=True,
            )
        ],
    )
    # German Unity Day, Saturday 3 October 2026: Ann (Bavaria) is off for the Berlin date.
    assert await shift_names(api, tier, "2026-10-02T22:00:00Z", "2026-10-03T22:00:00Z") == [
        ("2026-10-02T22:00", "Bob")
    ]
    await api.ok(
        "mutation($c: ID!) { updateContact(id: $c, input: {holidayRegion: null}) { holidayRegion } }",
        {"c": ann},
    )
    assert await shift_names(api, tier, "2026-10-02T22:00:00Z", "2026-10-03T22:00:00Z") == [
        ("2026-10-02T22:00", "Ann")
    ]


PREVIEW = """query($t: ID!, $d: TierDraftInput!) { previewTier(tierId: $t, draft: $d,
  from: "2026-03-02T00:00:00Z", to: "2026-03-16T00:00:00Z") {
  diff { start change before { name } after { name } } } }"""


async def test_preview_drafts_try_each_rule(api: Api) -> None:
    people = await contacts(api, "Ann", "Bob", "Cid")
    s = await schedule(api)
    tier = s["tiers"][0]["id"]
    weekdays = [
        {"kind": "WEEKLY", "startWeekday": day, "startTime": "09:00", "durationMinutes": 480}
        for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")
    ]
    base = weekly("Desk", "2026-03-02T09:00", people, unit="DAY", restrictions=weekdays)
    [stored] = await set_layers(api, tier, [base])
    drafts: dict[str, dict[str, Any]] = {
        "advance": {"advance": "ACTIVE_TURNS"},
        "pauses": {"pauses": [{"from": "2026-03-04", "to": "2026-03-05"}]},
        "workingHours": {
            "participants": [
                {"contactId": people[0], "workingHours": {"start": "09:00", "end": "12:00"}},
                {"contactId": people[1]},
                {"contactId": people[2]},
            ]
        },
        "roster": {"participants": [{"contactId": people[0]}, {"contactId": people[1]}]},
    }
    changes = {}
    for rule, fields in drafts.items():
        draft = {"layers": [{**base, **fields, "id": stored["id"]}]}
        diff = (await api.ok(PREVIEW, {"t": tier, "d": draft}))["previewTier"]["diff"]
        changes[rule] = {d["change"] for d in diff}
        assert all(d["start"] >= "2026-03-02T12:00" for d in diff) or rule != "roster"
    assert changes == {
        "advance": {"REASSIGNED"},  # the weekend no longer advances the rotation
        "pauses": {"REMOVED"},  # EVERY_TURN: the handoffs and who follows stay
        "workingHours": {"REASSIGNED"},
        "roster": {"REASSIGNED"},
    }


async def test_the_upgrade_report_names_tiers_whose_confirmed_future_changes(api: Api) -> None:
    """Rows confirmed by the previous release (first replacement in input order won) differ
    from what this release computes (the newest wins): the report names that tier from the
    first changed instant, and nothing else."""
    from app.shifts.upgrade import upgrade_report

    a, b, old_sub, new_sub = await contacts(api, "Ann", "Bob", "Old", "New")
    changed = await schedule(api, "Changed", horizon=5)
    same = await schedule(api, "Same", horizon=5)
    for s in (changed, same):
        await set_layers(
            api, s["tiers"][0]["id"], [weekly("Daily", "2026-03-01T09:00", [a, b], unit="DAY")]
        )
    day = {"type": "OCCURRENCE", "from": "2026-03-04", "to": "2026-03-04"}
    await api.ok(
        "mutation($i: [CreateSubstitutionInput!]!) { createSubstitutions(inputs: $i) { id } }",
        {
            "i": [
                {
                    "contactId": a,
                    "replacementId": old_sub,
                    "scheduleId": changed["id"],
                    "recurrence": day,
                },
                {
                    "contactId": a,
                    "replacementId": new_sub,
                    "scheduleId": changed["id"],
                    "recurrence": day,
                },
            ]
        },
    )
    for s in (changed, same):
        await api.ok(CONFIRM, {"s": s["id"]})
    assert await upgrade_report(now=api.clock.now()) == []
    # What the previous release confirmed for March 4th: the older replacement.
    from app.api.relay import decode_id

    ids = {
        c["name"]: c["id"]
        for c in (await api.ok("{ contacts { nodes { id name } } }"))["contacts"]["nodes"]
    }
    old_pk, new_pk = decode_id(ids["Old"], "Contact"), decode_id(ids["New"], "Contact")
    rows = [r for r in await shift_models.Shift.all() if r.assignees == [new_pk]]
    assert rows
    for row in rows:
        row.assignees = [old_pk]
        row.positions = [old_pk]
        await row.save()
    [report] = await upgrade_report(now=api.clock.now())
    assert (report.schedule_name, report.tier_number) == ("Changed", 1)
    assert report.first_changed.isoformat() == "2026-03-04T00:00:00+00:00"


HOLIDAY_PREVIEW = """query($t: ID!, $d: TierDraftInput!) { previewTier(tierId: $t, draft: $d,
  from: "2026-05-24T00:00:00Z", to: "2026-05-27T00:00:00Z") {
  diff { start end change before { name } after { name } } } }"""


async def test_preview_drafts_try_the_holiday_rules(api: Api) -> None:
    """Memorial Day (Monday 25 May 2026, US): a draft with SKIP removes it, a draft with ONLY
    keeps only it, and participantHolidays hands Ann's own holiday to Bob."""
    ann, bob = await contacts(api, "Ann", "Bob")
    await api.ok(
        'mutation($c: ID!) { updateContact(id: $c, input: {holidayRegion: "US"}) { id } }',
        {"c": ann},
    )
    created = await api.ok(
        'mutation { createSchedule(input: {name: "S", holidayCalendar: {region: "US"}}) '
        "{ tiers { id } } }"
    )
    tier = created["createSchedule"]["tiers"][0]["id"]
    base = weekly("Weekly", "2026-05-11T00:00", [ann, bob])  # Ann from 25 May
    [stored] = await set_layers(api, tier, [base])

    async def diff(**fields: Any) -> list[tuple[str, str, str, list[str]]]:
        draft = {"layers": [{**base, **fields, "id": stored["id"]}]}
        found = (await api.ok(HOLIDAY_PREVIEW, {"t": tier, "d": draft}))["previewTier"]["diff"]
        return [
            (d["start"][:10], d["end"][:10], d["change"], [a["name"] for a in d["after"]])
            for d in found
        ]

    assert await diff(onHolidays="SKIP") == [("2026-05-25", "2026-05-26", "REMOVED", [])]
    assert await diff(onHolidays="ONLY") == [
        ("2026-05-24", "2026-05-25", "REMOVED", []),
        ("2026-05-26", "2026-05-27", "REMOVED", []),
    ]
    assert await diff(participantHolidays=True) == [
        ("2026-05-25", "2026-05-26", "REASSIGNED", ["Bob"])
    ]
