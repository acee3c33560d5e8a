"""Outbound HTTP for adapters: one aiohttp session, timeouts, retries with backoff and jitter."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from app.destinations.adapters.base import ExportFailed

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    initial: float = 0.5
    maximum: float = 8.0
    jitter: float = 0.5


class Retryable(Exception):
    """A transient failure (timeout, connection error, 408/429/5xx): try again."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: Mapping[str, str]

    def json(self) -> Any:
        import json

        return json.loads(self.body or b"null")


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, Retryable)


async def request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    policy: RetryPolicy,
    timeout: float = 10.0,  # noqa: ASYNC109 - the per-try aiohttp timeout, not a deadline
    ok: frozenset[int] | None = None,
    **kwargs: Any,
) -> Reply:
    """One logical request: transient failures are retried with exponential backoff and
    jitter; any other 4xx fails at once with ExportFailed. Every try sends the same
    headers (the idempotency key among them)."""

    async def once() -> Reply:
        try:
            async with session.request(
                method, url, timeout=aiohttp.ClientTimeout(total=timeout), **kwargs
            ) as response:
                body = await response.read()
                reply = Reply(response.status, body, dict(response.headers))
        except TimeoutError as exc:
            raise Retryable(f"{method} {url}: timed out after {timeout:g}s") from exc
        except aiohttp.ClientError as exc:
            raise Retryable(f"{method} {url}: {type(exc).__name__}") from exc
        if reply.status in RETRYABLE_STATUS:
            raise Retryable(f"{method} {url}: HTTP {reply.status}")
        if (ok is not None and reply.status not in ok) or (
            ok is None and not 200 <= reply.status < 300
        ):
            snippet = reply.body[:200].decode("utf-8", "replace")
            raise ExportFailed(f"{method} {url}: HTTP {reply.status} {snippet}".strip())
        return reply

    try:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(_retryable),
            stop=stop_after_attempt(policy.attempts),
            wait=wait_exponential_jitter(
                multiplier=policy.initial, max=policy.maximum, jitter=policy.jitter
            ),
            reraise=False,
        ):
            with attempt:
                return await once()
    except RetryError as exc:
        last = exc.last_attempt.exception()
        raise ExportFailed(f"{last} (after {policy.attempts} tries)") from exc
    raise ExportFailed("no attempt was made")  # pragma: no cover - AsyncRetrying always tries
