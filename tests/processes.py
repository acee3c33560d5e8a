"""Rotagraph itself as a real uvicorn subprocess on a free loopback port.

:func:`start_app_server` runs ``app.main:create_app`` against a prepared database (background
jobs off unless ``env`` turns them on) and returns once ``/healthz`` answers; stop it with
:meth:`AppServer.stop`, SIGKILL it with :meth:`AppServer.kill` and start it again (on a new
port, same database and log) with :meth:`AppServer.restart`. The server's output goes to
``log_path``, shown when it fails to start.

The pieces are usable on their own (tests/scaleout/cluster.py runs its own command lines in
process groups): :func:`uvicorn_command`, :func:`spawn` and :func:`healthy`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[1]

START_TIMEOUT = 15.0  # seconds for /healthz to answer


def uvicorn_command(port: int, *options: str) -> list[str]:
    """The command line of one uvicorn process of the app on 127.0.0.1:``port``."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "app.main:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--ws-per-message-deflate",  # as `rotagraph serve` (app.cli.WEBSOCKET_OPTIONS)
        "false",
        *options,
    ]


def spawn(
    command: list[str],
    env: Mapping[str, str],
    log_path: Path,
    *,
    append: bool = False,
    new_session: bool = False,
) -> subprocess.Popen[bytes]:
    """``command`` run from the repository root, its output (stdout and stderr) in ``log_path``.

    ``new_session``: in its own process group, so that it can be killed whole."""
    with log_path.open("ab" if append else "wb") as log:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=new_session,
        )


async def healthy(
    base: str, process: subprocess.Popen[bytes], timeout: float = START_TIMEOUT
) -> bool:
    """Wait until ``base``/healthz answers 200: False if ``process`` exits or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as client:
        while True:
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(f"{base}/healthz")).status_code == 200:
                    return True
            if process.poll() is not None or time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.1)


@dataclass
class AppServer:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    database_url: str
    env: dict[str, str]  # the process's whole environment, for restart()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no lifespan shutdown."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    async def restart(self) -> None:
        """Start the process again (after :meth:`stop` or :meth:`kill`) on a new free port,
        appending to the same log."""
        self.port = free_port()
        self.process = spawn(uvicorn_command(self.port), self.env, self.log_path, append=True)
        await self._wait_started()

    async def _wait_started(self) -> None:
        if not await healthy(self.base, self.process):
            self.stop()
            raise RuntimeError(f"server did not start: {self.log()}")


async def start_app_server(
    database_url: str, log_path: Path, *, env: Mapping[str, str] | None = None
) -> AppServer:
    port = free_port()
    variables = {
        **os.environ,
        "DATABASE_URL": database_url,
        "RUN_JOBS": "false",
        "ALLOW_PRIVATE_ADDRESSES": "true",
        **(env or {}),
    }
    process = spawn(uvicorn_command(port), variables, log_path)
    server = AppServer(
        process=process, port=port, log_path=log_path, database_url=database_url, env=variables
    )
    await server._wait_started()
    return server
