"""Bounded cost per request (issue 12, finding 1): the cost model checked before execution,
the response size cap, the execution time limit, the timeline cache bounded in bytes, and
/healthz answering while maximum-cost queries run."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.engine import compute_timeline
from app.tiers import models as tier_models
from app.timelines import cache as timeline_cache
from app.timelines.inputs import load_tier_inputs
from tests.processes import start_app_server
from tests.support import Api, in_ci, prepare_database, running_app, table_counts
from tests.timelines.factories import contacts, schedule, set_layers, weekly

YEAR = {"from": "2026-03-01T00:00:00Z", "to": "2027-03-02T00:00:00Z"}


def aliases_of_shifts(schedule_id: str, count: int, start: str, end: str) -> str:
    fields = " ".join(
        f'a{i}: schedule(id: "{schedule_id}") {{ tiers {{ shifts(from: "{start}", to: "{end}") '
        "{ start end assignees { name } } } }"
        for i in range(count)
    )
    return "query Attack { " + fields + " }"


async def hourly_schedule(api: Api, tiers: int, people: int = 4) -> dict[str, Any]:
    who = await contacts(api, *[f"P{i}" for i in range(people)])
    s = await schedule(api, "Hourly", tiers=tiers)
    for tier in s["tiers"]:
        await set_layers(api, tier["id"], [weekly("H", "2026-01-01T00:00", who, unit="HOUR")])
    return s


async def test_the_shifts_attack_is_refused_before_it_runs(api: Api) -> None:
    s = await schedule(api, "Twenty", tiers=20)
    document = aliases_of_shifts(s["id"], 29, YEAR["from"], YEAR["to"])
    started = time.perf_counter()
    error = await api.error(document, token=api.tokens["VIEWER"])
    assert time.perf_counter() - started < 5  # nothing was computed (normally milliseconds)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    # 29 aliases x 20 tiers (the most a schedule has) x 366 days.
    assert error["extensions"]["cost"] == 29 * 20 * 366
    assert error["extensions"]["limit"] == 100_000
    assert "212,280 tier-days" in error["message"] and "100,000" in error["message"]
    # One alias of the same is within the limit.
    one = aliases_of_shifts(s["id"], 1, YEAR["from"], YEAR["to"])
    assert "a0" in await api.ok(one, token=api.tokens["VIEWER"])


async def test_fragments_and_lists_multiply_the_cost(backend: str, tmp_path: Path) -> None:
    url = await prepare_database(backend, tmp_path)
    async with running_app(url, backend, max_query_cost=1000) as api:
        s = await schedule(api, "S", tiers=1)
        tier = s["tiers"][0]["id"]
        # 10 days on one tier = 10; spread through a fragment in 5 aliases = 50.
        spread = (
            "query { "
            + " ".join(f'a{i}: tier(id: "{tier}") {{ ...W }}' for i in range(5))
            + ' } fragment W on Tier { shifts(from: "2026-03-01T00:00:00Z", to: "2026-03-11T00:00:00Z") { start } }'
        )
        assert len((await api.ok(spread)).keys()) == 5
        # schedules (a page of 100) x tiers (20) x 10 days = 20,000 > 1,000.
        page = '{ schedules { edges { node { tiers { shifts(from: "2026-03-01T00:00:00Z", to: "2026-03-11T00:00:00Z") { start } } } } } }'
        error = await api.error(page)
        assert error["extensions"]["cost"] == 20_000
        # A smaller page fits: 2 x 20 x 10 = 400.
        assert await api.ok(page.replace("schedules {", "schedules(first: 2) {"))
        # Windows in variables count the same.
        variables = {"f": "2026-03-01T00:00:00Z", "t": "2026-04-01T00:00:00Z"}
        windowed = "query($f: DateTime!, $t: DateTime!) { schedules(first: 2) { edges { node { tiers { shifts(from: $f, to: $t) { start } } } } } }"
        error = await api.error(windowed, variables)
        assert error["extensions"]["cost"] == 2 * 20 * 31


async def test_draft_layers_in_variables_count(api: Api) -> None:
    s = await schedule(api, "S", tiers=1)
    (ann,) = await contacts(api, "Ann")
    preview = """query($t: ID!, $d: TierDraftInput!, $f: DateTime!, $to: DateTime!) {
      previewTier(tierId: $t, draft: $d, from: $f, to: $to) { diff { start } } }"""
    hourly = weekly("H", "2026-01-01T00:00", [ann], unit="HOUR")
    base = {"t": s["tiers"][0]["id"], "f": YEAR["from"], "to": YEAR["to"]}
    before = await table_counts()
    error = await api.error(preview, {**base, "d": {"layers": [hourly] * 40}})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    # 366 days x (the saved tier + 40 hourly layers weighing 24 each).
    assert error["extensions"]["cost"] == 366 * (1 + 40 * 24)
    assert await table_counts() == before
    daily = weekly("D", "2026-01-01T00:00", [ann], unit="DAY")
    assert await api.ok(preview, {**base, "d": {"layers": [daily] * 3}})


async def test_cover_and_ledger_fields_count(api: Api) -> None:
    """Cover candidates compute the schedule's tiers around the request's window (not in the
    document: the longest a request may be), suggestCover and the ledger their window."""
    s = await schedule(api, "S", tiers=1)
    listing = "{ coverRequests%s { edges { node { candidates { name } } } } }"
    error = await api.error(listing % "", token=api.tokens["VIEWER"])
    # A page of 100 requests x (366 days + 14 around them) x 20 tiers.
    assert error["extensions"]["cost"] == 100 * (366 + 14) * 20
    assert await api.ok(listing % "(first: 10)", token=api.tokens["VIEWER"])
    suggest = """query($s: ID!) { a: suggestCover(scheduleId: $s, from: "2026-03-01T00:00:00Z",
      to: "2026-03-11T00:00:00Z") { contact { name } } }"""
    year = suggest.replace("2026-03-11", "2027-03-01")
    many = (
        "query($s: ID!) { "
        + " ".join(
            f'a{i}: suggestCover(scheduleId: $s, from: "{YEAR["from"]}", to: "{YEAR["to"]}") '
            "{ contact { name } }"
            for i in range(14)
        )
        + " }"
    )
    assert await api.ok(suggest, {"s": s["id"]})
    assert await api.ok(year, {"s": s["id"]})
    error = await api.error(many, {"s": s["id"]})
    assert error["extensions"]["cost"] == 14 * (366 + 14) * 20
    ledgers = " ".join(
        f'l{i}: ledger(from: "{YEAR["from"]}", to: "{YEAR["to"]}") {{ totalCount }}'
        for i in range(14)
    )
    ledger = "{ " + ledgers + " }"
    assert (await api.error(ledger))["extensions"]["cost"] == 14 * 366 * 20


async def test_the_response_size_is_capped(backend: str, tmp_path: Path) -> None:
    url = await prepare_database(backend, tmp_path)
    async with running_app(url, backend, max_response_bytes=5_000) as api:
        s = await hourly_schedule(api, tiers=1)
        week = aliases_of_shifts(s["id"], 1, "2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z")
        response = await api.client.post(
            "/graphql",
            json={"query": week},
            headers={"Authorization": f"Bearer {api.tokens['VIEWER']}"},
        )
        assert response.status_code == 200 and len(response.content) < 5_000
        error = response.json()["errors"][0]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "limit": 5_000}
        assert "MAX_RESPONSE_BYTES" in error["message"]
        day = aliases_of_shifts(s["id"], 1, "2026-03-01T00:00:00Z", "2026-03-01T06:00:00Z")
        assert await api.ok(day)


async def test_queries_stop_at_the_time_limit(backend: str, tmp_path: Path) -> None:
    url = await prepare_database(backend, tmp_path)
    async with running_app(url, backend, execution_seconds=0.05) as api:
        s = await hourly_schedule(api, tiers=4)
        year = aliases_of_shifts(s["id"], 1, YEAR["from"], YEAR["to"])
        error = await api.error(year, token=api.tokens["VIEWER"])
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "longer than 0.05 seconds" in error["message"]
        # Mutations are never cut short: they commit or roll back whole.
        assert await api.ok('mutation { createContact(input: {name: "Zed"}) { id } }')


async def test_the_timeline_cache_is_bounded_in_bytes(api: Api) -> None:
    s = await hourly_schedule(api, tiers=3)
    tiers = await tier_models.Tier.filter(schedule_id__isnull=False).order_by("id")
    start = datetime(2026, 3, 1, tzinfo=UTC)
    inputs = await load_tier_inputs(
        org_id=api.org_id, tiers=tiers, until=start + timedelta(days=60)
    )
    # The estimate is within a factor of two of what a timeline really holds.
    tracemalloc.start()
    first = tracemalloc.take_snapshot()
    timeline = compute_timeline(inputs[tiers[0].id], start, start + timedelta(days=60))
    held = sum(stat.size_diff for stat in tracemalloc.take_snapshot().compare_to(first, "filename"))
    tracemalloc.stop()
    estimate = timeline_cache.size_of(timeline)
    assert held / 2 < estimate < held * 2, (held, estimate)

    small = timeline_cache.TimelineCache(max_entries=1000, max_bytes=3 * estimate)
    for day in range(10):
        for tier in tiers:
            window = start + timedelta(days=day)
            small.put(
                (tier.id, 1, window, window + timedelta(days=60)),
                compute_timeline(inputs[tier.id], window, window + timedelta(days=60)),
            )
            assert small.bytes <= small.max_bytes
    assert 1 <= len(small) <= 3 and small.evictions >= 27
    huge = compute_timeline(inputs[tiers[0].id], start, start + timedelta(days=366))
    small.put((tiers[0].id, 1, start, start + timedelta(days=366)), huge)  # over the bound
    assert small.bytes <= small.max_bytes
    assert s["id"]


# Probes /healthz every 20 ms from a process of its own (so the test's own event loop, busy
# reading the big answers, never delays a probe) until a line arrives on stdin; prints the
# latencies as JSON.
PROBE = """
import http.client, json, sys, threading, time
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
port, latencies = int(sys.argv[1]), []
while not stop.is_set() or len(latencies) < 50:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/healthz")
    response = connection.getresponse()
    response.read()
    latencies.append(time.perf_counter() - started)
    connection.close()
    assert response.status == 200, response.status
    time.sleep(0.02)
