"""A local aiohttp server standing in for a webhook receiver: records deliveries and can be
told to fail, stall or succeed."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Delivery:
    key: str
    signature: str
    body: dict[str, Any]
    raw: bytes


@dataclass
class Receiver:
    url: str
    deliveries: list[Delivery] = field(default_factory=list)
    script: list[int | str] = field(default_factory=list)
    """Answers for the next requests: an HTTP status, or "stall" to never answer in time."""

    @property
    def keys(self) -> list[str]:
        return [d.key for d in self.deliveries]

    def unique(self) -> dict[str, Delivery]:
        """What a receiver that drops repeated idempotency keys keeps."""
        out: dict[str, Delivery] = {}
        for d in self.deliveries:
            out.setdefault(d.key, d)
        return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def webhook_receiver() -> AsyncIterator[Receiver]:
    port = free_port()
    receiver = Receiver(url=f"http://127.0.0.1:{port}/hook")

    async def hook(request: web.Request) -> web.Response:
        raw = await request.read()
        receiver.deliveries.append(
            Delivery(
                key=request.headers.get("Idempotency-Key", ""),
                signature=request.headers.get("X-Rotagraph-Signature", ""),
                body=json.loads(raw),
                raw=raw,
            )
        )
        answer = receiver.script.pop(0) if receiver.script else 200
        if answer == "stall":
            await asyncio.sleep(30)
            answer = 200
        return web.json_response({"ok": answer == 200}, status=int(answer))

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield receiver
    finally:
        await runner.cleanup()


@asynccontextmanager
async def serving(
    path: str, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> AsyncIterator[str]:
    """A loopback server answering POST ``path`` with ``handler``; yields the URL."""
    port = free_port()
    app = web.Application()
    app.router.add_post(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}{path}"
    finally:
        await runner.cleanup()
