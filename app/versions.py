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

from tortoise.expressions import F

from app import db, pubsub

log = logging.getLogger("rotagraph.versions")

CHANNEL = "org-versions"
_STATE = "versions.touched"

_writer: ContextVar[int | None] = ContextVar("rotagraph_writer_org", default=None)
KNOWN: dict[int, int] = {}
"""Versions this process knows to be current (dropped on a broker resync)."""


def writing(org_id: int) -> None:
    """Note that the current request writes to ``org_id`` (its transactions bump it)."""
    _writer.set(org_id)


def touch(org_id: int) -> None:
    """Bump ``org_id``'s version when the current transaction commits."""
    touched = db.transaction_state(_STATE, set)
    if touched is None:
        return
    touched.add(org_id)
    db.before_commit(_STATE, _bump)


def _on_begin() -> None:
    org_id = _writer.get()
    if org_id is not None:
        touch(org_id)


db.BEGIN_CALLBACKS.append(_on_begin)


async def _bump() -> None:
    from app.auth import models

    touched = sorted(db.transaction_state(_STATE, set) or ())
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


async def current(org_id: int) -> int:
    """This organization's current version: known from events, else read once."""
    known = KNOWN.get(org_id)
    if known is not None:
        return known
    from app.auth import models

    version = await models.Organization.filter(id=org_id).values_list("data_version", flat=True)
    value = int(version[0]) if version else 0
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
