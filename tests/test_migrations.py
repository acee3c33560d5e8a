"""The committed migrations build a working database on both backends, and match the models."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import pytest_asyncio
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector

from app import db as app_db
from app.demo import load_demo
from tests.support import require_postgres

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

# Tables the demo fills through the services: each must accept rows after migrating.
WRITTEN_BY_DEMO = {
    "organization",
    "api_token",
    "contact",
    "contact_group",
    "group_member",
    "schedule",
    "tier",
    "layer",
    "layer_participant",
    "cover_request",
    "cover_offer",
}


def _asyncpg_url(url: str, database: str | None = None) -> str:
    parts = urlsplit(url.replace("postgres://", "postgresql://", 1))
    path = f"/{database}" if database is not None else parts.path
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


@pytest_asyncio.fixture
async def fresh_postgres() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for this test only, dropped afterwards."""
    base = await require_postgres()
    name = f"rotagraph_migrate_test_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_asyncpg_url(base, "postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlunsplit(urlsplit(base)._replace(path=f"/{name}", query=""))
        finally:
            await Tortoise.close_connections()
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def _migrate(url: str) -> None:
    EXECUTOR_CACHE.clear()
    try:
        await app_db.migrate(url)
    finally:
        # A failed migration must not leave a connection (and its thread) behind.
        await Tortoise.close_connections()


async def _check_database(url: str) -> None:
    await _migrate(url)
    await _migrate(url)  # a second run finds nothing to apply
    EXECUTOR_CACHE.clear()
    await app_db.init_db(url)
    try:
        models = list(Tortoise.apps["models"].values())  # type: ignore[index]
        for model in models:
            # Selecting every column proves the table and each column the model names exist.
            await model.all().limit(1)
        await load_demo(now=NOW)
        counts = {m._meta.db_table: await m.all().count() for m in models}
        empty = sorted(t for t in WRITTEN_BY_DEMO if counts.get(t, 0) == 0)
        assert not empty, f"no rows written to {empty}"
    finally:
        await app_db.close_db()


async def test_migrations_build_a_working_sqlite_database(tmp_path: Path) -> None:
    await _check_database(f"sqlite://{tmp_path / 'migrated.sqlite3'}")


@pytest.mark.postgres
async def test_migrations_build_a_working_postgres_database(fresh_postgres: str) -> None:
    await _check_database(fresh_postgres)


async def test_models_and_migrations_agree() -> None:
    """What `tortoise makemigrations` would write; nothing is written here."""
    config = app_db.tortoise_config("sqlite://:memory:")
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        assert ctx.apps is not None
        writers = await MigrationAutodetector(ctx.apps, config["apps"]).changes()
    pending = [f"{w.app_label}: {op.describe()}" for w in writers for op in w.operations]
    assert not pending, (
        "the models and app/migrations disagree; write a migration with "
        "`.venv/bin/tortoise makemigrations --name <what_changed>`:\n  " + "\n  ".join(pending)
    )
