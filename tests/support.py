"""Test helpers: backends, the app in its lifespan, GraphQL calls, SQL counting, factories."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise import Tortoise, connections
from tortoise.backends.base.executor import EXECUTOR_CACHE

from app import versions
from app.auth import service as auth_service
from app.auth.roles import ORGANIZATION_ROLES
from app.clock import FixedClock
from app.db import is_postgres, tortoise_config
from app.main import create_app
from app.settings import Settings
from app.timelines.cache import CACHE as TIMELINE_CACHE

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def postgres_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG_URL


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


_PG_STATE: dict[str, Any] = {}


async def postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else the reason."""
    if "reason" not in _PG_STATE:
        import asyncpg

        url = postgres_url().replace("postgres://", "postgresql://", 1)
        try:
            conn = await asyncio.wait_for(asyncpg.connect(url), 5)
            await conn.close()
            _PG_STATE["reason"] = None
        except Exception as exc:  # any failure to connect is a reason to skip locally
            _PG_STATE["reason"] = f"PostgreSQL at {postgres_url()} is unreachable: {exc!r}"
    return _PG_STATE["reason"]


async def require_postgres() -> str:
    reason = await postgres_reachable()
    if reason is not None:
        if in_ci():
            pytest.fail(reason + " (CI=true: PostgreSQL is required)")
        pytest.skip(reason)
    return postgres_url()


def _schema_name() -> str:
    # One PostgreSQL schema per test process, so parallel runs on one database never collide.
    return f"rgtest_{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def _reset_schema(base_url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(base_url.replace("postgres://", "postgresql://", 1))
    try:
        for (name,) in await conn.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rgtest\\_%'"
        ):
            pid = name.split("_", 1)[1]
            if pid.isdigit() and not _pid_alive(int(pid)):
                await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        await conn.execute(f'DROP SCHEMA IF EXISTS "{_schema_name()}" CASCADE')
        await conn.execute(f'CREATE SCHEMA "{_schema_name()}"')
    finally:
        await conn.close()


async def prepare_database(backend: str, tmp_path: Path) -> str:
    """A clean database for one test: a new SQLite file, or a truncated PostgreSQL schema."""
    # Tortoise caches insert/delete SQL per (connection name, table), not per dialect; tests
    # switch dialects under the same connection name, so the cache must not carry over.
    EXECUTOR_CACHE.clear()
    # Computed timelines are cached per process by (tier id, version): a new database reuses ids.
    TIMELINE_CACHE.clear()
    auth_service.forget_all_tokens()
    versions.KNOWN.clear()
    if backend == "sqlite":
        url = f"sqlite://{tmp_path / 'test.sqlite3'}"
        await Tortoise.init(config=tortoise_config(url))
        await Tortoise.generate_schemas()
        await Tortoise.close_connections()
        return url
    base = await require_postgres()
    url = f"{base}{'&' if '?' in base else '?'}schema={_schema_name()}"
    await Tortoise.init(config=tortoise_config(url))
    conn = connections.get("default")
    tables = [m._meta.db_table for m in Tortoise.apps["models"].values()]  # type: ignore[index]
    try:
        if not _PG_STATE.get("schema"):
            raise LookupError("schema not created yet in this process")
        await conn.execute_script(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE;"
        )
    except Exception:  # first use, or a test dropped a table: build the schema afresh
        await Tortoise.close_connections()
        await _reset_schema(base)
        EXECUTOR_CACHE.clear()
        await Tortoise.init(config=tortoise_config(url))
        await Tortoise.generate_schemas()
        _PG_STATE["schema"] = True
    await Tortoise.close_connections()
    return url


@contextmanager
def count_sql() -> Iterator[list[str]]:
    """Collects every SQL statement Tortoise sends while the block runs."""
    statements: list[str] = []

    class Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if message.lstrip().split(" ", 1)[0].upper() in {
                "SELECT",
                "INSERT",
                "UPDATE",
                "DELETE",
                "WITH",
            }:
                statements.append(message)

    logger = logging.getLogger("tortoise.db_client")
    handler = Handler(level=logging.DEBUG)
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield statements
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


class GraphQLError(AssertionError):
    pass


@dataclass
class Api:
    """The whole app in its lifespan behind httpx's ASGI transport."""

    client: httpx.AsyncClient
    url: str
    backend: str
    clock: FixedClock
    tokens: dict[str, str] = field(default_factory=dict)
    org_id: int = 0

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        headers = {}
        secret = self.tokens.get("ADMIN") if token is None else token
        if secret:
            headers["Authorization"] = f"Bearer {secret}"
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        body: dict[str, Any] = response.json()
        return body

    async def ok(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        body = await self.post(query, variables, token=token)
        if body.get("errors"):
            raise GraphQLError(body["errors"])
        data: dict[str, Any] = body["data"]
        return data

    async def error(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        body = await self.post(query, variables, token=token)
        assert body.get("errors"), f"expected an error, got {body}"
        first: dict[str, Any] = body["errors"][0]
        return first


@asynccontextmanager
async def running_app(url: str, backend: str, **overrides: Any) -> AsyncIterator[Api]:
    clock = FixedClock(NOW)
    # The response cache is off unless a test turns it on: many tests write through
    # services directly (no mutation, so no version bump) and then read back. Test servers
    # listen on loopback, so private addresses are allowed unless a test turns that off.
    defaults = {
        "database_url": url,
        "run_jobs": False,
        "response_cache_entries": 0,
        "allow_private_addresses": True,
    }
    settings = Settings(**{**defaults, **overrides})
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            api = Api(client=client, url=url, backend=backend, clock=clock)
            org = await auth_service.create_organization(name="Acme")
            api.org_id = org.id
            for role in ORGANIZATION_ROLES:
                _, secret = await auth_service.create_token(
                    org_id=org.id, name=role.value.lower(), role=role
                )
                api.tokens[role.value] = secret
            yield api


async def table_counts() -> dict[str, int]:
    """Rows per table: compared before and after a failing mutation to prove nothing was written."""
    out = {}
    for model in Tortoise.apps["models"].values():  # type: ignore[index]
        out[model._meta.db_table] = await model.all().count()
    return out


__all__ = ["is_postgres"]
