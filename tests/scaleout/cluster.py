"""Several real Rotagraph processes on one PostgreSQL database, for multi-process tests.

``scaleout_database()`` makes a fresh database (``rotagraph_scaleout_<random>``), applies the
real migrations with ``rotagraph migrate`` and drops it afterwards. ``Cluster`` starts N
``uvicorn app.main:create_app --factory`` processes (or one ``rotagraph serve --workers N``)
on free 127.0.0.1 ports against it, waits for /healthz, can SIGKILL and restart one, and
always stops every process it started (each runs in its own process group). Also: a small
GraphQL client, a graphql-transport-ws subscriber, a webhook receiver that records which
process sent each request, and the skip-or-fail rules for PostgreSQL and Redis (skip locally,
fail when CI=true).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from aiohttp import web

from tests.processes import healthy, spawn, uvicorn_command
from tests.support import in_ci, postgres_url

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
START_TIMEOUT = 40.0

_LIVE: set[subprocess.Popen[bytes]] = set()


def _kill_group(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


@atexit.register
def _kill_leftovers() -> None:  # last resort: an interrupted run leaves no server behind
    for proc in list(_LIVE):
        if proc.poll() is None:
            _kill_group(proc)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------ requirements


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1).split("?")[0]


def _with_database(url: str, name: str) -> str:
    base, q, query = url.partition("?")
    head, _, _ = base.rpartition("/")
    return f"{head}/{name}{q}{query}"


def _unavailable(reason: str, what: str) -> None:
    if in_ci():
        pytest.fail(f"{reason} (CI=true: {what} is required)")
    pytest.skip(reason)


def require_postgres_sync() -> str:
    import asyncpg

    async def probe() -> None:
        conn = await asyncio.wait_for(asyncpg.connect(_asyncpg_dsn(postgres_url())), 5)
        await conn.close()

    try:
        asyncio.run(probe())
    except Exception as exc:  # any failure to connect: skip locally, fail in CI
        _unavailable(f"PostgreSQL at {postgres_url()} is unreachable: {exc!r}", "PostgreSQL")
    return postgres_url()


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")


def require_redis() -> str:
    """A redis:// URL on a random database number (pub/sub channels are namespaced by it)."""
    from redis import Redis

    try:
        client = Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        client.ping()
        client.close()
    except Exception as exc:  # any failure: skip locally with the reason, fail in CI
        _unavailable(f"Redis at {REDIS_URL} is unreachable: {exc!r}", "Redis")
    return f"{REDIS_URL.rstrip('/')}/{random.randint(1, 15)}"


# ------------------------------------------------------------------ database


def run_cli(args: list[str], database_url: str, timeout: float = 120) -> str:
    done = subprocess.run(
        [PYTHON, "-m", "app.cli", *args],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": database_url,
            "RUN_JOBS": "false",
            "ALLOW_PRIVATE_ADDRESSES": "true",
        },
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"rotagraph {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


