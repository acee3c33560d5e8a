"""One frozen settings object, read from the environment once."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any


class SettingError(ValueError):
    """A setting's value is unusable; the message names its environment variable."""


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingError(f"{name} must be a whole number, got {raw!r}") from None


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingError(f"{name} must be a number of seconds, got {raw!r}") from None


DATABASE_URL_FORMS = (
    "sqlite://PATH (e.g. sqlite://rotagraph.sqlite3 or sqlite:///var/lib/rotagraph.sqlite3), "
    "sqlite://:memory:, or postgres://USER:PASSWORD@HOST:PORT/DATABASE"
)
_DATABASE_SCHEMES = ("sqlite", "postgres", "postgresql", "postgresql+asyncpg", "asyncpg")


def check_database_url(url: str) -> str:
    """``url`` when it has an accepted form, else a SettingError naming the forms."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in _DATABASE_SCHEMES or not rest.split("?", 1)[0]:
        shown = url if "@" not in url else scheme + sep + "…@" + url.rpartition("@")[2]
        raise SettingError(f"DATABASE_URL {shown!r} is not supported; use {DATABASE_URL_FORMS}")
    return url


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value not in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
        raise SettingError(f"{name} must be true or false, got {raw!r}")
    return value in {"1", "true", "yes", "on"}


DEFAULT_DATABASE_URL = "sqlite://rotagraph.sqlite3"


@dataclass(frozen=True)
class Settings:
    """Runtime configuration. Every field has an environment variable of the same name."""

    database_url: str = DEFAULT_DATABASE_URL
    pubsub_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000
    max_body_bytes: int = 1_000_000
    max_query_cost: int = 100_000
    max_response_bytes: int = 16_000_000
    execution_seconds: float = 30.0
    page_size_cap: int = 100
    max_window_days: int = 366
    graphiql: bool = True
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)
    run_jobs: bool = True
    confirm_interval_seconds: float = 60.0
    timeline_cache_entries: int = 1024
    timeline_cache_bytes: int = 64_000_000
    response_cache_entries: int = 2000
    response_cache_bytes: int = 64_000_000
    status_interval_seconds: float = 60.0
    export_poll_seconds: float = 5.0
    export_concurrency: int = 20
    export_lease_seconds: float = 60.0
    export_grace_seconds: float = 60.0
    calendar_import_interval_seconds: float = 900.0
    calendar_max_bytes: int = 10_000_000
    calendar_timeout_seconds: float = 20.0
    calendar_max_redirects: int = 5
    allow_private_addresses: bool = False
    feed_base_url: str | None = None
    metrics_token: str | None = None
    smtp_url: str | None = None
    smtp_from: str = "rotagraph@localhost"
    smtp_timeout_seconds: float = 20.0
    smtp_ca_file: str | None = None
    notice_poll_seconds: float = 5.0
    notice_settle_seconds: float = 60.0
    notice_concurrency: int = 20
    notice_max_attempts: int = 8
    notice_lease_seconds: float = 60.0

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        origins = os.environ.get("ALLOWED_ORIGINS", "")
        settings = cls(
            database_url=check_database_url(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL),
            pubsub_url=os.environ.get("PUBSUB_URL") or None,
            host=os.environ.get("HOST", "127.0.0.1"),
            port=_int("PORT", 8000),
            max_query_depth=_int("MAX_QUERY_DEPTH", 12),
            max_aliases=_int("MAX_ALIASES", 30),
            max_tokens=_int("MAX_TOKENS", 4000),
            max_body_bytes=_int("MAX_BODY_BYTES", 1_000_000),
            max_query_cost=_int("MAX_QUERY_COST", 100_000),
            max_response_bytes=_int("MAX_RESPONSE_BYTES", 16_000_000),
            execution_seconds=float(os.environ.get("EXECUTION_SECONDS") or 30),
            page_size_cap=_int("PAGE_SIZE_CAP", 100),
            max_window_days=_int("MAX_WINDOW_DAYS", 366),
            graphiql=_bool("GRAPHIQL", True),
            allowed_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
            run_jobs=_bool("RUN_JOBS", True),
            confirm_interval_seconds=_float("CONFIRM_INTERVAL_SECONDS", 60),
            timeline_cache_entries=_int("TIMELINE_CACHE_ENTRIES", 1024),
            timeline_cache_bytes=_int("TIMELINE_CACHE_BYTES", 64_000_000),
            response_cache_entries=_int("RESPONSE_CACHE_ENTRIES", 2000),
            response_cache_bytes=_int("RESPONSE_CACHE_BYTES", 64_000_000),
            status_interval_seconds=_float("STATUS_INTERVAL_SECONDS", 60),
            export_poll_seconds=_float("EXPORT_POLL_SECONDS", 5),
            export_concurrency=_int("EXPORT_CONCURRENCY", 20),
            export_lease_seconds=_float("EXPORT_LEASE_SECONDS", 60),
            export_grace_seconds=_float("EXPORT_GRACE_SECONDS", 60),
            calendar_import_interval_seconds=_float("CALENDAR_IMPORT_INTERVAL_SECONDS", 900),
            calendar_max_bytes=_int("CALENDAR_MAX_BYTES", 10_000_000),
            calendar_timeout_seconds=_float("CALENDAR_TIMEOUT_SECONDS", 20),
            calendar_max_redirects=_int("CALENDAR_MAX_REDIRECTS", 5),
            allow_private_addresses=_bool("ALLOW_PRIVATE_ADDRESSES", False),
            feed_base_url=(os.environ.get("FEED_BASE_URL") or "").rstrip("/") or None,
            metrics_token=os.environ.get("METRICS_TOKEN") or None,
            smtp_url=os.environ.get("SMTP_URL") or None,
            smtp_from=os.environ.get("SMTP_FROM") or "rotagraph@localhost",
            smtp_timeout_seconds=_float("SMTP_TIMEOUT_SECONDS", 20),
            smtp_ca_file=os.environ.get("SMTP_CA_FILE") or None,
            notice_poll_seconds=_float("NOTICE_POLL_SECONDS", 5),
            notice_settle_seconds=_float("NOTICE_SETTLE_SECONDS", 60),
            notice_concurrency=_int("NOTICE_CONCURRENCY", 20),
            notice_max_attempts=_int("NOTICE_MAX_ATTEMPTS", 8),
            notice_lease_seconds=_float("NOTICE_LEASE_SECONDS", 60),
        )
        return replace(settings, **overrides) if overrides else settings
