from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from tortoise import Tortoise

from app.db import tortoise_config
from tests.support import Api, prepare_database, running_app

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest_asyncio.fixture
async def db(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """Tortoise started on a clean database of each backend, for service tests."""
    url = await prepare_database(backend, tmp_path)
    await Tortoise.init(config=tortoise_config(url))
    try:
        yield url
    finally:
        await Tortoise.close_connections()


@pytest_asyncio.fixture
async def api(backend: str, tmp_path: Path) -> AsyncIterator[Api]:
    """The whole app in its lifespan on a clean database of each backend."""
    url = await prepare_database(backend, tmp_path)
    async with running_app(url, backend) as api:
        yield api