@contextlib.contextmanager
def scaleout_database() -> Iterator[str]:
    """A fresh PostgreSQL database migrated by ``rotagraph migrate``; dropped on exit."""
    import asyncpg

    admin = require_postgres_sync()
    name = f"rotagraph_scaleout_{uuid.uuid4().hex[:10]}"

    async def admin_execute(statement: str) -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(admin))
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(admin_execute(f'CREATE DATABASE "{name}"'))
    url = _with_database(admin.split("?")[0], name)
    try:
        run_cli(["migrate"], url)
        yield url
    finally:
        asyncio.run(admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def create_org(database_url: str, name: str) -> str:
    """``rotagraph create-org NAME``: returns the ADMIN token."""
    out = run_cli(["create-org", name], database_url)
    for line in out.splitlines():
        if line.startswith("token: "):
            return line.removeprefix("token: ").strip()
    raise RuntimeError(f"no token in {out!r}")


async def sql(database_url: str, query: str, *args: Any) -> list[Any]:
    import asyncpg

    conn = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


# ------------------------------------------------------------------ processes


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (Linux /proc)."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in (task / "children").read_text().split()]
    return out


@dataclass
class Node:
    """One server: a uvicorn process (or the supervisor of ``rotagraph serve --workers``)."""

    index: int
    port: int
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def pids(self) -> list[int]:
        return descendants(self.pid) if self.alive else []

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-6000:]
        except OSError:
            return ""

    def start(self) -> None:
        # Its own process group: killed whole on cleanup.
        self.proc = spawn(self.argv, self.env, self.log_path, append=True, new_session=True)
        _LIVE.add(self.proc)

    async def wait_healthy(self, timeout: float = START_TIMEOUT) -> None:
        assert self.proc is not None
        if not await healthy(self.base, self.proc, timeout):
            state = "not healthy" if self.alive else "exited"
            raise RuntimeError(f"server {self.index} {state}:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL: no lifespan shutdown, leases and connections left as they are."""
        if self.proc is not None:
            _kill_group(self.proc)
            self.proc.wait(10)
            _LIVE.discard(self.proc)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            _kill_group(self.proc, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                _kill_group(self.proc)
                self.proc.wait(10)
        _kill_group(self.proc)  # workers of `serve --workers` left behind, if any
        _LIVE.discard(self.proc)


BASE_ENV = {
    "RUN_JOBS": "true",
    "CONFIRM_INTERVAL_SECONDS": "3600",
    "STATUS_INTERVAL_SECONDS": "3600",
    "CALENDAR_IMPORT_INTERVAL_SECONDS": "3600",
    "EXPORT_POLL_SECONDS": "0.5",
    "GRAPHIQL": "false",
    "ALLOW_PRIVATE_ADDRESSES": "true",  # the test receivers listen on loopback
}


class Cluster:
    """``count`` servers on ``database_url``; ``env`` for all, ``node_env[i]`` for one.

    ``workers``: instead of N uvicorn processes, one ``rotagraph serve --workers W``."""

    def __init__(
        self,
        database_url: str,
        count: int = 2,
        *,
        log_dir: Path,
        env: dict[str, str] | None = None,
        node_env: dict[int, dict[str, str]] | None = None,
        workers: int | None = None,
    ) -> None:
        self.database_url = database_url
        self.nodes: list[Node] = []
        for i in range(count):
            port = free_port()
            node_vars = {
                **os.environ,
                **BASE_ENV,
                "DATABASE_URL": database_url,
                **(env or {}),
                **(node_env or {}).get(i, {}),
            }
            if workers is None:
                argv = uvicorn_command(port, "--no-access-log")
            else:
                argv = [PYTHON, "-m", "app.cli", "serve", "--host", "127.0.0.1"]
                argv += ["--port", str(port), "--workers", str(workers)]
            self.nodes.append(Node(i, port, argv, node_vars, log_dir / f"server-{i}.log"))

    def __getitem__(self, index: int) -> Node:
        return self.nodes[index]

    async def __aenter__(self) -> Cluster:
        try:
            for node in self.nodes:
                node.start()
            await asyncio.gather(*(node.wait_healthy() for node in self.nodes))
        except BaseException:
            self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def kill(self, index: int) -> None:
        self.nodes[index].kill()

    async def restart(self, index: int) -> None:
        node = self.nodes[index]
        node.stop()
        node.start()
        await node.wait_healthy()

    def node_of_pid(self, pid: int | None) -> int | None:
        for node in self.nodes:
            if pid is not None and pid in node.pids():
                return node.index
        return None

    def logs(self) -> str:
        return "\n".join(f"--- server {n.index}\n{n.log()}" for n in self.nodes)


# ------------------------------------------------------------------ sockets -> processes


def _tcp_inode(local_port: int, remote_port: int) -> int | None:
    """The inode of the loopback TCP socket with these ports (Linux /proc/net/tcp)."""
    want_local, want_remote = f"{local_port:04X}", f"{remote_port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                if (
                    parts[1].rsplit(":", 1)[1] == want_local
                    and parts[2].rsplit(":", 1)[1] == want_remote
                ):
                    return int(parts[9])
    return None


def socket_owner(local_port: int, remote_port: int, pids: list[int]) -> int | None:
    """Which of ``pids`` holds the socket (local_port -> remote_port), if any."""
    inode = _tcp_inode(local_port, remote_port)
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) == target:
                        return pid
    return None


