"""Real servers for tests of outbound integrations.

* :func:`radicale_server` starts a real Radicale CalDAV server as a subprocess on a free
  127.0.0.1 port with its own storage folder and plain htpasswd users. It is a synchronous
  context manager, so a module- or session-scoped fixture can share one server (each start
  costs about half a second); give every test its own calendar (or user) for isolation.
* :func:`pagerduty_server` runs a local aiohttp server implementing the PagerDuty REST
  endpoints the PAGERDUTY adapter uses (overrides and the user lookup). It checks the token,
  records every call and can be told to fail.

Nothing here is a mock of our code: the adapters and the CalDAV client talk HTTP to these.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

# ------------------------------------------------------------------------------ Radicale


def require_radicale() -> None:
    """Skip when Radicale is not installed, except in CI (CI=true), where it is a failure."""
    if importlib.util.find_spec("radicale") is not None:
        return
    message = "radicale is not installed (pip install -e '.[test]')"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RadicaleServer:
    url: str  # the server root, ending in "/"
    username: str
    password: str
    root: Path  # holds the config, the htpasswd file, the storage folder and the log
    process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def home_url(self) -> str:
        """The default user's principal and calendar home: ``<root>/<user>/``."""
        return f"{self.url}{self.username}/"

    def calendar_url(self, name: str, *, user: str | None = None) -> str:
        return f"{self.url}{user or self.username}/{name}/"

    def add_user(self, username: str, password: str) -> None:
        """Radicale reads the htpasswd file on every login: the user works at once."""
        with (self.root / "users").open("a") as users:
            users.write(f"{username}:{password}\n")

    def log(self) -> str:
        return (self.root / "radicale.log").read_text(errors="replace")


def _radicale_config(root: Path, port: int) -> Path:
    config = root / "config"
    config.write_text(
        "\n".join(
            [
                "[server]",
                f"hosts = 127.0.0.1:{port}",
                "[auth]",
                "type = htpasswd",
                f"htpasswd_filename = {root / 'users'}",
                "htpasswd_encryption = plain",
                "delay = 0",
                "[rights]",
                "type = owner_only",
                "[storage]",
                f"filesystem_folder = {root / 'collections'}",
                "[web]",
                "type = none",
                "[logging]",
                "level = warning",
                "",
            ]
        )
    )
    return config


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="OPTIONS"), timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer (401 included) means the server is up
    except OSError:
        return False


