"""Upgrading to the rotation rules: stored schedules keep their shifts after migrating, and the
upgrade report names the tiers whose confirmed future the new §2 rules change."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.migrations.api.migrate import migrate

from app import db as app_db
from app.demo import load_demo
from app.engine import compute_timeline
from app.schedules import models as schedule_models
from app.tiers import models as tier_models
from app.timelines.inputs import load_tier_inputs

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
NEW_SCHEDULE = "Customer support"  # the demo's schedule of the new rules: not there before
COPIED = (
    "organization",
    "api_token",
    "contact",
    "contact_group",
    "group_member",
    "schedule",
    "tier",
    "layer",
    "layer_participant",
)
BEFORE_ROTATION_RULES = "0005_audit_log"

Year = dict[tuple[str, int], list[tuple[datetime, datetime, tuple[int | None, ...]]]]


async def _migrate(url: str, target: str | None = None) -> None:
    EXECUTOR_CACHE.clear()
    try:
        config = app_db.tortoise_config(url)
        await migrate(config=config, target=f"models.{target}" if target else None)
    finally:
        await Tortoise.close_connections()


async def _a_year_of_shifts(url: str) -> Year:
    EXECUTOR_CACHE.clear()
    await app_db.init_db(url)
    try:
        schedules = {
            s.id: s.name for s in await schedule_models.Schedule.exclude(name=NEW_SCHEDULE)
        }
        tiers = await tier_models.Tier.filter(schedule_id__in=set(schedules)).order_by("id")
        end = NOW + timedelta(days=365)
        out: Year = {}
        for tier in tiers:
            inputs = await load_tier_inputs(org_id=tier.organization_id, tiers=[tier], until=end)
            timeline = compute_timeline(inputs[tier.id], NOW, end)
            out[(schedules[tier.schedule_id], tier.number)] = [
                (s.start, s.end, s.positions) for s in timeline.shifts
            ]
        return out
    finally:
        await app_db.close_db()


def _copy_rows(source: Path, target: Path) -> None:
    """The demo's rows of the older schedules, in the columns the older schema has."""
    with sqlite3.connect(target) as conn:
        conn.execute("ATTACH DATABASE ? AS src", (str(source),))
        new_schedule = "(SELECT id FROM src.schedule WHERE name = ?)"
        new_tiers = f"(SELECT id FROM src.tier WHERE schedule_id IN {new_schedule})"
        new_layers = f"(SELECT id FROM src.layer WHERE tier_id IN {new_tiers})"
        skip = {
            "schedule": (f"id IN {new_schedule}", 1),
            "tier": (f"id IN {new_tiers}", 1),
            "layer": (f"id IN {new_layers}", 1),
            "layer_participant": (f"layer_id IN {new_layers}", 1),
        }
        for table in COPIED:
            columns = [row[1] for row in conn.execute(f"PRAGMA main.table_info({table})")]
            names = ", ".join(f'"{c}"' for c in columns)
            where, params = skip.get(table, ("0", 0))
            conn.execute(
                f"INSERT INTO main.{table} ({names}) SELECT {names} FROM src.{table} "
                f"WHERE NOT ({where})",
                (NEW_SCHEDULE,) * params,
            )
        conn.commit()
        conn.execute("DETACH DATABASE src")


async def test_existing_schedules_compute_the_same_year_of_shifts_after_migrating(
    tmp_path: Path,
) -> None:
    current = tmp_path / "current.sqlite3"
    older = tmp_path / "older.sqlite3"
    await _migrate(f"sqlite://{current}")
    EXECUTOR_CACHE.clear()
    await app_db.init_db(f"sqlite://{current}")
    try:
        await load_demo(now=NOW)
    finally:
        await app_db.close_db()
    expected = await _a_year_of_shifts(f"sqlite://{current}")

    await _migrate(f"sqlite://{older}", BEFORE_ROTATION_RULES)
    _copy_rows(current, older)
    await _migrate(f"sqlite://{older}")
    migrated = await _a_year_of_shifts(f"sqlite://{older}")

    assert len(expected) == 6  # three schedules of two tiers
    assert all(expected.values())
    assert migrated == expected
