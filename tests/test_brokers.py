"""The PostgreSQL broker's NOTIFY channel is scoped by the schema of DATABASE_URL: brokers on
one schema hear each other, brokers on another schema of the same database do not."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tortoise import Tortoise

from app.brokers import PG_CHANNEL, PG_IDENTIFIER_BYTES, PostgresBroker, pg_channel
from app.db import tortoise_config
from app.pubsub import Event
from tests.support import prepare_database

CHANNEL = "schedule:1:on-call"  # the same ids (and channels) in every test schema


def test_channel_names() -> None:
    assert pg_channel("postgres://u@h/db") == PG_CHANNEL
    assert pg_channel("postgres://u@h/db?schema=tenant_a") == f"{PG_CHANNEL}_tenant_a"
    assert pg_channel("postgres://u@h/db?minsize=2&schema=b") == f"{PG_CHANNEL}_b"
    long = pg_channel("postgres://u@h/db?schema=" + "x" * 80)
    odd = pg_channel('postgres://u@h/db?schema=a"b')
    for name in (long, odd):
        assert name.startswith(PG_CHANNEL) and len(name.encode()) <= PG_IDENTIFIER_BYTES
        assert name.replace("_", "").isalnum()
    assert long != odd


class Listening:
    """A started broker with one subscriber to ``CHANNEL`` whose events are collected."""

    def __init__(self, url: str) -> None:
        self.broker = PostgresBroker(url)
        self.events: asyncio.Queue[Event] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.broker.start()
        assert self.broker.connected.is_set()
        self._task = asyncio.create_task(self._collect())
        await asyncio.sleep(0)  # the task runs up to its first wait: subscribed
        assert CHANNEL in self.broker.fanout.channels

    async def _collect(self) -> None:
        async for event in self.broker.subscribe(CHANNEL):
            await self.events.put(event)

    async def next(self) -> Event:
        return await asyncio.wait_for(self.events.get(), 10)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.broker.stop()


@contextlib.asynccontextmanager
async def listening(*urls: str) -> AsyncIterator[list[Listening]]:
    started: list[Listening] = []
    try:
        for url in urls:
            one = Listening(url)
            started.append(one)
            await one.start()
        yield started
    finally:
        for one in started:
            await one.stop()


@pytest.mark.postgres
async def test_schemas_of_one_database_do_not_hear_each_other(tmp_path: Path) -> None:
    url = await prepare_database("postgres", tmp_path)
    other = url.replace("schema=", "schema=other_", 1)
    assert pg_channel(url) != pg_channel(other)
    await Tortoise.init(config=tortoise_config(url))  # publish() sends through this pool
    try:
        async with listening(url, url, other) as (a1, a2, b):
            await b.broker.publish(CHANNEL, {"n": "b1"})
            await a1.broker.publish(CHANNEL, {"n": "a1"})
            await b.broker.publish(CHANNEL, {"n": "b2"})
            # Notifications arrive in commit order: had a schema heard the other's event, it
            # would have come before its own.
            assert await a1.next() == {"n": "a1"}
            assert await a2.next() == {"n": "a1"}  # one schema: every broker hears it
            assert await b.next() == {"n": "b1"}
            assert await b.next() == {"n": "b2"}
            await a2.broker.publish(CHANNEL, {"n": "a2"})
            assert await a1.next() == {"n": "a2"}
            assert await a2.next() == {"n": "a2"}
            assert a1.events.empty() and a2.events.empty() and b.events.empty()
    finally:
        await Tortoise.close_connections()
