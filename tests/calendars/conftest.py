from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from app.calendars import importer
from tests.calendars.ics_server import IcsServer, ics_server
from tests.support import Api, prepare_database, running_app


@pytest_asyncio.fixture
async def capi(backend: str, tmp_path: Path) -> AsyncIterator[Api]:
    """The whole app on each backend, with loopback sources allowed (the test servers)."""
    url = await prepare_database(backend, tmp_path)
    async with running_app(url, backend, calendar_timeout_seconds=5) as api:
        try:
            yield api
        finally:
            await importer.drain()


@pytest_asyncio.fixture
async def server() -> AsyncIterator[IcsServer]:
    async with ics_server() as s:
        yield s
