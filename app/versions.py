"""Organization data versions: bumped inside every write transaction that touches an
organization, and known to every process through pub/sub, so a cached answer can be proven
current without a database round trip.

A mutation marks its organization (``writing``); background writers call ``touch``. Just
before the transaction commits the versions are incremented in the database and the new
numbers are published with the commit (NOTIFY joins the transaction on PostgreSQL).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from contextvars import ContextVar
from typing import cast

from tortoise.expressions import F

from app import db, pubsub

log = logging.getLogger("rotagraph.versions")

CHANNEL = "org-versions"
_STATE = "versions.touched"

_writer: ContextVar[int | None] = ContextVar("rotagraph_writer_org", default=None)
KNOWN: dict[int, int] = {}
"""Versions this process knows to be current (dropped on a broker resync)."""

_reconnects_seen = 0


def writing(org_id: int) -> None:
    """Note that the current request writes to ``org_id`` (its transactions bump it)."""
    _writer.set(org_id)


def touch(org_id: int) -> None:
    """Bump ``org_id``'s version when the current transaction commits."""
    touched = db.transaction_state(_STATE, set[int])
    if touched is None:
        return
    touched.add(org_id)
    db.before_commit(_STATE, _bump, last=True)


def _on_begin() -> None:
    org_id = _writer.get()
    if org_id is not None:
        touch(org_id)


db.BEGIN_CALLBACKS.append(_on_begin)


async def _bump() -> None:
    from app.auth import models

    touched = sorted(db.transaction_state(_STATE, set[int]) or set[int]())
    if not touched:
        return
    await models.Organization.filter(id__in=touched).update(data_version=F("data_version") + 1)
    rows = await models.Organization.filter(id__in=touched).values_list("id", "data_version")
    for org_id, version in rows:
        pubsub.publish_after_commit(CHANNEL, {"org": org_id, "v": version})

    async def remember() -> None:
        for org_id, version in rows:
            learn(org_id, version)

    db.after_commit("versions.local", remember)


def learn(org_id: int, version: int) -> None:
    if version > KNOWN.get(org_id, 0):
        KNOWN[org_id] = version


def _events_trustworthy() -> bool:
    """Whether KNOWN can be trusted: the broker is listening and no reconnect happened since
    KNOWN was filled. While a cross-process broker is disconnected (or has just reconnected
    and its resync event is still queued) other processes' bumps may have been missed."""
    global _reconnects_seen
    broker = pubsub.broker()
    connected = getattr(broker, "connected", None)
    if connected is not None and not connected.is_set():
        KNOWN.clear()
        return False
    reconnects = getattr(broker, "reconnects", 0)
    if reconnects != _reconnects_seen:
        _reconnects_seen = reconnects
        KNOWN.clear()
    return True


async def _read(org_id: int) -> int:
    from app.auth import models

    version = cast(
        list[int],
        await models.Organization.filter(id=org_id).values_list("data_version", flat=True),
    )
    return int(version[0]) if version else 0


async def current(org_id: int) -> int:
    """This organization's current version: known from events, else read once (read every
    time while the broker is disconnected: events may be missed then)."""
    if not _events_trustworthy():
        return await _read(org_id)
    known = KNOWN.get(org_id)
    if known is not None:
        return known
    value = await _read(org_id)
    learn(org_id, value)
    return KNOWN.get(org_id, value)


async def follow() -> None:
    """Keep KNOWN in step with every process's writes (runs for the app's lifetime)."""
    async for event in pubsub.broker().subscribe(CHANNEL):
        if event.get("type") == pubsub.RESYNC:
            # Events may have been lost: forget everything and read versions afresh.
            KNOWN.clear()
            continue
        with contextlib.suppress(KeyError, TypeError, ValueError):
            learn(int(event["org"]), int(event["v"]))


def start_following() -> asyncio.Task[None]:
    return asyncio.create_task(follow(), name="versions.follow")


async def bump(org_id: int) -> None:
    """Bump ``org_id`` in a transaction of its own: for background writes made outside one."""
    async with db.transaction():
        touch(org_id)
