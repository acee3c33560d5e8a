"""Outbound HTTP: the one way Rotagraph calls another server.

Webhooks, PagerDuty, CalDAV (exports and imports), ICS calendar imports and every later
integration (vendor importers, notifications) send their requests through this module, so
one address policy, one redirect rule, one size cap and one error vocabulary hold for all.

Use::

    from app import outbound

    async with outbound.session(settings) as s:         # a guarded session of one's own
        reply = await outbound.request(s, "POST", url, json=..., headers=...,
                                       retry=outbound.RetryPolicy(attempts=5), timeout=10)
        got = await outbound.fetch(s, url, settings=settings, etag=previous_etag)

    s = outbound.shared()     # the process's long-lived session (the app configures it)

    outbound.check_url(url)                    # why a URL is unusable (scheme, host, user:pw)
    outbound.address_problem(url, settings)    # why its host is refused, without DNS
    await outbound.check_host(url, settings)   # the same after DNS (raises OutboundError)

**Address policy.** Unless ``settings.allow_private_addresses`` is on, a session refuses
loopback, private, link-local, CGNAT, multicast, reserved and unspecified addresses in every
spelling (``127.1``, ``0x7f000001``, ``[::ffff:127.0.0.1]``, ``[::1]``, NAT64 and 6to4 forms
of them): its resolver refuses a host when *any* of its addresses is refused, and its socket
factory checks the address each connection is actually opened to, which covers literal
addresses, every redirect hop and DNS answers that change between checks.

**Redirects** are followed by hand, at most ``max_redirects`` hops (0 for ``request``
unless asked, so a webhook POST never wanders), http and https only, each hop under the
policy; ``Authorization`` is dropped when a hop leaves the first origin.

**Errors.** Every failure is an :class:`OutboundError` whose message names the host and the
HTTP status only: never the URL's path or query (an ICS URL's path and a webhook URL are
secrets), never credentials, never the remote server's body. ``status`` holds the HTTP status
when there was one. ``request`` retries transient failures (timeouts, connection errors,
408/425/429/5xx) with exponential backoff and jitter; a refused address is never retried.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json as jsonlib
import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from multidict import CIMultiDict
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from app.settings import Settings

USER_AGENT = "Rotagraph/1"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
SCHEMES = ("http", "https")
DEFAULT_MAX_BYTES = 10_000_000
_CHUNK = 64 * 1024
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

_shared: aiohttp.ClientSession | None = None
_shared_settings = Settings()  # the process's policy, set by configure()


class OutboundError(Exception):
    """A request failed. The message is fit for users: host and status only."""

    def __init__(self, message: str, *, status: int | None = None, transient: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.transient = transient

    @property
    def auth(self) -> bool:
        """The server refused the credentials (HTTP 401 or 403)."""
        return self.status in (401, 403)


class BlockedAddress(OSError):
    """The address is not a public one and the policy refuses it."""


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


# ------------------------------------------------------------------------ address policy


def is_blocked(address: str) -> bool:
    """Whether ``address`` (an IP literal) is anything but a public unicast address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return is_blocked(str(embedded))
    return (
        not ip.is_global
        or ip.is_multicast
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_private
        or ip.is_reserved
        or ip.is_unspecified
    )


def literal_address(host: str) -> str | None:
    """The IP address ``host`` spells, in any spelling a resolver accepts (``127.1``,
    ``0x7f.0.0.1``, ``2130706433``, ``[::1]``), or None for a host name."""
    host = host.strip("[]").rstrip(".")
    try:
        return str(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefxABCDEFX." for c in host):
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return None
    return None


def host_of(url: str) -> str:
    """What messages may show of a URL: its host name (never the path or credentials)."""
    try:
        return urlsplit(url).hostname or "the server"
    except ValueError:
        return "the server"


def check_url(url: str) -> str | None:
    """Why ``url`` cannot be requested (scheme, host, embedded credentials), or None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "is not a valid URL"
    if parts.scheme.lower() not in SCHEMES:
        return "must be an http:// or https:// URL"
    if not parts.hostname:
        return "must name a host"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password (give them separately)"
    return None


def address_problem(url: str, settings: Settings | None = None) -> str | None:
    """Why the policy (of ``settings``, else the process's: see ``configure``) refuses
    ``url``'s host as written (a literal non-public address or a local name), without asking
    DNS; None when it may be tried. Names resolving to refused addresses fail at connect."""
    if (settings or _shared_settings).allow_private_addresses:
        return None
    host = (host_of(url) if "://" in url else url).lower().rstrip(".")
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return f"{host} is a local name, which is not allowed"
    literal = literal_address(host)
    if literal is not None and is_blocked(literal):
        return f"{host} is not a public address, which is not allowed"
    return None


async def check_host(url: str, settings: Settings) -> None:
    """Refuse, with a clear message, a URL whose host is not public (when the policy is on),
    asking DNS for names. Sessions check again at connect time: this is for the message."""
    if settings.allow_private_addresses:
        return
    if (why := address_problem(url, settings)) is not None:
        raise OutboundError(why)
    host = host_of(url)
    if literal_address(host) is not None:
        return
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        raise OutboundError(f"could not resolve the host {host}") from None
    for info in infos:
        if is_blocked(str(info[4][0])):
            raise OutboundError(
                f"{host} resolves to a private or local address, which is not allowed"
            )


class _GuardedResolver(AbstractResolver):
    """The default resolver; a host is refused when any of its addresses is."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        for info in found:
            if is_blocked(info["host"]):
                raise BlockedAddress(
                    f"{host} resolves to a private or local address, which is not allowed"
                )
        return found

    async def close(self) -> None:
        await self._inner.close()


def _guarded_socket(addr_info: Any) -> socket.socket:
    family, type_, proto, _, address = addr_info
    if is_blocked(str(address[0])):
        raise BlockedAddress(f"{address[0]} is not a public address, which is not allowed")
    return socket.socket(family=family, type=type_, proto=proto)


# ------------------------------------------------------------------------------ sessions


def _new_session(settings: Settings, *, timeout: float, limit: int) -> aiohttp.ClientSession:
    if settings.allow_private_addresses:
        connector = aiohttp.TCPConnector(limit=limit)
    else:
        connector = aiohttp.TCPConnector(
            resolver=_GuardedResolver(), socket_factory=_guarded_socket, limit=limit
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


def configure(settings: Settings) -> None:
    """Set the policy of the process's shared session (the app does this at start-up)."""
    global _shared_settings
    _shared_settings = settings


def shared() -> aiohttp.ClientSession:
    """The process's long-lived session (exports), created on first use, closed by close()."""
    global _shared
    if _shared is None or _shared.closed:
        _shared = _new_session(_shared_settings, timeout=60.0, limit=100)
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
