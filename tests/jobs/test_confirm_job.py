"""The background confirmation job through a running app."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from app.shifts import models as shift_models
from app.tiers import models as tier_models
from tests.support import prepare_database, running_app
from tests.timelines.factories import contacts, schedule, set_layers, weekly


async def wait_for(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(timeout / 0.05)):
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


async def test_job_confirms_new_tiers_and_follows_the_moving_horizon(
    backend: str, tmp_path: Path
) -> None:
    url = await prepare_database(backend, tmp_path)
    async with running_app(url, backend, run_jobs=True, confirm_interval_seconds=0.05) as api:
        a, b = await contacts(api, "Ann", "Bob")
        s = await schedule(api, horizon=2)
        tier_id = s["tiers"][0]["id"]
        await set_layers(api, tier_id, [weekly("Daily", "2026-03-01T09:00", [a, b], unit="DAY")])

        async def confirmed() -> bool:
            tier = await tier_models.Tier.first()
            return tier is not None and tier.confirmed_version == tier.data_version

        await wait_for(confirmed)
        tier = await tier_models.Tier.get()
        first_until = tier.confirmed_until
        assert first_until is not None and first_until.isoformat().startswith("2026-03-05T00:00")
        first_rows = await shift_models.Shift.all().count()
        assert first_rows > 0

        api.clock.advance(timedelta(days=1))

        async def moved() -> bool:
            t = await tier_models.Tier.get()
            return t.confirmed_until is not None and t.confirmed_until > first_until

        await wait_for(moved)
        tier = await tier_models.Tier.get()
        assert tier.confirmed_until.isoformat().startswith("2026-03-06T00:00")
        rows = await shift_models.Shift.all().order_by("start")
        assert rows[-1].end == tier.confirmed_until
