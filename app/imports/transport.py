"""Where readers get vendor JSON from: the vendor's REST API, or the same JSON saved as files.

Both answer ``await transport.get(path, params)`` with the decoded body. Readers only ever
read (GET), so a read-only key is enough. Over HTTP a 429 waits for ``Retry-After`` and a 5xx
or a dropped connection is retried with backoff; a refused key, an unreachable host, a
missing page or malformed JSON raise one ``SourceError`` naming the field to fix. The key
travels only in the request header: no message, log line or report contains it.

Files: ``<directory>/<path>.json``, e.g. ``schedules.json`` for ``/schedules`` and
``schedules/P1/overrides.json`` for ``/schedules/P1/overrides``. A saved list endpoint holds
every item in one body (readers stop paginating when the body says there is no more).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp

from app import outbound
from app.imports.source import SourceError

MAX_BODY_BYTES = 50_000_000
MAX_RETRY_AFTER = 60.0
ATTEMPTS = 5
CONNECT_ATTEMPTS = 3
TIMEOUT_SECONDS = 30.0
ANY_STATUS = frozenset(range(100, 600))


class Transport(Protocol):
    async def get(self, path: str, params: Mapping[str, str] | None = None) -> Any: ...


@dataclass
class FileTransport:
    """Reads ``<root>/<path>.json``; query parameters are ignored (the file holds it all)."""

    root: Path

    async def get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        relative = path.strip("/")
        target = (self.root / f"{relative}.json").resolve()
        if self.root.resolve() not in target.parents:
            raise SourceError(f"{path!r} is outside the import directory", field="path")
        try:
            raw = target.read_bytes()
        except FileNotFoundError:
            raise SourceError(
                f"missing file {relative}.json in {self.root}", field="path"
            ) from None
        except OSError as exc:
            raise SourceError(
                f"cannot read {relative}.json: {exc.strerror}", field="path"
            ) from None
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise SourceError(f"{relative}.json is not valid JSON", field="path") from None


async def send(
    session: aiohttp.ClientSession,
    url: str,
    *,
    headers: Mapping[str, str],
    params: Mapping[str, str] | None,
) -> outbound.Reply:
    """One GET through the shared outbound client (its address policy, size cap and error
    vocabulary); any HTTP status comes back, the caller decides what to retry."""
    return await outbound.request(
        session,
        "GET",
        url,
        retry=outbound.RetryPolicy(attempts=1),
        timeout=TIMEOUT_SECONDS,
        ok=ANY_STATUS,
        max_bytes=MAX_BODY_BYTES,
        headers=headers,
        params=dict(params or {}),
    )


def retry_after(value: str | None, attempt: int) -> float:
    """Seconds to wait before the next try: ``Retry-After`` (seconds or an HTTP date),
    else exponential backoff; never more than a minute."""
    if value:
        try:
            return min(MAX_RETRY_AFTER, max(0.0, float(value)))
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                from app import clock

                return min(MAX_RETRY_AFTER, max(0.0, (when - clock.now()).total_seconds()))
    return min(MAX_RETRY_AFTER, 0.1 * 2**attempt)


@dataclass
class HttpTransport:
    """A vendor's REST API under ``base_url`` with the vendor's auth ``headers``."""

    vendor: str
    base_url: str
    headers: Mapping[str, str]
    session: aiohttp.ClientSession

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or "the server"

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    async def get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        reply = await self._get_with_retries(path, params)
        try:
            return json.loads(reply.body)
        except (ValueError, UnicodeDecodeError):
            raise SourceError(
                f"{self.vendor} at {self.host} answered {path} with malformed JSON",
                field="baseUrl",
            ) from None

    async def _get_with_retries(
        self, path: str, params: Mapping[str, str] | None
    ) -> outbound.Reply:
        """429 and 5xx: up to ATTEMPTS tries; a connection that cannot be made: up to
        CONNECT_ATTEMPTS (a name that does not resolve rarely starts to)."""
        failure, tries, refused = "", 0, 0
        while tries < ATTEMPTS and refused < CONNECT_ATTEMPTS:
            tries += 1
            try:
                reply = await send(
                    self.session, self.url(path), headers=self.headers, params=params
                )
            except outbound.OutboundError as exc:
                if not exc.transient:  # a refused address, an oversized answer: final
                    raise SourceError(f"{self.vendor}: {exc}", field="baseUrl") from None
                failure = f"cannot reach {self.vendor}: {exc}"
                refused += 1
                if refused < CONNECT_ATTEMPTS:
                    await asyncio.sleep(retry_after(None, tries - 1))
                continue
            if reply.status == 429 or reply.status >= 500:
                failure = f"{self.vendor} at {self.host} answered HTTP {reply.status} to {path}"
                if tries < ATTEMPTS:
                    await asyncio.sleep(retry_after(reply.headers.get("Retry-After"), tries - 1))
                continue
            if reply.status in (401, 403):
                raise SourceError(
                    f"{self.vendor} refused the API key (HTTP {reply.status})", field="apiKey"
                )
            if reply.status != 200:
                raise SourceError(
                    f"{self.vendor} at {self.host} answered HTTP {reply.status} to {path}",
                    field="baseUrl",
                )
            return reply
        raise SourceError(f"{failure} (after {tries} tries)", field="baseUrl")
