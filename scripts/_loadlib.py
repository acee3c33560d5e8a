"""Building blocks of the HTTP load benchmarks (scripts/load_api.py and its successors).

Nothing here knows about Q1 or about the table a script prints: a script composes

- ``fresh_database(backend)``: a new SQLite file or a dedicated PostgreSQL database, dropped on exit;
- ``run_cli(...)``: the ``rotagraph`` CLI in a subprocess with DATABASE_URL set;
- ``Server``: any ASGI app served by uvicorn in a subprocess on a free 127.0.0.1 port;
- ``drive(...)``: a fixed-time closed-loop load with one aiohttp session, checked responses,
  req/s and latency percentiles;
- ``time_loop(...)``: an in-process ops/s measurement (for executor floors).

Loads only ever target 127.0.0.1 and are bounded in time; every subprocess started here is
stopped when its context exits, errors included.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
DEFAULT_PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/test"
BENCH_PG_DATABASE = "rotagraph_bench"
LOOPBACK = "127.0.0.1"


# --------------------------------------------------------------------------- databases


@dataclass
class Database:
    backend: str
    url: str
    pg_admin_url: str = ""
    pg_database: str = ""

    async def reset(self) -> None:
        """Empty again: the SQLite file removed, or the PostgreSQL database recreated."""
        if self.backend == "sqlite":
            _remove_sqlite_files(self.url.removeprefix("sqlite://"))
            return
        await _pg_admin(
            self.pg_admin_url, f'DROP DATABASE IF EXISTS "{self.pg_database}" WITH (FORCE)'
        )
        await _pg_admin(self.pg_admin_url, f'CREATE DATABASE "{self.pg_database}"')


def _remove_sqlite_files(path: str) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def _with_database(url: str, name: str) -> str:
    """``url`` pointed at database ``name`` (query string kept)."""
    base, q, query = url.partition("?")
    head, _, _ = base.rpartition("/")
    return f"{head}/{name}{q}{query}"


async def _pg_admin(admin_url: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_asyncpg_dsn(admin_url), timeout=10)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def fresh_database(
    backend: str, *, pg_admin_url: str = DEFAULT_PG_ADMIN_URL, pg_database: str = BENCH_PG_DATABASE
) -> AsyncIterator[Database]:
    """A new, empty database for ``backend`` ("sqlite" or "postgres"), removed on exit.

    PostgreSQL: a dedicated database (``pg_database``) created and dropped through the admin
    connection; the admin URL's own database is only connected to, never written.
    """
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix="rotagraph-load-")
        try:
            yield Database(backend, f"sqlite://{Path(folder) / 'bench.sqlite3'}")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    if backend != "postgres":
        raise ValueError(f"unknown backend {backend!r} (sqlite, postgres)")
    if not pg_database.replace("_", "").isalnum():
        raise ValueError(f"unsafe database name {pg_database!r}")
    drop = f'DROP DATABASE IF EXISTS "{pg_database}" WITH (FORCE)'
    await _pg_admin(pg_admin_url, drop)
    await _pg_admin(pg_admin_url, f'CREATE DATABASE "{pg_database}"')
    try:
        yield Database(
            backend, _with_database(pg_admin_url, pg_database), pg_admin_url, pg_database
        )
    finally:
        await _pg_admin(pg_admin_url, drop)


def run_cli(args: Sequence[str], *, database_url: str, timeout: float = 120) -> str:
    """``rotagraph ARGS`` (as ``python -m app.cli``) with DATABASE_URL; returns stdout."""
    env = {**os.environ, "DATABASE_URL": database_url, "RUN_JOBS": "false"}
    done = subprocess.run(
        [PYTHON, "-m", "app.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"rotagraph {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}"
        )
    return done.stdout


GENERATE_SCHEMAS = """
import asyncio, os
from tortoise import Tortoise
from app.db import tortoise_config

async def main():
    await Tortoise.init(config=tortoise_config(os.environ["DATABASE_URL"]))
    try:
        await Tortoise.generate_schemas()
    finally:
        await Tortoise.close_connections()

