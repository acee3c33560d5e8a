"""Shared fixtures of the schedule page's browser tests: one real server and one Chromium.

* ``site``: Rotagraph as a real uvicorn subprocess on a loopback port, on a SQLite file
  holding the demo organization (``rotagraph demo``'s data) plus one 3-tier by 4-layer schedule
  for the render-time measurement; with the ADMIN token and a synchronous GraphQL helper.
* ``browser``: Debian's Chromium driven by Playwright's Python package (no browser download:
  ``executable_path`` is the system ``chromium``). Missing Chromium or Playwright skips the
  tests locally and fails them when ``CI=true``.

Screenshots go to ``test-artifacts/page/`` at the repository root (gitignored).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise import Tortoise

from app.db import tortoise_config
from app.demo import load_demo
from tests.processes import AppServer, start_app_server
from tests.support import prepare_database

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "page"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI=true needs it for the schedule page's browser tests")
    pytest.skip(reason)


@dataclass
class Site:
    server: AppServer
    token: str
    render_schedule_id: str

    @property
    def base(self) -> str:
        return self.server.base

    def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = httpx.post(
            f"{self.base}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        body = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data


def _layers(contacts: list[str], tier: int) -> list[dict[str, Any]]:
    """Four layers of one tier: daily, 8-hourly, weekly, and a business-hours top layer."""
    people = contacts[tier * 3 :] + contacts[: tier * 3]
    start = "2026-01-05T09:00"
    return [
        {
            "name": "Daily",
            "start": start,
            "timezone": "Europe/Berlin",
            "rotation": {"unit": "DAY"},
            "participants": [{"contactId": c} for c in people[:4]],
        },
        {
            "name": "Follow the sun",
            "start": start,
            "timezone": "UTC",
            "rotation": {"unit": "HOUR", "length": 8},
            "participants": [{"contactId": c} for c in people[4:7]],
            "restrictions": [{"kind": "DAILY", "startTime": "00:00", "durationMinutes": 16 * 60}],
        },
        # two on at once; one of them only on Mondays and not skipped: understaffed weekends
        {
            "name": "Pairs",
            "start": start,
            "timezone": "Europe/Berlin",
            "rotation": {"unit": "WEEK"},
            "skipUnavailable": False,
            "staffRotation": {"numberOfStaffOnCall": 2},
            "participants": [
                {"contactId": people[7]},
                {"contactId": people[8], "weekdays": ["MONDAY"]},
            ],
            "restrictions": [
                {
                    "kind": "WEEKLY",
                    "startWeekday": "SATURDAY",
                    "startTime": "00:00",
                    "durationMinutes": 2 * 24 * 60,
                }
            ],
        },
        {
            "name": "Business hours",
            "start": start,
            "timezone": "Europe/Berlin",
            "rotation": {"unit": "DAY"},
            "participants": [{"contactId": c} for c in people[1:3]],
            "restrictions": [{"kind": "DAILY", "startTime": "09:00", "durationMinutes": 8 * 60}],
        },
    ]


def _build_render_schedule(site: Site) -> str:
    contacts = [
        c["id"] for c in site.gql("{ contacts(first: 100) { nodes { id } } }")["contacts"]["nodes"]
    ]
    created = site.gql(
        'mutation { createSchedule(input: {name: "Render 3x4", timezone: "Europe/Berlin",'
        " tierCount: 3}) { id tiers { id } } }"
    )["createSchedule"]
    for number, tier in enumerate(created["tiers"]):
        site.gql(
            "mutation($t: ID!, $l: [LayerInput!]!) { setTierLayers(tierId: $t, layers: $l) { id } }",
            {"t": tier["id"], "l": _layers(contacts, number)},
        )
    return str(created["id"])


async def _prepare(tmp: Path) -> tuple[str, str]:
    url = await prepare_database("sqlite", tmp)
    await Tortoise.init(config=tortoise_config(url))
    try:
        _, token = await load_demo(now=datetime.now(UTC))
    finally:
        await Tortoise.close_connections()
    return url, token


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("page")

    async def start() -> tuple[AppServer, str]:
        url, token = await _prepare(tmp)
        return await start_app_server(url, tmp / "server.log"), token

    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        server, token = pool.submit(asyncio.run, start()).result()
    try:
        site = Site(server=server, token=token, render_schedule_id="")
        site.render_schedule_id = _build_render_schedule(site)
        yield site
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = shutil.which(os.environ.get("CHROMIUM") or "chromium")
    if executable is None:
        _missing("Chromium is not installed (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[test]')")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                # nothing resolves but loopback: the page must work offline
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            ],
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="module")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
