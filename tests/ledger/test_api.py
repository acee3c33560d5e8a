"""The ledger, pay rules, the pay report (GraphQL and CSV) and cover suggestions through the
whole app, on SQLite and PostgreSQL. Figures are hand-computed in the comments."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from tests.support import Api, count_sql, table_counts
from tests.timelines.factories import contacts, schedule, set_layers, weekly

CONFIRM = "mutation($s: ID!) { confirmAssignments(scheduleId: $s) { newAssignment } }"
ON_DEMAND = """mutation($i: CreateOnDemandShiftInput!) { createOnDemandShift(input: $i) { id } }"""
FIGURES = "shiftCount hours nightHours weekendHours holidayHours onDemandHours substitutionHours"
LEDGER = f"""query($from: DateTime!, $to: DateTime!, $period: LedgerPeriod, $tz: String,
  $per: Boolean, $filter: LedgerFilter, $order: [LedgerOrder!], $first: Int) {{
  ledger(from: $from, to: $to, period: $period, timezone: $tz, perSchedule: $per,
    filter: $filter, orderBy: $order, first: $first) {{
    totalCount
    nodes {{ contact {{ name }} schedule {{ name }} periodStart periodEnd figures {{ {FIGURES} }} }}
  }}
}}"""
UPDATE = (
    "mutation($id: ID!, $i: UpdateScheduleInput!) { updateSchedule(id: $id, input: $i) { id } }"
)
SET_RULE = """mutation($i: SetPayRuleInput!) { setPayRule(input: $i) {
  id effectiveFrom currency basis rate nightMultiplier weekendMultiplier holidayMultiplier } }"""
PAY = """query($from: DateTime!, $to: DateTime!, $s: [ID!]) { payReport(from: $from, to: $to,
  scheduleIds: $s) { contact { name } schedule { name } currency amount paidHours paidShifts
  figures { hours nightHours } } }"""
SUGGEST = f"""query($s: ID!, $from: DateTime!, $to: DateTime!) {{
  suggestCover(scheduleId: $s, from: $from, to: $to) {{
    contact {{ name }} loadFrom loadTo load {{ {FIGURES} }} }} }}"""


async def ledger(api: Api, **variables: Any) -> dict[str, Any]:
    data = await api.ok(LEDGER, variables)
    result: dict[str, Any] = data["ledger"]
    return result


def rows(page: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            n["contact"]["name"],
            n["schedule"]["name"] if n["schedule"] else None,
            n["periodStart"][5:16],
            n["figures"]["shiftCount"],
            n["figures"]["hours"],
            n["figures"]["nightHours"],
            n["figures"]["weekendHours"],
            n["figures"]["onDemandHours"],
        )
        for n in page["nodes"]
    ]


async def bob_always(api: Api, name: str = "Ops") -> tuple[dict[str, Any], list[str]]:
    """Bob on call all the time (a daily rotation of one, from Monday 2026-03-02 09:00 UTC),
    Ann and Cid as contacts."""
    ids = await contacts(api, "Ann", "Bob", "Cid")
    s = await schedule(api, name)
    await set_layers(
        api, s["tiers"][0]["id"], [weekly("Daily", "2026-03-02T09:00", [ids[1]], unit="DAY")]
    )
    return s, ids


async def test_ledger_weeks_per_schedule_from_confirmed_rows_only(api: Api) -> None:
    ops, (ann, _, cid) = await bob_always(api)
    db = await schedule(api, "Db")
    tier = ops["tiers"][0]["id"]
    await api.ok(
        ON_DEMAND,
        {
            "i": {
                "tierId": tier,
                "start": "2026-03-03T09:00:00Z",
                "end": "2026-03-03T17:00:00Z",
                "contactIds": [ann],
            }
        },
    )
    await api.ok(
        ON_DEMAND,
        {
            "i": {
                "tierId": db["tiers"][0]["id"],
                "start": "2026-03-10T00:00:00Z",
                "end": "2026-03-10T04:00:00Z",
                "contactIds": [ann],
            }
        },
    )
    holiday = {"extraDates": [{"date": "2026-03-10", "name": "Team day"}]}
    await api.ok(UPDATE, {"id": db["id"], "i": {"holidayCalendar": holiday}})
    for s in (ops, db):
        await api.ok(CONFIRM, {"s": s["id"]})  # Monday 03-02 12:00: rows from now on
    api.clock.set(datetime(2026, 3, 16, tzinfo=UTC))
    # Today's rules say Cid: the past two weeks stay as confirmed (Bob and Ann).
    await set_layers(api, tier, [weekly("Daily", "2026-03-02T09:00", [cid], unit="DAY")])
    window = {"from": "2026-03-02T12:00:00Z", "to": "2026-03-16T00:00:00Z", "period": "WEEK"}
    page = await ledger(api, **window)
    # Bob, week 1 [03-02 12:00, 03-09): 156 h less Ann's 8; two shifts (before and after
    # Ann's); nights 03-02..03-07 (6 x 8) + 03-08 22:00-24:00; the whole weekend.
    # Week 2: the second shift runs on (counted once, in week 1); 6 + 6 x 8 + 2 night hours.
    assert rows(page) == [
        ("Bob", None, "03-02T12:00", 2, 148.0, 50.0, 48.0, 0.0),
        ("Ann", None, "03-02T12:00", 1, 8.0, 0.0, 0.0, 8.0),
        ("Bob", None, "03-09T00:00", 0, 168.0, 56.0, 48.0, 0.0),
        ("Ann", None, "03-09T00:00", 1, 4.0, 4.0, 0.0, 4.0),
    ]
    assert page["nodes"][0]["periodEnd"] == "2026-03-09T00:00:00+00:00"
    per = await ledger(
        api,
        **window,
        per=True,
        filter={"contactIds": [ann]},
        order=[{"field": "HOURS", "direction": "ASC"}],
        first=1,
    )
    assert per["totalCount"] == 2
    assert rows(per) == [("Ann", "Db", "03-09T00:00", 1, 4.0, 4.0, 0.0, 4.0)]
    only_db = await ledger(api, **window, filter={"scheduleIds": [db["id"]]})
    assert [n["contact"]["name"] for n in only_db["nodes"]] == ["Ann"]
    # Db's calendar has 10 March: Ann's 4 hours there are holiday hours; Ops has no calendar.
    assert [n["figures"]["holidayHours"] for n in only_db["nodes"]] == [4.0]
    assert [n["figures"]["holidayHours"] for n in page["nodes"]] == [0.0, 0.0, 0.0, 4.0]


async def test_ledger_bad_input_names_the_field(api: Api) -> None:
    base = {"from": "2026-03-02T00:00:00Z", "to": "2026-03-09T00:00:00Z"}
    for extra, field in (
        ({"tz": "Mars/Base"}, "timezone"),
        ({"to": "2027-06-01T00:00:00Z"}, "to"),
        ({"to": "2026-03-01T00:00:00Z"}, "to"),
    ):
        error = await api.error(LEDGER, {**base, **extra})
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["fields"] == [field]


def rule(schedule_id: str, day: str, rate: str, **extra: Any) -> dict[str, Any]:
    return {
        "i": {
            "scheduleId": schedule_id,
            "effectiveFrom": day,
            "currency": "EUR",
            "basis": "HOURLY",
            "rate": rate,
            "nightMultiplier": "1.5",
            "weekendMultiplier": "2",
            **extra,
        }
    }


async def pay(api: Api, start: str, end: str, role: str = "EDITOR") -> list[tuple[Any, ...]]:
    data = await api.ok(PAY, {"from": start, "to": end}, token=api.tokens[role])
    return [
        (x["contact"]["name"], x["currency"], x["amount"], x["paidHours"])
        for x in data["payReport"]
    ]


async def test_pay_report_with_a_rule_change_and_its_csv(api: Api) -> None:
    ops, _ = await bob_always(api)
    await api.ok(CONFIRM, {"s": ops["id"]})
    made = await api.ok(SET_RULE, rule(ops["id"], "2026-03-02", "10"))
    assert made["setPayRule"]["rate"] == "10" and made["setPayRule"]["basis"] == "HOURLY"
    # [03-02 12:00, 03-05): 60 h, 18 of them at night: 42 x 10 + 18 x 15 = 690.
    early = ("2026-03-02T12:00:00Z", "2026-03-05T00:00:00Z")
    assert await pay(api, *early) == [("Bob", "EUR", "690.00", 60.0)]
    api.clock.set(datetime(2026, 3, 4, 12, tzinfo=UTC))
    before = await table_counts()
    refused = await api.error(SET_RULE, rule(ops["id"], "2026-03-03", "20"))
    assert refused["extensions"]["fields"] == ["input.effectiveFrom"]
    bad = await api.error(SET_RULE, rule(ops["id"], "2026-03-09", "-1", currency="eur"))
    assert bad["extensions"]["fields"] == ["input.currency", "input.rate"]
    assert await table_counts() == before
    await api.ok(SET_RULE, rule(ops["id"], "2026-03-05", "20"))
    assert await pay(api, *early) == [("Bob", "EUR", "690.00", 60.0)]  # the past keeps its rule
    # Thursday 03-05 at 20: 16 h x 20 + 8 night hours x 30 = 560, after the 690.
    window = {"from": "2026-03-02T12:00:00Z", "to": "2026-03-06T00:00:00Z"}
    assert await pay(api, window["from"], window["to"]) == [("Bob", "EUR", "1250.00", 84.0)]

    csv = await api.client.get(
        "/reports/pay.csv",
        params=window,
        headers={"Authorization": f"Bearer {api.tokens['EDITOR']}"},
    )
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0].startswith("contact_id,contact,schedule_id,schedule,currency,amount")
    assert lines[1].split(",")[1:9] == ["Bob", ops["id"], "Ops", "EUR", "1250.00", "84", "0", "84"]
    assert len(lines) == 2
    viewer = await api.client.get(
        "/reports/pay.csv",
        params=window,
        headers={"Authorization": f"Bearer {api.tokens['VIEWER']}"},
    )
    assert viewer.status_code == 403
    assert (await api.client.get("/reports/pay.csv", params=window)).status_code == 401
    odd = await api.client.get(
        "/reports/pay.csv",
        params={**window, "from": "yesterday"},
        headers={"Authorization": f"Bearer {api.tokens['EDITOR']}"},
    )
    assert odd.status_code == 400 and odd.text.startswith("from:")
    foreign = await api.client.get(
        "/reports/pay.csv",
        params={**window, "scheduleId": "x"},
        headers={"Authorization": f"Bearer {api.tokens['EDITOR']}"},
    )
    assert foreign.status_code in (400, 404) and "scheduleId" in foreign.text
    viewer_gql = await api.error(
        PAY, {"from": window["from"], "to": window["to"]}, token=api.tokens["VIEWER"]
    )
    assert viewer_gql["extensions"]["code"] == "FORBIDDEN"


async def test_suggest_cover_and_cover_candidates_rank_least_loaded_first(api: Api) -> None:
    from tests.cover_requests.factories import request, rota

    r = await rota(api)  # Ann 03-02, Bob 03-03, Cid 03-04, Ann 03-05 ... 09:00 to 09:00
    await api.ok(
        ON_DEMAND,
        {
            "i": {
                "tierId": r.tier,
                "start": "2026-03-05T10:00:00Z",
                "end": "2026-03-05T12:00:00Z",
                "contactIds": [r.ids["Bob"]],
            }
        },
    )
    await api.ok(CONFIRM, {"s": r.schedule})
    window = ("2026-03-08T12:00:00Z", "2026-03-08T18:00:00Z")  # Ann's turn
    data = await api.ok(SUGGEST, {"s": r.schedule, "from": window[0], "to": window[1]})
    found = data["suggestCover"]
    # Confirmed since 03-02 12:00: Cid 03-04 and 03-07 (48 h), Bob 03-03, 03-06 and two
    # on-demand hours (50 h). By name Bob would come first; by load Cid does.
    assert [
        (x["contact"]["name"], x["load"]["hours"], x["load"]["nightHours"], x["load"]["shiftCount"])
        for x in found
    ] == [("Cid", 48.0, 16.0, 2), ("Bob", 50.0, 16.0, 3)]
    assert found[0]["loadFrom"] == "2025-12-08T12:00:00+00:00"
    assert found[0]["loadTo"] == "2026-03-08T12:00:00+00:00"
    asked = await request(api, r, "Ann", *window)
    assert [c["name"] for c in asked["candidates"]] == ["Cid", "Bob"]
    error = await api.error(SUGGEST, {"s": r.schedule, "from": window[1], "to": window[0]})
    assert error["extensions"]["fields"] == ["to"]


# Reads every request may make besides its own: the organization's data version (read once when
# the process has not yet heard of a write through pub/sub, so it depends on event timing) and
# the token (remembered for a second).
_REQUEST_BOOKKEEPING = re.compile(r'FROM "(organization|api_token)"')


def _own(statements: list[str]) -> int:
    return sum(1 for s in statements if not _REQUEST_BOOKKEEPING.search(s))


async def test_ledger_and_pay_report_sql_does_not_grow_with_schedules(api: Api) -> None:
    window = {"from": "2026-03-02T12:00:00Z", "to": "2026-03-09T00:00:00Z"}
    counts = []
    for name in ("A", "B", "C"):
        s, _ = await bob_always(api, name)
        await api.ok(CONFIRM, {"s": s["id"]})
        await api.ok(SET_RULE, rule(s["id"], "2026-03-02", "10"))
        with count_sql() as ledger_sql:
            await ledger(api, **window, period="WEEK", per=True)
        with count_sql() as pay_sql:  # ADMIN: the token the ledger call just used
            await pay(api, window["from"], window["to"], role="ADMIN")
        counts.append((_own(ledger_sql), _own(pay_sql)))
    assert counts[0] == counts[1] == counts[2]
    assert counts[0] == (4, 5), counts  # schedules, tiers, rows, contacts (+ pay rules)
