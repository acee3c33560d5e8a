"""The confirmation job: keeps every tier's confirmed shifts current as the horizon moves
and for changes made outside a request."""

from __future__ import annotations

from app import clock
from app.db import transaction
from app.layers import holiday_upgrade
from app.shifts import service as shift_service

BATCH = 50


async def confirm_stale_tiers() -> int:
    """Reconfirm the tiers that lag behind (never confirmed, changed, or horizon moved);
    a transaction per batch keeps locks short. A new ``holidays`` library version is taken
    first as an edit of the calendars it moves (``app.layers.holiday_upgrade``). Returns how
    many tiers were confirmed."""
    now = clock.now()
    async with transaction():
        await holiday_upgrade.reconcile(now=now)
    stale = await shift_service.stale_tier_ids(now=now)
    for i in range(0, len(stale), BATCH):
        async with transaction():
            await shift_service.confirm(org_id=None, tier_ids=stale[i : i + BATCH], now=now)
    return len(stale)
