"""A real local HTTP server serving iCalendar files for import tests: ETag and
If-None-Match (304), redirects, failures, oversize and malformed bodies, on demand."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import unquote

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    etag: bool = True
    location: str | None = None
    content_type: str = "text/calendar; charset=utf-8"


@dataclass
class IcsServer:
    base_url: str = ""
    answers: dict[str, Answer] = field(default_factory=dict)
    requests: list[tuple[str, str | None, int]] = field(default_factory=list)
    """(path, If-None-Match sent, status answered) of every request."""

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def serve(self, path: str, body: bytes | str, *, etag: bool = True) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.answers[unquote(path)] = Answer(body=data, etag=etag)

    def fail(self, path: str, status: int, body: bytes = b"boom") -> None:
        self.answers[unquote(path)] = Answer(status=status, body=body, content_type="text/plain")

    def redirect(self, path: str, to: str, status: int = 302) -> None:
        self.answers[unquote(path)] = Answer(status=status, location=to)

    def statuses(self, path: str) -> list[int]:
        return [s for p, _, s in self.requests if p == unquote(path)]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path  # decoded; the keys are decoded too
        answer = self.answers.get(path)
        sent = request.headers.get("If-None-Match")
        if answer is None:
            self.requests.append((path, sent, 404))
            return web.Response(status=404, text="no such calendar")
        if answer.location is not None:
            self.requests.append((path, sent, answer.status))
            return web.Response(status=answer.status, headers={"Location": answer.location})
        headers = {}
        if answer.etag and answer.status == 200:
            tag = '"' + hashlib.sha256(answer.body).hexdigest()[:16] + '"'
            headers["ETag"] = tag
            if sent == tag:
                self.requests.append((path, sent, 304))
                return web.Response(status=304, headers=headers)
        self.requests.append((path, sent, answer.status))
        return web.Response(
            status=answer.status,
            body=answer.body,
            headers={**headers, "Content-Type": answer.content_type},
        )


@asynccontextmanager
async def ics_server() -> AsyncIterator[IcsServer]:
    state = IcsServer()
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", state.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    state.base_url = str(server.make_url("")).rstrip("/")
    try:
        yield state
    finally:
        await server.close()


def vcalendar(*events: str, name: str | None = "Ann's calendar", extra: str = "") -> str:
    """A VCALENDAR around VEVENT bodies (each the lines between BEGIN and END:VEVENT)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tests//EN"]
    if name:
        lines.append(f"X-WR-CALNAME:{name}")
    if extra:
        lines.append(extra.strip())
    for body in events:
        lines += [
            "BEGIN:VEVENT",
            *[line.strip() for line in body.strip().splitlines()],
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"
