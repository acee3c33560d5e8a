"""Outbound sessions and requests: redirects by hand, a size cap, retries with backoff."""

from __future__ import annotations

import asyncio
import json as jsonlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from multidict import CIMultiDict
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from app.outbound.errors import BlockedAddress, OutboundError
from app.outbound.policy import (
    GuardedResolver,
    check_url,
    guarded_socket,
    host_of,
    process_settings,
)
from app.settings import Settings

USER_AGENT = "Rotagraph/1"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
DEFAULT_MAX_BYTES = 10_000_000
_CHUNK = 64 * 1024

_shared: aiohttp.ClientSession | None = None


class _Transient(Exception):
    """A failure worth another try."""

    def __init__(self, error: OutboundError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently ``request`` tries (``attempts`` 1 = no retry)."""

    attempts: int = 5
    initial: float = 0.5
    maximum: float = 8.0
    jitter: float = 0.5


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: Mapping[str, str]

    def json(self) -> Any:
        return jsonlib.loads(self.body or b"null")


@dataclass(frozen=True)
class Fetched:
    """A successful ``fetch``: the body, or ``not_modified`` (HTTP 304) with no body."""

    body: bytes
    etag: str | None
    not_modified: bool = False
    content_type: str = ""


# ------------------------------------------------------------------------------ sessions


def _new_session(settings: Settings, *, timeout: float, limit: int) -> aiohttp.ClientSession:
    if settings.allow_private_addresses:
        connector = aiohttp.TCPConnector(limit=limit)
    else:
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(), socket_factory=guarded_socket, limit=limit
        )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout),
        headers={"User-Agent": USER_AGENT},
        trust_env=False,
    )


@asynccontextmanager
async def session(
    settings: Settings, *, total_seconds: float = 30.0, limit: int = 20
) -> AsyncIterator[aiohttp.ClientSession]:
    """A session under the address policy of ``settings``, closed when the block ends;
    ``total_seconds`` bounds any request that does not set its own timeout."""
    s = _new_session(settings, timeout=total_seconds, limit=limit)
    try:
        yield s
    finally:
        await s.close()


def shared() -> aiohttp.ClientSession:
    """The process's long-lived session (exports), created on first use, closed by close()."""
    global _shared
    if _shared is None or _shared.closed:
        _shared = _new_session(process_settings(), timeout=60.0, limit=100)
    return _shared


async def close() -> None:
    global _shared
    if _shared is not None and not _shared.closed:
        await _shared.close()
    _shared = None


# ------------------------------------------------------------------------------ requests


def _failure(exc: BaseException, host: str, timeout: float) -> OutboundError:
    seen: BaseException | None = exc
    while seen is not None:  # the policy's refusal is the message, wherever it is wrapped
        if isinstance(seen, BlockedAddress):
            return OutboundError(str(seen))
        inner = getattr(seen, "os_error", None)
        if isinstance(inner, BlockedAddress):
            return OutboundError(str(inner))
        seen = seen.__cause__ or seen.__context__
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        message = f"{host} did not answer within {timeout:g} seconds"
    elif isinstance(exc, aiohttp.ClientConnectorDNSError):
        message = f"could not resolve the host {host}"
    elif isinstance(exc, aiohttp.ClientSSLError):
        message = f"the TLS connection to {host} failed (certificate or protocol)"
    elif isinstance(exc, aiohttp.ClientConnectorError):
        message = f"could not connect to {host}"
    else:
        message = f"the connection to {host} failed ({type(exc).__name__})"
    return OutboundError(message, transient=True)


async def _read(response: aiohttp.ClientResponse, host: str, cap: int) -> bytes:
    if response.content_length is not None and response.content_length > cap:
        raise OutboundError(f"the answer from {host} is larger than {cap} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > cap:
            raise OutboundError(f"the answer from {host} is larger than {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _once(
    s: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    seconds: float,
    max_redirects: int,
    max_bytes: int,
    headers: Mapping[str, str],
    kwargs: dict[str, Any],
) -> Reply:
    """One try: the hops of one request, each under the policy; the final reply, any status."""
    current, origin = url, urlsplit(url)[:2]
    sent = dict(headers)
    for _hop in range(max_redirects + 1):
        host = host_of(current)
        try:
            async with s.request(
                method,
                current,
                headers=sent,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=seconds),
                **kwargs,
            ) as response:
                if response.status in REDIRECTS and "Location" in response.headers:
                    target = urljoin(current, response.headers["Location"])
                    if max_redirects == 0:
                        raise OutboundError(
                            f"{host} answered HTTP {response.status} (redirects are not followed)",
                            status=response.status,
                        )
                    if (why := check_url(target)) is not None:
                        raise OutboundError(f"{host} redirected to a URL that {why}")
                    if urlsplit(target)[:2] != origin:
                        sent.pop("Authorization", None)
                    if response.status == 303 and method != "HEAD":
                        method, kwargs = "GET", {k: v for k, v in kwargs.items() if k == "params"}
                    current = target
                    continue
                body = await _read(response, host, max_bytes)
                return Reply(response.status, body, CIMultiDict(response.headers))
        except OutboundError:
            raise
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise _failure(exc, host, seconds) from None
    raise OutboundError(f"{host_of(url)} redirected more than {max_redirects} times")


async def request(
    s: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    retry: RetryPolicy | None = None,
    timeout: float = 10.0,  # noqa: ASYNC109 - the per-try timeout, not a deadline
    ok: frozenset[int] | None = None,
    max_redirects: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
    headers: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> Reply:
    """One logical request (``kwargs`` go to aiohttp: ``data``, ``json``, ``params``).
    Transient failures are retried per ``retry`` (default: five tries); a status outside
    ``ok`` (default: any 2xx) is an OutboundError naming the host and the status. Every try
    sends the same headers (an idempotency key among them)."""
    policy = retry or RetryPolicy()
    host = host_of(url)

    async def once() -> Reply:
        try:
            reply = await _once(
                s,
                method,
                url,
                seconds=timeout,
                max_redirects=max_redirects,
                max_bytes=max_bytes,
                headers=headers or {},
                kwargs=dict(kwargs),
            )
        except OutboundError as exc:
            if exc.transient:
                raise _Transient(exc) from None
            raise
        accepted = 200 <= reply.status < 300 if ok is None else reply.status in ok
        if accepted:
            return reply
        error = OutboundError(f"{host} answered HTTP {reply.status}", status=reply.status)
        if reply.status in RETRYABLE_STATUS:
            raise _Transient(error)
        raise error

    try:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(_Transient),
            stop=stop_after_attempt(max(1, policy.attempts)),
            wait=wait_exponential_jitter(
                multiplier=policy.initial, max=policy.maximum, jitter=policy.jitter
            ),
            reraise=False,
        ):
            with attempt:
                return await once()
    except RetryError as exc:
        last = exc.last_attempt.exception()
        error = last.error if isinstance(last, _Transient) else OutboundError(str(last))
        if policy.attempts > 1:
            raise OutboundError(
                f"{error} (after {policy.attempts} tries)", status=error.status
            ) from None
        raise error from None
    raise OutboundError("no attempt was made")  # pragma: no cover - AsyncRetrying always tries


async def fetch(
    s: aiohttp.ClientSession,
    url: str,
    *,
    settings: Settings,
    etag: str | None = None,
    accept: str = "text/calendar, text/plain;q=0.5, */*;q=0.1",
) -> Fetched:
    """GET a document (a calendar): one try, redirects followed up to
    ``calendar_max_redirects``, the body refused past ``calendar_max_bytes``,
    ``If-None-Match`` sent when ``etag`` is given (a 304 answers ``not_modified``)."""
    headers = {"Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    reply = await request(
        s,
        "GET",
        url,
        retry=RetryPolicy(attempts=1),
        timeout=settings.calendar_timeout_seconds,
        ok=frozenset(range(200, 300)) | ({304} if etag else set()),
        max_redirects=settings.calendar_max_redirects,
        max_bytes=settings.calendar_max_bytes,
        headers=headers,
    )
    if reply.status == 304:
        return Fetched(b"", etag, not_modified=True)
    return Fetched(
        reply.body, reply.headers.get("ETag"), content_type=reply.headers.get("Content-Type", "")
    )