# ------------------------------------------------------------------ GraphQL


class GraphQLFailed(AssertionError):
    pass


async def gql(
    node: Node | str,
    token: str,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    client: httpx.AsyncClient | None = None,
) -> dict[str, Any]:
    """POST a GraphQL request; the data, or GraphQLFailed with the errors / HTTP status."""
    base = node.base if isinstance(node, Node) else node
    body = {"query": query, "variables": variables or {}}
    headers = {"Authorization": f"Bearer {token}"}
    if client is None:
        async with httpx.AsyncClient(timeout=60) as own:
            response = await own.post(f"{base}/graphql", json=body, headers=headers)
    else:
        response = await client.post(f"{base}/graphql", json=body, headers=headers)
    doc = response.json()
    if response.status_code != 200 or doc.get("errors"):
        raise GraphQLFailed(f"HTTP {response.status_code}: {doc}")
    data: dict[str, Any] = doc["data"]
    return data


class Subscriber:
    """One graphql-transport-ws subscription; ``next()`` returns each payload's data."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    @property
    def local_port(self) -> int:
        return int(self.ws.transport.get_extra_info("sockname")[1])

    async def next(self, timeout: float = 10.0) -> dict[str, Any]:
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if message["type"] == "ping":
                await self.ws.send(json.dumps({"type": "pong"}))
                continue
            if message["type"] != "next":
                raise AssertionError(f"subscription ended: {message}")
            payload = message["payload"]
            if payload.get("errors"):
                raise GraphQLFailed(str(payload["errors"]))
            data: dict[str, Any] = payload["data"]
            return data

    async def until(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            data = await self.next(max(0.01, deadline - time.monotonic()))
            if predicate(data):
                return data

    async def nothing_for(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            data = await self.next(seconds)
            raise AssertionError(f"unexpected event: {data}")


@contextlib.asynccontextmanager
async def subscribe(
    node: Node, token: str, query: str, variables: dict[str, Any] | None = None
) -> AsyncIterator[Subscriber]:
    async with websockets.connect(node.ws, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert ack["type"] == "connection_ack", ack
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": query, "variables": variables or {}},
                }
            )
        )
        yield Subscriber(ws)


# ------------------------------------------------------------------ webhook receiver


@dataclass
class Delivery:
    key: str
    destination_id: int
    node: int | None  # which cluster node sent it (None: not found)
    at: float


@dataclass
class Receiver:
    """Records each webhook request with the node that sent it. ``hold`` (a predicate on
    the request's number, 0 first) keeps matching requests waiting until ``release`` is set."""

    cluster: Cluster | None = None
    port: int = 0
    deliveries: list[Delivery] = field(default_factory=list)
    hold: Callable[[int], bool] = lambda n: False
    release: asyncio.Event = field(default_factory=asyncio.Event)
    held: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def keys(self) -> list[str]:
        return [d.key for d in self.deliveries]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> None:
        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(predicate), timeout)


@contextlib.asynccontextmanager
async def webhook_receiver(cluster: Cluster | None = None) -> AsyncIterator[Receiver]:
    receiver = Receiver(cluster=cluster, port=free_port())

    async def hook(request: web.Request) -> web.Response:
        raw = await request.read()
        body = json.loads(raw)
        peer_port = int(request.transport.get_extra_info("peername")[1])  # type: ignore[union-attr]
        node = None
        if receiver.cluster is not None:
            pids = [p for n in receiver.cluster.nodes for p in n.pids()]
            node = receiver.cluster.node_of_pid(socket_owner(peer_port, receiver.port, pids))
        number = len(receiver.deliveries)
        receiver.deliveries.append(
            Delivery(
                key=request.headers.get("Idempotency-Key", ""),
                destination_id=int(body["destinationId"]),
                node=node,
                at=time.monotonic(),
            )
        )
        async with receiver.arrived:
            receiver.arrived.notify_all()
        if receiver.hold(number):
            receiver.held.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(receiver.release.wait(), 60)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", receiver.port).start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        await runner.cleanup()


async def eventually(
    check: Callable[[], Awaitable[Any]], timeout: float = 15.0, interval: float = 0.1
) -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout} s")
        await asyncio.sleep(interval)
