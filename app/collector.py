"""Full garbage collections when the server is quiet.

A full collection examines every tracked object in the process and stops it meanwhile: under
four maximum-cost queries Python's collector ran seven of them, up to 0.1 s each, and every
one held up whatever request was waiting (``/healthz`` p99 0.10-0.22 s). Once the app has
started (:func:`tune`), what start-up built (modules, the schema, ~120,000 objects) is frozen
out of every later collection, the automatic full collection runs a hundredth as often, and
:func:`collect_when_quiet` runs one every ``QUIET_EVERY_SECONDS`` at a moment when no HTTP
request is in flight, when the live heap is small and the pause short (a server that is
never quiet collects every ``LONGEST_WAIT_SECONDS``). Young generations keep Python's
thresholds. Without the quiet collections, the rarer automatic ones alone let the soak's
resident memory grow by 11 MB a minute.
"""

from __future__ import annotations

import asyncio
import gc
import time

from starlette.types import ASGIApp, Receive, Scope, Send

FULL_COLLECTION_EVERY = 1000  # young-generation (1) collections; Python's default is 10
QUIET_EVERY_SECONDS = 10.0
LONGEST_WAIT_SECONDS = 30.0  # a server never quiet still collects this often
QUIET_CHECK_SECONDS = 0.5

_tuned = False


def tune() -> None:
    """Once per process: freeze what start-up built; rarer automatic full collections."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)


_in_flight = 0


def in_flight() -> int:
    return _in_flight


class InFlight:
    """ASGI middleware counting the HTTP requests being answered (WebSocket connections,
    which stay open, and ``/healthz`` are not counted)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        global _in_flight
        if scope["type"] != "http" or scope.get("path") == "/healthz":
            await self.app(scope, receive, send)
            return
        _in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            _in_flight -= 1


async def collect_when_quiet(
    every: float = QUIET_EVERY_SECONDS, longest: float = LONGEST_WAIT_SECONDS
) -> None:
    """Forever: a full collection at least ``every`` seconds after the last one, at the
    first check that finds no HTTP request in flight, or once ``longest`` seconds passed."""
    last = time.monotonic()
    while True:
        await asyncio.sleep(QUIET_CHECK_SECONDS)
        waited = time.monotonic() - last
        if (_in_flight == 0 and waited >= every) or waited >= longest:
            gc.collect()
            last = time.monotonic()
