"""Cross-process brokers behind the ``app.pubsub.Broker`` interface.

PostgreSQL: NOTIFY is issued inside the write transaction (events leave only if it commits)
and received on one dedicated asyncpg connection outside the pool, which reconnects and
listens again after a loss. Redis: PUBLISH after commit, received by one subscription that
resubscribes after a loss. Both transports drop what is sent while a listener is away, so
after every reconnect each local subscriber gets a ``resync`` event and re-reads its state.
Payloads are small (ids), never whole objects.

NOTIFY reaches every session of a database, so the PostgreSQL channel is scoped by the schema
the database URL names (``?schema=``): deployments (or test runs) in separate schemas of one
database never hear each other's events, whose ids would collide.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

from app.pubsub import RESYNC, Event, LocalFanout

log = logging.getLogger("rotagraph.pubsub")

PG_CHANNEL = "rotagraph_events"
LISTENER_APPLICATION_NAME = "rotagraph-listener"
REDIS_CHANNEL = "rotagraph:events"
MAX_PAYLOAD = 7900
PG_IDENTIFIER_BYTES = 63  # longer channel names are refused by pg_notify()
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_]+")
RECONNECT_MAX_SECONDS = 5.0
HEALTH_SECONDS = 2.0


def pg_channel(url: str) -> str:
    """The NOTIFY channel of a deployment: ``rotagraph_events``, suffixed with the schema of
    DATABASE_URL (``?schema=tenant_a``) when it names one. A schema whose name is long or
    unusual is represented by a digest, so the channel stays a short plain identifier."""
    from urllib.parse import parse_qs, urlsplit

    schema = parse_qs(urlsplit(url).query).get("schema", [""])[0]
    if not schema:
        return PG_CHANNEL
    channel = f"{PG_CHANNEL}_{schema}"
    if not _PLAIN_NAME.fullmatch(schema) or len(channel.encode()) > PG_IDENTIFIER_BYTES:
        channel = f"{PG_CHANNEL}_{hashlib.sha256(schema.encode()).hexdigest()[:32]}"
    return channel


def redis_channel(url: str) -> str:
    """The Redis channel of a deployment: namespaced by the Redis database number of
    PUBSUB_URL (``redis://host/3`` or ``?db=3``), because Redis pub/sub ignores database
    numbers: two deployments on one Redis would otherwise receive each other's events (and
    a foreign, higher data version would make cached answers look current)."""
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(url)
    db = parse_qs(parts.query).get("db", [""])[0]
    if not db and parts.scheme != "unix":
        db = parts.path.strip("/")
    return f"{REDIS_CHANNEL}:{db or '0'}"


def encode(channel: str, event: Event) -> str:
    payload = json.dumps({"c": channel, "e": event}, separators=(",", ":"))
    if len(payload.encode()) > MAX_PAYLOAD:
        raise ValueError(f"event for {channel} is over {MAX_PAYLOAD} bytes: send ids only")
    return payload


def decode(payload: str) -> tuple[str, Event] | None:
    try:
        data = json.loads(payload)
        return str(data["c"]), dict(data["e"])
    except (ValueError, KeyError, TypeError):
        log.warning("ignored a malformed event payload")
        return None


class _ListeningBroker:
    """Shared machinery: local fan-out, a supervised listener task, resync on reconnect."""

    def __init__(self) -> None:
        self.fanout = LocalFanout()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.connected = asyncio.Event()
        self.reconnects = 0

    def subscribe(self, channel: str) -> AsyncIterator[Event]:
        return self.fanout.subscribe(channel)

    def _receive(self, payload: str) -> None:
        decoded = decode(payload)
        if decoded is not None:
            self.fanout.deliver(*decoded)

    async def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._supervise(), name=f"{type(self).__name__}.listen")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.connected.wait(), 10)

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self._close()

    async def _supervise(self) -> None:
        delay = 0.1
        first = True
        while not self._stopping:
            try:
                await self._connect()
                self.connected.set()
                if not first:
                    self.reconnects += 1
                    # Anything published while we were away is lost: subscribers re-read.
                    self.fanout.deliver_all({"type": RESYNC})
                first = False
                delay = 0.1
                await self._hold()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the listener must outlive any broker failure
                log.warning("%s listener lost: %r; reconnecting", type(self).__name__, exc)
            self.connected.clear()
            await self._close()
            if self._stopping:
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX_SECONDS)

    async def _connect(self) -> None:
        raise NotImplementedError

    async def _hold(self) -> None:
        raise NotImplementedError

    async def _close(self) -> None:
        raise NotImplementedError


class PostgresBroker(_ListeningBroker):
    """LISTEN/NOTIFY through asyncpg on a dedicated connection."""

    transactional = True

    def __init__(self, dsn: str) -> None:
        super().__init__()
        self.dsn = dsn.replace("postgres://", "postgresql://", 1).split("?")[0]
        self.channel = pg_channel(dsn)
        self._conn: Any = None
        self._lost: asyncio.Event | None = None

    async def _connect(self) -> None:
        import asyncpg

        self._lost = asyncio.Event()
        # Named, so operators (and tests) find it in pg_stat_activity.
        self._conn = await asyncpg.connect(
            self.dsn, server_settings={"application_name": LISTENER_APPLICATION_NAME}
        )
        lost = self._lost
        self._conn.add_termination_listener(lambda _conn: lost.set())
        await self._conn.add_listener(
            self.channel, lambda _c, _pid, _ch, payload: self._receive(payload)
        )

    async def _hold(self) -> None:
        assert self._lost is not None
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), HEALTH_SECONDS)
            if self._lost.is_set():
                raise ConnectionError("listening connection terminated")
            # A silent network loss shows up only when we speak. LISTEN again (a no-op for a
            # channel already listened to) rather than SELECT 1, so pg_stat_activity keeps
            # showing this connection's LISTEN.
            await asyncio.wait_for(self._conn.execute(f'LISTEN "{self.channel}"'), HEALTH_SECONDS)

    async def _close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._conn.close(), 2)
            self._conn = None

    async def publish(self, channel: str, event: Event) -> None:
        """Outside a transaction: NOTIFY on a pool connection at once."""
        from tortoise import connections

        await connections.get("default").execute_query(
            "SELECT pg_notify($1, $2)", [self.channel, encode(channel, event)]
        )

    async def publish_in_transaction(self, channel: str, event: Event) -> None:
        """Inside the write transaction: PostgreSQL delivers it when (if) it commits."""
        from tortoise import connections

        await connections.get("default").execute_query(
            "SELECT pg_notify($1, $2)", [self.channel, encode(channel, event)]
        )


class RedisBroker(_ListeningBroker):
    """Redis PUBLISH / SUBSCRIBE through redis.asyncio."""

    transactional = False

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.channel = redis_channel(url)
        self._client: Any = None
        self._pubsub: Any = None
        self._publisher: Any = None

    async def _connect(self) -> None:
        from redis import asyncio as aioredis

        self._client = aioredis.from_url(self.url, health_check_interval=HEALTH_SECONDS)
        self._pubsub = self._client.pubsub()
        await self._pubsub.subscribe(self.channel)

    async def _hold(self) -> None:
        while True:
            message = await self._pubsub.get_message(
                ignore_subscribe_messages=True, timeout=HEALTH_SECONDS
            )
            if message is None:
                await asyncio.wait_for(self._client.ping(), HEALTH_SECONDS)
                continue
            data = message.get("data")
            self._receive(data.decode() if isinstance(data, bytes) else str(data))

    async def _close(self) -> None:
        for thing in (self._pubsub, self._client):
            if thing is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(thing.aclose(), 2)
        self._pubsub = self._client = None

    async def publish(self, channel: str, event: Event) -> None:
        from redis import asyncio as aioredis

        if self._publisher is None:
            self._publisher = aioredis.from_url(self.url)
        await self._publisher.publish(self.channel, encode(channel, event))

    async def stop(self) -> None:
        await super().stop()
        if self._publisher is not None:
            with contextlib.suppress(Exception):
                await self._publisher.aclose()
            self._publisher = None


def broker_for(*, database_url: str, pubsub_url: str | None) -> Any:
    """Redis when PUBSUB_URL names one; PostgreSQL NOTIFY on PostgreSQL; else in-process."""
    from app.db import is_postgres
    from app.pubsub import InProcessBroker

    if pubsub_url:
        if not pubsub_url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("PUBSUB_URL must be a redis:// URL")
        return RedisBroker(pubsub_url)
    if is_postgres(database_url):
        return PostgresBroker(database_url)
    return InProcessBroker()
