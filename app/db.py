"""Tortoise configuration, start-up and the transaction helper."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from app.settings import Settings

MODEL_MODULES = [
    "app.auth.models",
    "app.contacts.models",
    "app.groups.models",
    "app.schedules.models",
    "app.tiers.models",
    "app.layers.models",
]
MIGRATIONS_MODULE = "app.migrations"


def normalize_url(url: str) -> str:
    """Accept the common spellings of a database URL and add SQLite's busy timeout."""
    if url.startswith("postgresql://"):
        url = "postgres://" + url[len("postgresql://") :]
    elif url.startswith("postgresql+asyncpg://"):
        url = "postgres://" + url[len("postgresql+asyncpg://") :]
    if url.startswith("sqlite://") and "busy_timeout" not in url:
        url += ("&" if "?" in url else "?") + "busy_timeout=5000"
    return url


def is_postgres(url: str) -> bool:
    return normalize_url(url).startswith(("postgres://", "asyncpg://"))


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": normalize_url(database_url)},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _config_from_env() -> dict[str, Any]:
    return tortoise_config(Settings.from_env().database_url)


# Read by Tortoise's own CLI through [tool.tortoise] in pyproject.toml.
TORTOISE_ORM = _config_from_env()


async def init_db(database_url: str) -> None:
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def close_db() -> None:
    await Tortoise.close_connections()


async def migrate(database_url: str) -> None:
    """Apply every migration not yet applied (Tortoise's built-in migrations)."""
    from tortoise.migrations.api.migrate import migrate as run_migrations

    await run_migrations(config=tortoise_config(database_url))
    await Tortoise.close_connections()


@asynccontextmanager
async def transaction() -> AsyncIterator[BaseDBAsyncClient]:
    """One database transaction. Mutations own it; services never commit on their own."""
    async with in_transaction() as conn:
        yield conn