asyncio.run(main())
"""


def generate_schemas(database_url: str, timeout: float = 120) -> None:
    """Tables straight from the current models (Tortoise.generate_schemas), in a subprocess:
    the fallback when the migrations do not apply or lag behind the models."""
    done = subprocess.run(
        [PYTHON, "-c", GENERATE_SCHEMAS],
        cwd=REPO,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"generate_schemas failed: {done.stderr.strip()[-2000:]}")


def token_from_output(stdout: str) -> str:
    """The secret of a ``token: <secret>`` line (create-org, create-token, demo)."""
    for line in stdout.splitlines():
        if line.startswith("token: "):
            return line.split(": ", 1)[1].strip()
    raise RuntimeError(f"no 'token:' line in CLI output: {stdout!r}")


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


class Server:
    """``uvicorn TARGET`` in a subprocess on a free loopback port.

    Use as a context manager; ``ready_path`` is polled (any HTTP answer < 500) until the
    server answers or ``start_timeout`` passes. The process is terminated (then killed) on
    exit, whatever happened.
    """

    def __init__(
        self,
        target: str,
        *,
        factory: bool = False,
        env: dict[str, str] | None = None,
        ready_path: str = "/",
        start_timeout: float = 30.0,
        app_dir: Path | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.target = target
        self.factory = factory
        self.env = env or {}
        self.ready_path = ready_path
        self.start_timeout = start_timeout
        self.app_dir = app_dir
        self.extra_args = tuple(extra_args)
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        self.port = free_port()
        cmd = [
            PYTHON, "-m", "uvicorn", self.target,
            "--host", LOOPBACK, "--port", str(self.port),
            "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip
        if self.factory:
            cmd.append("--factory")
        if self.app_dir is not None:
            cmd += ["--app-dir", str(self.app_dir)]
        cmd += list(self.extra_args)
        self._log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env={**os.environ, **self.env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-4000:]

    async def wait_ready(self) -> None:
        import aiohttp

        deadline = time.monotonic() + self.start_timeout
        async with aiohttp.ClientSession() as session:
            while True:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"server {self.target} exited with {self.proc.returncode}:\n{self.output()}"
                    )
                try:
                    async with session.get(self.base_url + self.ready_path) as resp:
                        await resp.read()
                        if resp.status < 500:
                            return
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server {self.target} not ready:\n{self.output()}")
                await asyncio.sleep(0.1)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    async def __aenter__(self) -> Server:
        self.start()
        try:
            await self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def written_module(source: str, name: str) -> Iterator[Path]:
    """``source`` written as ``<tmpdir>/<name>.py``; yields the folder (for --app-dir)."""
    folder = Path(tempfile.mkdtemp(prefix="rotagraph-load-app-"))
    try:
        (folder / f"{name}.py").write_text(source, encoding="utf-8")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# Served by uvicorn as the HTTP floor: one route answering with fixed bytes.
STATIC_APP_SOURCE = """
import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = Path(os.environ["LOAD_STATIC_BODY_FILE"]).read_bytes()
MEDIA_TYPE = os.environ.get("LOAD_STATIC_MEDIA_TYPE", "application/json")


async def fixed(request: Request) -> Response:
    await request.body()  # read the request like the real endpoint does
    return Response(BODY, media_type=MEDIA_TYPE)


