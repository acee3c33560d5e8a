"""Keeps confirmed assignments current within the write that changed a tier's inputs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from app import clock, db

_STATE = "shifts.dirty_tiers"


def tiers_changed(tier_ids: Iterable[int]) -> None:
    """Called for every write to a tier's inputs. Inside a transaction, the tiers that were
    confirmed before are reconfirmed from now just before it commits (atomically with the
    change); the background job covers anything written outside one."""
    dirty = db.transaction_state(_STATE, set[int])
    if dirty is None:
        return
    dirty.update(tier_ids)
    db.before_commit(_STATE, _flush)


async def _flush() -> None:
    from app.shifts import service
    from app.tiers import models as tier_models

    dirty = db.transaction_state(_STATE, set[int]) or set()
    confirmed = cast(
        list[int],
        await tier_models.Tier.filter(id__in=dirty, confirmed_version__isnull=False).values_list(
            "id", flat=True
        ),
    )
    dirty.clear()
    if confirmed:
        await service.confirm(org_id=None, tier_ids=confirmed, now=clock.now())
