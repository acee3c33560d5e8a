"""Before-commit hooks: the organization's data version is bumped after every other hook, so
a transaction never holds that shared row while it waits for another (no deadlock on
PostgreSQL between a writer and the export planner)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app import db, versions
from app.contacts import models as contact_models
from tests.support import prepare_database, running_app
from tests.timelines.factories import contacts


async def test_last_hooks_run_after_every_other_hook(backend: str, tmp_path: Path) -> None:
    url = await prepare_database(backend, tmp_path)
    ran: list[str] = []

    def note(name: str):  # type: ignore[no-untyped-def]
        async def hook() -> None:
            ran.append(name)
            if name == "first":
                db.before_commit("late", note("late"))

        return hook

    async with running_app(url, backend):
        async with db.transaction():
            db.before_commit("final", note("final"), last=True)
            db.before_commit("first", note("first"))
            db.before_commit("second", note("second"))
    assert ran == ["first", "second", "late", "final"]


@pytest.mark.postgres
async def test_a_writer_and_a_version_bump_do_not_deadlock(tmp_path: Path) -> None:
    """T1 touches the organization and, in a hook, updates a contact that T2 has locked; T2
    then bumps the organization too. Had T1 bumped first (it registered first), each would
    wait for the other's row and PostgreSQL would abort one."""
    url = await prepare_database("postgres", tmp_path)  # SQLite has one writer at a time
    async with running_app(url, "postgres") as api:
        await contacts(api, "Ann")
        pk = (await contact_models.Contact.get(name="Ann")).id
        t2_locked = asyncio.Event()
        t1_committing = asyncio.Event()

        async def t1() -> None:
            async with db.transaction():
                versions.touch(api.org_id)

                async def signal() -> None:
                    t1_committing.set()

                async def update() -> None:
                    await contact_models.Contact.filter(id=pk).update(name="T1")

                await t2_locked.wait()
                db.before_commit("signal", signal)
                db.before_commit("update", update)

        async def t2() -> None:
            async with db.transaction():
                await contact_models.Contact.filter(id=pk).update(name="T2")
                t2_locked.set()
                await t1_committing.wait()
                await asyncio.sleep(0.3)  # T1 is waiting for the contact's row now
                versions.touch(api.org_id)

        await asyncio.wait_for(asyncio.gather(t1(), t2()), timeout=30)
        assert (await contact_models.Contact.get(id=pk)).name == "T1"