@contextlib.contextmanager
def radicale_server(
    *,
    username: str = "rota",
    password: str = "s3cret-radicale",
    users: Mapping[str, str] | None = None,
    startup_timeout: float = 15.0,
) -> Iterator[RadicaleServer]:
    """A real Radicale on 127.0.0.1:<free port>; stopped (and its folder removed) on exit.

    ``username``/``password`` is the default user; ``users`` adds more (name → password).
    Calendars are created through CalDAV (MKCALENDAR), e.g. with ``CalDavClient.mkcalendar``.
    """
    require_radicale()
    with tempfile.TemporaryDirectory(prefix="radicale-") as tmp:
        root = Path(tmp)
        (root / "users").write_text(
            "".join(f"{u}:{p}\n" for u, p in {username: password, **(users or {})}.items())
        )
        last_error = "did not start"
        for _ in range(3):  # a free port can be taken between choosing and binding it
            port = free_port()
            config = _radicale_config(root, port)
            url = f"http://127.0.0.1:{port}/"
            with (root / "radicale.log").open("ab") as log:
                process = subprocess.Popen(
                    [sys.executable, "-m", "radicale", "--config", str(config)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            try:
                deadline = time.monotonic() + startup_timeout
                while process.poll() is None and time.monotonic() < deadline:
                    if _answers(url):
                        break
                    time.sleep(0.05)
                else:
                    last_error = (
                        f"exited with {process.returncode}" if process.poll() else "timed out"
                    )
                    continue
                yield RadicaleServer(url, username, password, root, process)
                return
            finally:
                if process.poll() is None:
                    process.terminate()
                    try:
                        process.wait(5)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()
        log_tail = (root / "radicale.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"Radicale {last_error}:\n{log_tail}")


# ----------------------------------------------------------------------------- PagerDuty


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any  # the decoded JSON body, or None

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("Idempotency-Key")


@dataclass
class Failure:
    method: str
    path: str | None  # a path prefix, or None for any path
    status: int
    times: int
    body: Any
    delay: float


@dataclass(frozen=True)
class PdUser:
    id: str
    email: str
    name: str

    def reference(self) -> dict[str, str]:
        return {"id": self.id, "type": "user_reference", "summary": self.name}


def _parse(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


class FakePagerDuty:
    """State and behaviour of the fake PagerDuty API; see :func:`pagerduty_server`."""

    def __init__(self, token: str, users: list[PdUser], schedules: list[str]) -> None:
        self.token = token
        self.users = users
        self.overrides: dict[str, dict[str, dict[str, Any]]] = {s: {} for s in schedules}
        self.calls: list[Call] = []
        self.failures: list[Failure] = []
        self._ids = itertools.count(1)
        self.base_url = ""  # set once the server listens

    # ---------------------------------------------------------------- test helpers

    def fail(
        self,
        method: str,
        path: str | None = None,
        *,
        status: int = 500,
        times: int = 1,
        body: Any = None,
        delay: float = 0.0,
    ) -> None:
        """The next ``times`` calls of ``method`` (on paths starting with ``path``) answer
        ``status`` (after ``delay`` seconds; a delay with status 0 just slows a good answer)."""
        self.failures.append(Failure(method.upper(), path, status, times, body, delay))

    def calls_of(self, method: str, path_prefix: str = "/") -> list[Call]:
        return [
            c for c in self.calls if c.method == method.upper() and c.path.startswith(path_prefix)
        ]

    def add_override(self, schedule_id: str, start: datetime, end: datetime, user_id: str) -> str:
        """An override written by someone else (a person in the PagerDuty UI)."""
        user = next(u for u in self.users if u.id == user_id)
        override_id = f"PO{next(self._ids):05d}"
        self.overrides[schedule_id][override_id] = {
            "id": override_id,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "user": user.reference(),
        }
        return override_id

    def current(self, schedule_id: str) -> list[tuple[str, datetime, datetime]]:
        """(user id, start, end) of the overrides on a schedule, sorted by start."""
        return sorted(
            (
                (
                    o["user"]["id"],
                    datetime.fromisoformat(o["start"]),
                    datetime.fromisoformat(o["end"]),
                )
                for o in self.overrides[schedule_id].values()
            ),
            key=lambda t: (t[1], t[0]),
        )

    # ---------------------------------------------------------------------- server

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/schedules/{schedule_id}/overrides", self._list_overrides)
        app.router.add_post("/schedules/{schedule_id}/overrides", self._create_overrides)
        app.router.add_delete(
            "/schedules/{schedule_id}/overrides/{override_id}", self._delete_override
        )
        app.router.add_get("/users", self._list_users)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        import asyncio

        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        self.calls.append(
            Call(request.method, request.path, dict(request.query), dict(request.headers), body)
        )
        for failure in self.failures:
            if (
                failure.times > 0
                and failure.method == request.method
                and (failure.path is None or request.path.startswith(failure.path))
            ):
                failure.times -= 1
                if failure.delay:
                    await asyncio.sleep(failure.delay)
                if failure.status:
                    return _error(
                        failure.status, failure.body or f"injected failure {failure.status}"
                    )
                break
        if request.headers.get("Authorization") != f"Token token={self.token}":
            return _error(401, "Unauthorized", code=2006)
        if request.headers.get("Accept") != "application/vnd.pagerduty+json;version=2":
            return _error(406, "Not Acceptable")
        request["json"] = body
        response: web.StreamResponse = await handler(request)
        return response

    def _schedule(self, request: web.Request) -> dict[str, dict[str, Any]]:
        schedule_id = request.match_info["schedule_id"]
        if schedule_id not in self.overrides:
            raise web.HTTPNotFound(
                text=json.dumps({"error": {"message": "Not Found", "code": 2100}}),
                content_type="application/json",
            )
        return self.overrides[schedule_id]

    async def _list_overrides(self, request: web.Request) -> web.Response:
        overrides = self._schedule(request)
        since, until = _parse(request.query.get("since")), _parse(request.query.get("until"))
        if since is None or until is None:
            return _error(400, "Invalid Input Provided", errors=["since and until are required"])
        found = [
            o
            for o in overrides.values()
            if datetime.fromisoformat(o["start"]) < until
            and datetime.fromisoformat(o["end"]) > since
        ]
        return web.json_response({"overrides": found})

    async def _create_overrides(self, request: web.Request) -> web.Response:
        overrides = self._schedule(request)
        body = request["json"]
        if isinstance(body, dict) and isinstance(body.get("overrides"), list):
            results = [self._create(overrides, o) for o in body["overrides"]]
            return web.json_response(
                [
                    {"status": 201, "override": r}
                    if isinstance(r, dict)
                    else {"status": 400, "errors": [r]}
                    for r in results
                ],
                status=201,
            )
        if isinstance(body, dict) and isinstance(body.get("override"), dict):
            result = self._create(overrides, body["override"])
            if isinstance(result, str):
                return _error(400, "Invalid Input Provided", errors=[result])
            return web.json_response({"override": result}, status=201)
        return _error(400, "Invalid Input Provided", errors=["override or overrides is required"])

    def _create(self, overrides: dict[str, dict[str, Any]], data: Any) -> dict[str, Any] | str:
        if not isinstance(data, dict):
            return "Override must be an object"
        start, end = _parse(data.get("start")), _parse(data.get("end"))
        if start is None or end is None or not start < end:
            return "Override start and end must be times with an offset, start before end"
        user_ref = data.get("user")
        user_id = user_ref.get("id") if isinstance(user_ref, dict) else None
        user = next((u for u in self.users if u.id == user_id), None)
        if user is None:
            return "User not found"
        override_id = f"PO{next(self._ids):05d}"
        override = {
            "id": override_id,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "user": user.reference(),
        }
        overrides[override_id] = override
        return override

    async def _delete_override(self, request: web.Request) -> web.Response:
        overrides = self._schedule(request)
        if overrides.pop(request.match_info["override_id"], None) is None:
            return _error(404, "Not Found", code=2100)
        return web.Response(status=204)

    async def _list_users(self, request: web.Request) -> web.Response:
        query = request.query.get("query", "").lower()
        found = [
            {"id": u.id, "type": "user", "email": u.email, "name": u.name, "summary": u.name}
            for u in self.users
            if query in u.email.lower() or query in u.name.lower()
        ]
        return web.json_response(
            {"users": found, "limit": 25, "offset": 0, "more": False, "total": None}
        )


def _error(
    status: int, message: str, *, code: int = 2001, errors: list[str] | None = None
) -> web.Response:
    return web.json_response(
        {"error": {"message": message, "code": code, "errors": errors or []}}, status=status
    )


@contextlib.asynccontextmanager
async def pagerduty_server(
    *,
    token: str = "pd-test-token-0123456789",
    users: list[PdUser] | None = None,
    schedules: list[str] | None = None,
) -> AsyncIterator[FakePagerDuty]:
    """A fake PagerDuty REST API on 127.0.0.1:<free port>; ``.base_url`` has no trailing "/".

    Every request is recorded in ``.calls`` (before the token is checked); a request without
    ``Authorization: Token token=<token>`` gets 401, one without the v2 ``Accept`` gets 406,
    an unknown schedule 404. ``.fail(...)`` injects failures.
    """
    fake = FakePagerDuty(token, users if users is not None else [], schedules or ["PSCHED1"])
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.base_url = str(server.make_url("")).rstrip("/")
    try:
        yield fake
    finally:
        await server.close()
