"""Fixtures of the multi-process tests: one fresh, migrated PostgreSQL database per module
and an organization (made with `rotagraph create-org`) whose ADMIN token the tests share;
each test makes its own schedules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.scaleout.cluster import create_org, scaleout_database


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with scaleout_database() as url:
        yield url


@pytest.fixture(scope="module")
def admin(database: str) -> str:
    return create_org(database, "Scale-out")
