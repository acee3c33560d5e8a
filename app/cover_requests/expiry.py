"""The expiry job: OPEN and OFFERED cover requests whose window has started become EXPIRED.

It runs in one process per slot (the job table's lease, as every periodic job), on the
status tick's interval."""

from __future__ import annotations

from app import clock
from app.cover_requests import service
from app.db import transaction


async def expire_started() -> int:
    async with transaction():
        return await service.expire_due(now=clock.now())
