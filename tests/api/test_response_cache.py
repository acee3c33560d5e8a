"""The response cache: never stale, per caller, bounded, counted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest_asyncio

from tests.support import NOW, Api, count_sql, prepare_database, running_app
from tests.timelines.factories import contacts, schedule, set_layers, weekly

CONTACTS = "{ contacts { totalCount nodes { name } } }"


@pytest_asyncio.fixture
async def cached(backend: str, tmp_path: Path) -> AsyncIterator[Api]:
    url = await prepare_database(backend, tmp_path)
    async with running_app(url, backend, response_cache_entries=100) as api:
        yield api


async def metrics(api: Api) -> dict[str, int]:
    auth = {"Authorization": f"Bearer {api.tokens['VIEWER']}"}
    text = (await api.client.get("/metrics", headers=auth)).text
    out = {}
    for line in text.splitlines():
        name, value = line.rsplit(" ", 1)
        out[name.removeprefix("rotagraph_response_cache_")] = int(value)
    return out


async def test_a_repeated_query_is_served_from_the_cache_without_sql(cached: Api) -> None:
    api = cached
    await contacts(api, "Ann")
    first = await api.ok(CONTACTS)
    with count_sql() as statements:
        again = await api.ok(CONTACTS)
    assert again == first
    assert statements == []  # not even the token: it is remembered, and the version is known
    assert (await metrics(api))["hits"] == 1


async def test_a_write_is_read_back_at_once(cached: Api) -> None:
    api = cached
    await contacts(api, "Ann")
    assert (await api.ok(CONTACTS))["contacts"]["totalCount"] == 1
    await contacts(api, "Bob")
    data = await api.ok(CONTACTS)
    assert data["contacts"]["totalCount"] == 2
    assert [n["name"] for n in data["contacts"]["nodes"]] == ["Ann", "Bob"]


async def test_callers_never_share_an_entry(cached: Api) -> None:
    api = cached
    query = "{ viewer { role token { name } } }"
    admin = await api.ok(query)
    viewer = await api.ok(query, token=api.tokens["VIEWER"])
    editor = await api.ok(query, token=api.tokens["EDITOR"])
    assert admin["viewer"]["role"] == "ADMIN" and viewer["viewer"]["role"] == "VIEWER"
    assert editor["viewer"]["role"] == "EDITOR"
    assert await api.ok(query, token=api.tokens["VIEWER"]) == viewer
    # A viewer's refusal is never served to an admin, nor the other way round.
    error = await api.error("{ apiTokens { totalCount } }", token=api.tokens["VIEWER"])
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert (await api.ok("{ apiTokens { totalCount } }"))["apiTokens"]["totalCount"] == 3


async def test_on_call_now_changes_at_a_handoff_with_no_write(cached: Api) -> None:
    api = cached
    a, b = await contacts(api, "Ann", "Bob")
    s = await schedule(api)
    await set_layers(
        api, s["tiers"][0]["id"], [weekly("Daily", "2026-03-01T09:00", [a, b], unit="DAY")]
    )
    query = "query($s: ID!) { schedule(id: $s) { onCallNow { assignees { name } } } }"
    api.clock.set(NOW.replace(hour=8, minute=59))
    for _ in range(2):
        data = await api.ok(query, {"s": s["id"]})
        assert data["schedule"]["onCallNow"][0]["assignees"] == [{"name": "Ann"}]
    assert (await metrics(api))["hits"] >= 1
    api.clock.advance(timedelta(minutes=1))
    data = await api.ok(query, {"s": s["id"]})
    assert data["schedule"]["onCallNow"][0]["assignees"] == [{"name": "Bob"}]


async def test_clock_reading_answers_without_an_expiry_are_not_stored(cached: Api) -> None:
    api = cached
    s = await schedule(api)
    query = "query($s: ID!) { schedule(id: $s) { stats { totalCount } } }"
    await api.ok(query, {"s": s["id"]})
    await api.ok(query, {"s": s["id"]})
    m = await metrics(api)
    assert m["hits"] == 0 and m["uncacheable"] == 2


async def test_the_cache_is_bounded(backend: str, tmp_path: Path) -> None:
    url = await prepare_database(backend, tmp_path)
    async with running_app(url, backend, response_cache_entries=2) as api:
        for i in range(4):
            await api.ok(f"{{ contacts(first: {i + 1}) {{ totalCount }} }}")
        m = await metrics(api)
        assert m["entries"] == 2 and m["evictions"] == 2
