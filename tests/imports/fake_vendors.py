"""Fake PagerDuty, Opsgenie and Grafana OnCall REST APIs on 127.0.0.1, serving the fixture
files under ``tests/imports/fixtures/<vendor>/`` in the vendors' documented shapes.

Each vendor's own auth header is checked (401 with the vendor's error shape otherwise), list
endpoints are cut into pages of ``page_size`` the way each vendor paginates (PagerDuty
``offset`` / ``limit`` / ``more``; Opsgenie ``offset`` / ``limit`` / ``paging.next``; Grafana
OnCall ``page`` / ``next``), ``throttle`` paths answer 429 with ``Retry-After: 1`` once and
``fail_once`` paths answer their status once (a 5xx the importer must retry).
Anything but GET is refused with 405 and recorded, so a test sees that imports only read.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

FIXTURES = Path(__file__).parent / "fixtures"
AUTH = {
    "pagerduty": "Token token={key}",
    "opsgenie": "GenieKey {key}",
    "grafana": "{key}",
}


@dataclass
class FakeVendor:
    vendor: str
    root: Path
    key: str
    page_size: int
    throttle: set[str]
    malformed: set[str]
    fail_once: dict[str, int] = field(default_factory=dict)
    base_url: str = ""
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    times: list[tuple[str, float]] = field(default_factory=list)
    throttled: list[str] = field(default_factory=list)

    def _body(self, path: str) -> Any:
        target = self.root / f"{path.strip('/')}.json"
        if not target.is_file():
            return None
        return json.loads(target.read_text())

    def _page(self, path: str, body: Any, query: dict[str, str]) -> Any:
        if self.vendor == "pagerduty" and isinstance(body, dict) and "more" in body:
            key = next(k for k, v in body.items() if isinstance(v, list))
            offset = int(query.get("offset", 0))
            limit = min(int(query.get("limit", 25)), self.page_size)
            items = body[key]
            return {
                **body,
                key: items[offset : offset + limit],
                "offset": offset,
                "limit": limit,
                "more": offset + limit < len(items),
            }
        if self.vendor == "opsgenie" and path.strip("/") == "v2/users":
            offset = int(query.get("offset", 0))
            limit = min(int(query.get("limit", 20)), self.page_size)
            items = body["data"]
            paging = {"first": f"{self.base_url}/v2/users?limit={limit}&offset=0"}
            if offset + limit < len(items):
                paging["next"] = f"{self.base_url}/v2/users?limit={limit}&offset={offset + limit}"
            return {**body, "data": items[offset : offset + limit], "paging": paging}
        if self.vendor == "grafana" and isinstance(body, dict) and "results" in body:
            number = int(query.get("page", 1))
            items = body["results"]
            chunk = items[(number - 1) * self.page_size : number * self.page_size]
            more = number * self.page_size < len(items)
            return {
                **body,
                "results": chunk,
                "current_page_number": number,
                "page_size": self.page_size,
                "next": f"{self.base_url}/{path.strip('/')}/?page={number + 1}" if more else None,
                "total_pages": max(1, -(-len(items) // self.page_size)),
            }
        return body

    async def handle(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.requests.append((request.method, request.path, query))
        self.times.append((request.path, time.monotonic()))
        if request.method != "GET":
            return web.json_response({"error": "read only"}, status=405)
        if request.headers.get("Authorization") != AUTH[self.vendor].format(key=self.key):
            if self.vendor == "pagerduty":
                error: dict[str, Any] = {"error": {"message": "Unauthorized", "code": 2006}}
            elif self.vendor == "opsgenie":
                error = {"message": "Could not authenticate", "took": 0.0, "requestId": "x"}
            else:
                error = {"detail": "Invalid token."}
            return web.json_response(error, status=401)
        path = request.path
        if path in self.throttle and path not in self.throttled:
            self.throttled.append(path)
            return web.json_response(
                {"message": "rate limited"}, status=429, headers={"Retry-After": "1"}
            )
        if path in self.fail_once:
            return web.json_response({"error": "try again"}, status=self.fail_once.pop(path))
        if path in self.malformed:
            return web.Response(text='{"schedules": [', content_type="application/json")
        body = self._body(path)
        if body is None:
            return web.json_response({"error": {"message": "Not Found"}}, status=404)
        return web.json_response(self._page(path, body, query))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app


@asynccontextmanager
async def vendor_server(
    vendor: str,
    *,
    key: str,
    page_size: int = 2,
    throttle: set[str] | None = None,
    malformed: set[str] | None = None,
    fail_once: dict[str, int] | None = None,
    root: Path | None = None,
) -> AsyncIterator[FakeVendor]:
    fake = FakeVendor(
        vendor,
        root or FIXTURES / vendor,
        key,
        page_size,
        throttle or set(),
        malformed or set(),
        dict(fail_once or {}),
    )
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.base_url = str(server.make_url("")).rstrip("/")
    try:
        yield fake
    finally:
        await server.close()
