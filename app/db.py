"""Tortoise configuration, start-up and the transaction helper."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

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
    "app.on_demand_shifts.models",
    "app.shifts.models",
    "app.substitutions.models",
    "app.destinations.models",
    "app.jobs.models",
    "app.calendars.models",
    "app.imports.models",
    "app.cover_requests.models",
    "app.audit.models",
    "app.notifications.models",
    "app.ledger.models",
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

    try:
        await run_migrations(config=tortoise_config(database_url))
    finally:
        await Tortoise.close_connections()


Hook = Callable[[], Awaitable[None]]
T = TypeVar("T")


class _Hooks:
    def __init__(self) -> None:
        self.before_commit: dict[str, Hook] = {}
        self.last_before_commit: dict[str, Hook] = {}
        self.after_commit: dict[str, Hook] = {}
        self.state: dict[str, Any] = {}


_hooks: ContextVar[_Hooks | None] = ContextVar("rotagraph_tx_hooks", default=None)


def before_commit(key: str, hook: Hook, *, last: bool = False) -> None:
    """Run ``hook`` once, inside the current transaction, just before it commits.

    Registering the same key again replaces nothing: the first hook for a key stays, so
    callers keep their own state (e.g. a set of dirty ids) and register a flush once.
    Outside a transaction the hook is dropped: there is nothing to attach it to.
    ``last`` hooks run once no other hook is pending: a hook that locks a row every writer
    shares (the organization's data version) takes that lock at the very end, so a
    transaction never holds it while it waits for another row (PostgreSQL deadlocks).
    """
    hooks = _hooks.get()
    if hooks is not None:
        (hooks.last_before_commit if last else hooks.before_commit).setdefault(key, hook)


BEGIN_CALLBACKS: list[Callable[[], None]] = []
"""Called at the start of every outermost transaction (e.g. to note which organization a
mutation writes to)."""


def transaction_state(key: str, factory: Callable[[], T]) -> T | None:
    """A value private to the current outermost transaction (None outside one)."""
    hooks = _hooks.get()
    if hooks is None:
        return None
    if key not in hooks.state:
        hooks.state[key] = factory()
    value: T = hooks.state[key]
    return value


def after_commit(key: str, hook: Hook) -> None:
    """Run ``hook`` once after the current transaction committed (never after a rollback)."""
    hooks = _hooks.get()
    if hooks is not None:
        hooks.after_commit.setdefault(key, hook)


@asynccontextmanager
async def transaction() -> AsyncIterator[BaseDBAsyncClient]:
    """One database transaction. Mutations own it; services never commit on their own.

    Nested calls join the outer transaction. Hooks registered while it runs fire before the
    commit (still inside it, so their writes are atomic with the rest) and after it.
    """
    if _hooks.get() is not None:
        async with in_transaction() as conn:
            yield conn
        return
    hooks = _Hooks()
    token = _hooks.set(hooks)
    try:
        async with in_transaction() as conn:
            for begin in BEGIN_CALLBACKS:
                begin()
            yield conn
            while hooks.before_commit or hooks.last_before_commit:
                pending = hooks.before_commit or hooks.last_before_commit
                await pending.pop(next(iter(pending)))()
    finally:
        _hooks.reset(token)
    for hook in hooks.after_commit.values():
        await hook()