print(json.dumps(latencies))
"""


GOAL_P99 = 0.1


async def test_healthz_answers_while_maximum_cost_queries_run(tmp_path: Path) -> None:
    """Four queries at MAX_QUERY_COST (each: a different 30-day window of 20 hourly tiers,
    nothing cached) run on a real server while /healthz is probed; its p99 must be under
    100 ms. On a shared machine another process can take the CPU for a while: up to three
    rounds are run and one must meet the bound (a stalled event loop fails all three).
    Outside CI, on a machine already oversubscribed by other processes, the bound says
    nothing about this service: the test is skipped then."""
    busy = os.getloadavg()[0]
    if not in_ci() and busy > 2 * (os.cpu_count() or 1):
        pytest.skip(f"load average {busy:.1f} on {os.cpu_count()} CPUs: latency not measurable")
    url = await prepare_database("sqlite", tmp_path)
    async with running_app(url, "sqlite") as api:
        s = await hourly_schedule(api, tiers=20)
        token = api.tokens["VIEWER"]
    days = 30
    server = await start_app_server(
        url, tmp_path / "server.log", env={"MAX_QUERY_COST": str(20 * days)}
    )
    rounds: list[tuple[float, float, int]] = []
    try:
        async with httpx.AsyncClient(base_url=server.base, timeout=120) as client:
            headers = {"Authorization": f"Bearer {token}"}

            async def heavy(n: int) -> httpx.Response:
                start = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(days=n)
                end = start + timedelta(days=days)
                document = aliases_of_shifts(s["id"], 1, start.isoformat(), end.isoformat())
                return await client.post("/graphql", json={"query": document}, headers=headers)

            over = aliases_of_shifts(s["id"], 2, YEAR["from"], YEAR["to"])
            refused = await client.post("/graphql", json={"query": over}, headers=headers)
            assert refused.json()["errors"][0]["extensions"]["limit"] == 20 * days
            for attempt in range(3):
                probe = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-c",
                    PROBE,
                    str(server.port),
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                )
                answers = await asyncio.gather(*(heavy(4 * attempt + n) for n in range(4)))
                out, _ = await probe.communicate(b"stop\n")
                assert probe.returncode == 0
                for answer in answers:
                    tiers = answer.json()["data"]["a0"]["tiers"]
                    assert len(tiers) == 20 and all(len(t["shifts"]) >= days * 24 for t in tiers)
                latencies = json.loads(out)
                p99 = statistics.quantiles(latencies, n=100)[98]
                rounds.append((p99, max(latencies), len(latencies)))
                if p99 < GOAL_P99:
                    break
        print(
            f"/healthz under four maximum-cost queries: p99 {rounds[-1][0] * 1000:.0f} ms "
            f"(goal < {GOAL_P99 * 1000:.0f} ms); rounds (p99, max, probes): {rounds}"
        )
        assert rounds[-1][0] < GOAL_P99, f"(p99, max, probes) of each round: {rounds}"
    finally:
        server.stop()