app = Starlette(routes=[Route("/{path:path}", fixed, methods=["GET", "POST"])])
"""


@contextlib.asynccontextmanager
async def static_server(body: bytes, media_type: str = "application/json") -> AsyncIterator[Server]:
    """The HTTP floor: a bare Starlette app under uvicorn answering every request with ``body``."""
    with written_module(STATIC_APP_SOURCE, "load_static_app") as folder:
        body_file = folder / "body.bin"
        body_file.write_bytes(body)
        server = Server(
            "load_static_app:app",
            app_dir=folder,
            env={"LOAD_STATIC_BODY_FILE": str(body_file), "LOAD_STATIC_MEDIA_TYPE": media_type},
        )
        async with server:
            yield server


# --------------------------------------------------------------------------- load


@dataclass
class LoadResult:
    concurrency: int
    seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    failures: int = 0
    first_failure: str | None = None
    server_cpu: float | None = None  # CPU seconds the server process used while measured

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def cpu_ms_per_request(self) -> float:
        """Server-process CPU per measured request (nan when unknown)."""
        if self.server_cpu is None or not self.latencies:
            return math.nan
        return 1000 * self.server_cpu / self.requests

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile in milliseconds (nan without samples)."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        rank = max(1, math.ceil(q / 100 * len(ordered)))
        return ordered[rank - 1] * 1000

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)


Check = Callable[[int, bytes], str | None]  # (status, body) -> None if fine, else why not


def same_body_as(reference: bytes, *, same_data: Callable[[bytes], bool] | None = None) -> Check:
    """A check that the response is 200 and equal to ``reference`` (bytes, or ``same_data``)."""

    def check(status: int, body: bytes) -> str | None:
        if status != 200:
            return f"HTTP {status}: {body[:200]!r}"
        if body == reference or (same_data is not None and same_data(body)):
            return None
        return f"different body: {body[:200]!r}"

    return check


async def drive(
    url: str | Sequence[str],
    *,
    body: bytes,
    headers: dict[str, str],
    concurrency: int,
    seconds: float,
    warmup: float,
    check: Check,
    server_pid: int | Sequence[int] | None = None,
) -> LoadResult:
    """A closed loop: ``concurrency`` workers POST ``body`` to ``url`` back to back.

    One ClientSession with a connector limited to ``concurrency`` connections. Requests that
    finish during ``warmup`` are not counted; afterwards each request's latency (send to last
    body byte) is recorded for ``seconds``. Every response goes through ``check``. With
    ``server_pid``, the CPU time that process (all its threads) used during the measured
    seconds is recorded too: a cost per request that other load on the machine barely moves.
    Several URLs (several server processes): worker i posts to ``url[i % len(url)]``, and the
    CPU time is summed over every ``server_pid``.
    """
    import aiohttp

    urls = [url] if isinstance(url, str) else list(url)
    pids = [server_pid] if isinstance(server_pid, int) else list(server_pid or [])
    for one in urls:
        if not one.startswith(f"http://{LOOPBACK}:"):
            raise ValueError(f"loads only target {LOOPBACK}: {one}")
    result = LoadResult(concurrency=concurrency, seconds=seconds)
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)
    loop = asyncio.get_running_loop()
    start = loop.time()
    measure_from = start + warmup
    stop_at = measure_from + seconds
    perf = time.perf_counter
    cpu_marks: list[float] = []

    def mark_cpu() -> None:
        used = [process_cpu_seconds(pid) for pid in pids]
        if used and all(u is not None for u in used):
            cpu_marks.append(sum(u for u in used if u is not None))

    loop.call_at(measure_from, mark_cpu)
    loop.call_at(stop_at, mark_cpu)

    async def worker(session: aiohttp.ClientSession, url: str) -> None:
        while True:
            sent = perf()
            if loop.time() >= stop_at:
                return
            try:
                async with session.post(url, data=body, headers=headers) as resp:
                    data = await resp.read()
                    status = resp.status
            except (TimeoutError, aiohttp.ClientError) as exc:
                status, data = -1, repr(exc).encode()
            elapsed = perf() - sent
            now = loop.time()
            if now < measure_from or now > stop_at:
                continue
            problem = check(status, data)
            if problem is None:
                result.latencies.append(elapsed)
            else:
                result.failures += 1
                result.first_failure = result.first_failure or problem

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(worker(session, urls[i % len(urls)]) for i in range(concurrency)))
    if len(cpu_marks) == 2:
        result.server_cpu = cpu_marks[1] - cpu_marks[0]
    return result


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime


async def post_once(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=body, headers=headers) as resp:
            return resp.status, await resp.read()


@dataclass
class LoopResult:
    ops: int
    seconds: float
    cpu_seconds: float = math.nan  # this process's CPU time over the same ops

    @property
    def ops_per_s(self) -> float:
        return self.ops / self.seconds if self.seconds else 0.0

    @property
    def ms_per_op(self) -> float:
        return 1000 * self.seconds / self.ops if self.ops else math.nan

    @property
    def cpu_ms_per_op(self) -> float:
        return 1000 * self.cpu_seconds / self.ops if self.ops else math.nan


async def time_loop(
    op: Callable[[], Awaitable[Any]], *, seconds: float, warmup: float
) -> LoopResult:
    """Awaits ``op()`` back to back: ``warmup`` seconds uncounted, then ``seconds`` counted."""
    perf = time.perf_counter
    end = perf() + warmup
    while perf() < end:
        await op()
    ops = 0
    cpu = time.process_time()
    began = perf()
    end = began + seconds
    while True:
        await op()
        ops += 1
        now = perf()
        if now >= end:
            return LoopResult(ops=ops, seconds=now - began, cpu_seconds=time.process_time() - cpu)


# --------------------------------------------------------------------------- output


def cpu_calibration() -> float:
    """Microseconds for ``sum(range(1000))`` (best of 5): compares machines and noisy runs."""
    import timeit

    return min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6


def machine_line() -> str:
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs (shared by client and servers), load average {load}, "
        f"sum(range(1000)) = {cpu_calibration():.1f} us"
    )


def fmt(value: float | None, digits: int = 1) -> str:
    return (
        "-"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else f"{value:.{digits}f}"
    )


def render_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    lines = [
        "  ".join(str(c).rjust(w) for c, w in zip(header, widths, strict=True)),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)
