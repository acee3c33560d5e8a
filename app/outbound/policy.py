"""The address policy: which URLs and hosts an outbound request may reach."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from app.outbound.errors import BlockedAddress, OutboundError
from app.settings import Settings

SCHEMES = ("http", "https")
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

_shared_settings = Settings()  # the process's policy, set by configure()


def configure(settings: Settings) -> None:
    """Set the policy of the process's shared session (the app does this at start-up)."""
    global _shared_settings
    _shared_settings = settings


def process_settings() -> Settings:
    """The settings ``configure`` set (defaults until then)."""
    return _shared_settings


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


class GuardedResolver(AbstractResolver):
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


def guarded_socket(addr_info: Any) -> socket.socket:
    family, type_, proto, _, address = addr_info
    if is_blocked(str(address[0])):
        raise BlockedAddress(f"{address[0]} is not a public address, which is not allowed")
    return socket.socket(family=family, type=type_, proto=proto)
