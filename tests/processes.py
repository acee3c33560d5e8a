"""Rotagraph itself as a real uvicorn subprocess on a free loopback port.

:func:`start_app_server` runs ``app.main:create_app`` against a prepared database (background
jobs off unless ``env`` turns them on) and returns once ``/healthz`` answers; stop it with
:meth:`AppServer.stop`. The server's output goes to ``log_path``, shown when it fails to start.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[1]

START_ATTEMPTS = 150  # health checks 0.1 s apart


@dataclass
class AppServer:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


async def start_app_server(
    database_url: str, log_path: Path, *, env: Mapping[str, str] | None = None
) -> AppServer:
    port = free_port()
    variables = {**os.environ, "DATABASE_URL": database_url, "RUN_JOBS": "false", **(env or {})}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
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
            ],
            cwd=ROOT,
            env=variables,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = AppServer(process=process, port=port, log_path=log_path)
    async with httpx.AsyncClient() as client:
        for _ in range(START_ATTEMPTS):
            try:
                if (await client.get(f"{server.base}/healthz")).status_code == 200:
                    return server
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                break
            await asyncio.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server did not start: {server.log()}")
