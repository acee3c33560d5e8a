"""Publish/subscribe of small events (ids, never whole objects: subscribers re-read).

The in-process broker serves one process; the PostgreSQL NOTIFY and Redis brokers (chosen
from the settings) carry the same events between processes. Events are published after
the write that caused them commits (see ``publish_after_commit``), so subscribers never see
an event whose data they cannot read yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any, Protocol

from app import db

log = logging.getLogger("rotagraph.pubsub")

Event = dict[str, Any]
RESYNC = "resync"
"""Sent to every subscriber when the broker lost its connection and may have missed events:
subscribers re-read their state instead of trusting the stream."""

QUEUE_LIMIT = 1000


class Broker(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, channel: str, event: Event) -> None: ...

    def subscribe(self, channel: str) -> AsyncIterator[Event]: ...


class LocalFanout:
    """Delivers events to this process's subscribers: one bounded queue per subscriber."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[Event]]] = defaultdict(set)

    def deliver(self, channel: str, event: Event) -> None:
        for queue in list(self._queues.get(channel, ())):
            if queue.full():
                # A stalled subscriber loses old events but is told to resync.
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                queue.put_nowait({"type": RESYNC})
            queue.put_nowait(event)

    def deliver_all(self, event: Event) -> None:
        for channel in list(self._queues):
            self.deliver(channel, event)

    @property
    def channels(self) -> list[str]:
        return [c for c, qs in self._queues.items() if qs]

    async def subscribe(self, channel: str) -> AsyncIterator[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_LIMIT)
        self._queues[channel].add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues[channel].discard(queue)
            if not self._queues[channel]:
                del self._queues[channel]


class InProcessBroker:
    """The default: events stay inside this process."""

    def __init__(self) -> None:
        self.fanout = LocalFanout()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, channel: str, event: Event) -> None:
        self.fanout.deliver(channel, json.loads(json.dumps(event)))

    def subscribe(self, channel: str) -> AsyncIterator[Event]:
        return self.fanout.subscribe(channel)


_broker: Broker = InProcessBroker()


def broker() -> Broker:
    return _broker


def install(new: Broker) -> None:
    global _broker
    _broker = new


def publish_after_commit(channel: str, event: Event) -> None:
    """Queue an event to leave when the current transaction commits (at once outside one).
    Identical events of one transaction are sent once."""
    key = f"pubsub:{channel}:{json.dumps(event, sort_keys=True)}"

    async def send() -> None:
        try:
            await _broker.publish(channel, event)
        except Exception:  # a lost event must never fail the write that caused it
            log.exception("publishing to %s failed", channel)

    if db.transaction_state("pubsub", dict) is None:
        task = asyncio.get_running_loop().create_task(send())
        _background.add(task)
        task.add_done_callback(_background.discard)
        return
    if getattr(_broker, "transactional", False):
        # PostgreSQL NOTIFY joins the write transaction: it leaves only if that commits.
        async def notify() -> None:
            await _broker.publish_in_transaction(channel, event)  # type: ignore[attr-defined]

        db.before_commit(key, notify)
        return
    db.after_commit(key, send)


_background: set[asyncio.Task[None]] = set()
