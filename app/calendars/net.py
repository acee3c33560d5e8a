"""Outbound HTTP for calendar imports: an address policy, timeouts, a size cap, ETags and
a bounded number of redirects.

Calendar URLs come from users, so a request must not reach the service's own network
(cloud metadata, databases, admin ports). With ``calendar_block_private_addresses`` on (the
default) every session made here refuses loopback, private, link-local, multicast, reserved
and other non-global addresses twice over: the resolver checks *every* address a host name
resolves to (one bad address refuses the host), and the socket factory checks the address
each connection is actually opened to (literal IPs, redirects, DNS answers that change
between checks). Messages name the host only: an ICS URL's path is its secret.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from app.settings import Settings

USER_AGENT = "Rotagraph-calendar-import/1"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
SCHEMES = ("http", "https")
_CHUNK = 64 * 1024


class BlockedAddress(OSError):
    """The address is not a public one and the policy refuses it."""


class FetchError(Exception):
    """A fetch failed; the message is fit for users (host only, never the URL's path).
    ``auth`` is true when the source refused the credentials (401 / 403)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def auth(self) -> bool:
        return self.status in (401, 403)


def is_blocked(address: str) -> bool:
    """Whether ``address`` (an IP literal) is anything but a public unicast address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        not ip.is_global
        or ip.is_multicast
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_private
        or ip.is_reserved
        or ip.is_unspecified
    )


def host_of(url: str) -> str:
    """What messages may show of a URL: its host name (never the path or credentials)."""
    return urlsplit(url).hostname or "the server"


def check_url(url: str) -> str | None:
    """Why ``url`` cannot be fetched (scheme, host, embedded credentials), or None."""
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


class GuardedResolver(AbstractResolver):
    """Resolves with the default resolver and refuses a host when any address is blocked."""

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
        raise BlockedAddress(f"connecting to {address[0]} is not allowed (not a public address)")
    return socket.socket(family=family, type=type_, proto=proto)


@asynccontextmanager
async def session(settings: Settings) -> AsyncIterator[aiohttp.ClientSession]:
    """An aiohttp session for calendar sources, under the address policy of ``settings``."""
    if settings.calendar_block_private_addresses:
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(), socket_factory=_guarded_socket, limit=20
        )
    else:
        connector = aiohttp.TCPConnector(limit=20)
    timeout = aiohttp.ClientTimeout(total=settings.calendar_timeout_seconds)
    async with aiohttp.ClientSession(
        connector=connector,
        timeout=timeout,
        headers={"User-Agent": USER_AGENT},
        trust_env=False,
    ) as s:
        yield s


async def check_host(url: str, settings: Settings) -> None:
    """Refuse early, with a clear message, a URL whose host is not public (when the policy
    is on). The session checks again at connect time: this is for the message."""
    if not settings.calendar_block_private_addresses:
        return
    host = urlsplit(url).hostname or ""
    try:
        ipaddress.ip_address(host)
        literal = True
    except ValueError:
        literal = False
    if literal:
        if is_blocked(host):
            raise FetchError(f"{host} is not a public address, which is not allowed")
        return
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        raise FetchError(f"could not resolve the host {host}") from None
    for info in infos:
        if is_blocked(str(info[4][0])):
            raise FetchError(f"{host} resolves to a private or local address, which is not allowed")


@dataclass(frozen=True)
class Fetched:
    """A successful fetch: the body, or ``not_modified`` (HTTP 304) with no body."""

    body: bytes
    etag: str | None
    not_modified: bool = False
    content_type: str = ""


def _failure(exc: BaseException, host: str, timeout: float) -> FetchError:
    seen: BaseException | None = exc
    while seen is not None:  # the policy's refusal is the message, wherever it is wrapped
        if isinstance(seen, BlockedAddress):
            return FetchError(str(seen))
        inner = getattr(seen, "os_error", None)
        if isinstance(inner, BlockedAddress):
            return FetchError(str(inner))
        seen = seen.__cause__ or seen.__context__
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return FetchError(f"{host} did not answer within {timeout:g} seconds")
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return FetchError(f"could not resolve the host {host}")
    if isinstance(exc, aiohttp.ClientSSLError):
        return FetchError(f"the TLS connection to {host} failed (certificate or protocol)")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return FetchError(f"could not connect to {host}")
    return FetchError(f"the connection to {host} failed ({type(exc).__name__})")


async def fetch(
    s: aiohttp.ClientSession,
    url: str,
    *,
    settings: Settings,
    etag: str | None = None,
    accept: str = "text/calendar, text/plain;q=0.5, */*;q=0.1",
) -> Fetched:
    """GET ``url``: redirects followed by hand (at most ``calendar_max_redirects``, http and
    https only, the address policy applied to each hop), the body streamed and refused past
    ``calendar_max_bytes``, ``If-None-Match`` sent when ``etag`` is given (a 304 answers
    ``not_modified``). Any failure is a FetchError naming the host only."""
    headers = {"Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    cap = settings.calendar_max_bytes
    current = url
    for _hop in range(settings.calendar_max_redirects + 1):
        host = host_of(current)
        await check_host(current, settings)
        try:
            async with s.get(current, headers=headers, allow_redirects=False) as response:
                if response.status in REDIRECTS and "Location" in response.headers:
                    target = urljoin(current, response.headers["Location"])
                    if (why := check_url(target)) is not None:
                        raise FetchError(f"{host} redirected to a URL that {why}")
                    current = target
                    continue
                if response.status == 304 and etag:
                    return Fetched(b"", etag, not_modified=True)
                if response.status in (401, 403):
                    raise FetchError(
                        f"{host} refused access (HTTP {response.status})", status=response.status
                    )
                if response.status in (404, 410):
                    raise FetchError(
                        f"{host} answered HTTP {response.status}",
                        status=response.status,
                    )
                if not 200 <= response.status < 300:
                    raise FetchError(
                        f"{host} answered HTTP {response.status}", status=response.status
                    )
                if response.content_length is not None and response.content_length > cap:
                    raise FetchError(f"the calendar at {host} is larger than {cap} bytes")
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.content.iter_chunked(_CHUNK):
                    size += len(chunk)
                    if size > cap:
                        raise FetchError(f"the calendar at {host} is larger than {cap} bytes")
                    chunks.append(chunk)
                return Fetched(
                    b"".join(chunks),
                    response.headers.get("ETag"),
                    content_type=response.headers.get("Content-Type", ""),
                )
        except FetchError:
            raise
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise _failure(exc, host, settings.calendar_timeout_seconds) from None
    raise FetchError(f"{host_of(url)} redirected more than {settings.calendar_max_redirects} times")
