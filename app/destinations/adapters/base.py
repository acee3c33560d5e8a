"""The adapter interface every destination kind implements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp

from app.outbound import OutboundError


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class Segment:
    """One exported shift: a single assignee, consecutive equal assignees already merged."""

    start: datetime
    end: datetime
    contact_id: int


@dataclass(frozen=True)
class PreviousItem:
    external_id: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class ExportRequest:
    """Replace everything at the destination within [range_start, range_end) with
    ``segments``. Requests of one logical export carry the same ``idempotency_key``."""

    destination_id: int
    schedule_name: str
    config: Mapping[str, Any]
    secrets: Mapping[str, Any]
    range_start: datetime
    range_end: datetime
    segments: Sequence[Segment]
    people: Mapping[int, Person]
    idempotency_key: str
    previous_items: Sequence[PreviousItem] = ()


@dataclass
class ExportResult:
    """What the adapter created (to remove on a later replace) and what it removed."""

    created: list[PreviousItem] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


class ExportFailed(OutboundError):
    """A failure to report on the destination (``lastError``); the message is shown to users
    (VIEWERs among them), so it carries a status and a reason of ours: never secrets, never
    what the remote server answered. Failures of ``app.outbound`` are reported alike."""


class Adapter(Protocol):
    kind: str
    # The config key holding the address requests go to, its default, and the secrets that
    # are sent there (so they must be given again when the address moves to another origin).
    address_field: str
    default_address: str | None
    bound_secrets: tuple[str, ...]
    # Config keys that are credentials themselves (a webhook URL carries its own token):
    # shown to EDITOR and above only.
    credential_config: tuple[str, ...]
    # Whether exports create items at the destination that a later export must remove
    # (``previous_items`` / ``ExportResult``): a kind that replaces its range in one request
    # never has any, and its plan skips reading them.
    keeps_items: bool

    def check_config(
        self, config: Mapping[str, Any], secrets: Mapping[str, Any]
    ) -> list[tuple[str, str]]:
        """(field, message) for each problem; empty when the settings are usable."""
        ...

    async def export(
        self, request: ExportRequest, session: aiohttp.ClientSession
    ) -> ExportResult: ...


def redacted(adapter: Adapter, config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with its credential values hidden: a URL keeps its scheme and host."""
    out = dict(config)
    for key in adapter.credential_config:
        value = out.get(key)
        if isinstance(value, str) and "://" in value:
            parts = urlsplit(value)
            out[key] = f"{parts.scheme}://{parts.hostname or ''}/***"
        elif value is not None:
            out[key] = "***"
    return out


def address_of(adapter: Adapter, config: Mapping[str, Any]) -> str | None:
    """Where ``adapter`` sends requests for ``config`` (None when not a string)."""
    value = config.get(adapter.address_field, adapter.default_address)
    return value if isinstance(value, str) else None
