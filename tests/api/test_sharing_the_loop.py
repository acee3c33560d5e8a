"""Long answers share the event loop: lists completed in stretches, JSON encoded in pieces,
and the garbage collector tuned once the app has started. Each test runs a ticker task
beside the work and counts how often the loop let it run."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import strawberry
from hypothesis import given, settings
from hypothesis import strategies as st

from app import collector
from app.api import encoding
from app.api.execution import SharingExecutionContext
from tests.support import prepare_database, running_app


async def ticks_during(work: Awaitable[Any]) -> tuple[Any, int]:
    """``work``'s result and how many times a ticker task ran while it was awaited."""
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    ticks = 0
    try:
        result = await work
    finally:
        done.set()
        await task
    return result, ticks


@strawberry.type
class Item:
    index: int

    @strawberry.field
    def checked(self) -> int | None:
        if self.index == 1234:
            raise ValueError("item 1234 is broken")
        total = 0
        for n in range(200):  # enough work per item that the list takes many stretches
            total += n * self.index
        return total


@strawberry.type
class Query:
    @strawberry.field
    def items(self, count: int) -> list[Item]:
        return [Item(index=i) for i in range(count)]


SCHEMA = strawberry.Schema(query=Query, execution_context_class=SharingExecutionContext)


async def test_a_long_list_is_completed_in_stretches_with_its_own_error_paths() -> None:
    result, ticks = await ticks_during(SCHEMA.execute("{ items(count: 3000) { index checked } }"))
    assert ticks > 5  # the loop ran other tasks while the list was completed
    items = result.data["items"]
    assert [i["index"] for i in items] == list(range(3000))
    assert items[1233]["checked"] == sum(n * 1233 for n in range(200))
    assert items[1234] == {"index": 1234, "checked": None}
    assert [e.path for e in result.errors] == [["items", 1234, "checked"]]


async def test_a_short_list_is_completed_in_one_go() -> None:
    result, ticks = await ticks_during(SCHEMA.execute("{ items(count: 20) { index } }"))
    assert [i["index"] for i in result.data["items"]] == list(range(20))
    assert ticks == 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=400)
        | st.dictionaries(st.text(max_size=8), children, max_size=12)
    ),
    max_leaves=4000,
)


@settings(max_examples=60, deadline=None)
@given(json_values)
def test_encoding_in_pieces_is_the_same_text(value: Any) -> None:
    assert asyncio.run(encoding.encode(value)) == json.dumps(value, separators=(",", ":"))


async def test_a_large_answer_is_encoded_taking_turns() -> None:
    shift = {"start": "2026-03-01T00:00:00Z", "end": "2026-03-01T01:00:00Z"}
    answer = {"data": {"tiers": [{"shifts": [dict(shift, n=i) for i in range(2000)]}] * 20}}
    text, ticks = await ticks_during(encoding.encode_answer(answer))
    assert text.text == json.dumps(answer, separators=(",", ":"))
    assert text == answer
    assert ticks > 2
    small, ticks = await ticks_during(encoding.encode({"data": {"a": [1, 2, 3]}}))
    assert small == '{"data":{"a":[1,2,3]}}' and ticks == 0


async def test_the_collector_is_tuned_once_the_app_has_started(tmp_path: Path) -> None:
    url = await prepare_database("sqlite", tmp_path)
    async with running_app(url, "sqlite"):
        assert gc.get_threshold()[2] == collector.FULL_COLLECTION_EVERY
        assert gc.get_freeze_count() > 10_000  # what start-up built no longer gets examined


async def test_full_collections_wait_for_a_quiet_moment() -> None:
    """No full collection while an HTTP request is in flight; one soon after it ends.
    ``/healthz`` and WebSocket connections do not count as in flight."""
    release = asyncio.Event()

    async def downstream(scope: Any, receive: Any, send: Any) -> None:  # a slow route
        await release.wait()

    middleware = collector.InFlight(downstream)
    full: list[float] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "stop" and info["generation"] == 2:
            full.append(asyncio.get_running_loop().time())

    gc.callbacks.append(count)
    quiet = asyncio.create_task(collector.collect_when_quiet(every=0.0, longest=60))
    try:
        request = asyncio.create_task(middleware({"type": "http", "path": "/graphql"}, 0, 0))
        socket = asyncio.create_task(middleware({"type": "websocket", "path": "/graphql"}, 0, 0))
        health = asyncio.create_task(middleware({"type": "http", "path": "/healthz"}, 0, 0))
        await asyncio.sleep(0.05)
        assert collector.in_flight() == 1
        before = len(full)
        await asyncio.sleep(collector.QUIET_CHECK_SECONDS * 3)
        assert len(full) == before  # busy: nothing collected
        release.set()
        await asyncio.gather(request, socket, health)
        assert collector.in_flight() == 0
        await asyncio.sleep(collector.QUIET_CHECK_SECONDS * 2)
        assert len(full) > before
        # A server that is never quiet still collects after the longest wait.
        release.clear()
        request = asyncio.create_task(middleware({"type": "http", "path": "/graphql"}, 0, 0))
        quiet.cancel()
        quiet = asyncio.create_task(collector.collect_when_quiet(every=0.0, longest=0.6))
        await asyncio.sleep(0.05)
        before = len(full)
        await asyncio.sleep(collector.QUIET_CHECK_SECONDS * 3)
        assert collector.in_flight() == 1 and len(full) > before
        release.set()
        await request
    finally:
        quiet.cancel()
        gc.callbacks.remove(count)
