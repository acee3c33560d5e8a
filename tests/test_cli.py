"""The `rotagraph` command, run as a real subprocess on a temporary SQLite file."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from tortoise.backends.base.executor import EXECUTOR_CACHE

from app.api.schema import build_schema
from app.main import create_app
from app.settings import Settings
from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


@dataclass
class Run:
    code: int
    out: str
    err: str

    def token(self) -> str:
        match = re.search(r"^token: (\S+)$", self.out, re.M)
        assert match, f"no token printed:\n{self.out}\n{self.err}"
        return match.group(1)


async def rotagraph(*args: str, url: str, cwd: Path) -> Run:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT), "RUN_JOBS": "false"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode is not None
    return Run(proc.returncode, out.decode(), err.decode())


async def ok(*args: str, url: str, cwd: Path) -> Run:
    run = await rotagraph(*args, url=url, cwd=cwd)
    assert run.code == 0, f"rotagraph {' '.join(args)} exited {run.code}:\n{run.out}\n{run.err}"
    return run


@asynccontextmanager
async def client(url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app in its lifespan on the database the CLI wrote, with the real clock."""
    EXECUTOR_CACHE.clear()
    app = create_app(Settings(database_url=url, run_jobs=False))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def graphql(c: httpx.AsyncClient, token: str, query: str) -> dict[str, Any]:
    response = await c.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )
    body: dict[str, Any] = response.json()
    assert not body.get("errors"), body["errors"]
    data: dict[str, Any] = body["data"]
    return data


def readme_query() -> str:
    """The first ```graphql block of the README: the example the README promises works."""
    match = re.search(r"```graphql\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert match, "README.md has no ```graphql example"
    return match.group(1)


async def test_migrate_create_org_and_create_token(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'cli.sqlite3'}"
    first = await ok("migrate", url=url, cwd=tmp_path)
    assert "Applied" in first.out
    again = await ok("migrate", url=url, cwd=tmp_path)
    assert "No migrations to apply" in again.out

    created = await ok("create-org", "Acme Ops", url=url, cwd=tmp_path)
    match = re.search(r"^organization: (\d+) Acme Ops$", created.out, re.M)
    assert match, created.out
    org_id = match.group(1)
    admin = created.token()
    viewer = (
        await ok(
            "create-token",
            "--org",
            org_id,
            "--role",
            "viewer",
            "--name",
            "ci",
            url=url,
            cwd=tmp_path,
        )
    ).token()
    assert admin != viewer

    async with client(url) as c:
        query = "{ viewer { role organization { name } } }"
        assert await graphql(c, admin, query) == {
            "viewer": {"role": "ADMIN", "organization": {"name": "Acme Ops"}}
        }
        assert (await graphql(c, viewer, query))["viewer"]["role"] == "VIEWER"

    missing = await rotagraph(
        "create-token", "--org", "999", "--role", "ADMIN", "--name", "x", url=url, cwd=tmp_path
    )
    assert missing.code == 1
    assert "no organization 999" in missing.err
    assert "token:" not in missing.out


DEMO_LAYERS = """{
  layers(first: 100) { edges { node {
    rotation { unit }
    staffRotation { numberOfStaffOnCall direction }
    restrictions { kind }
    recurrence { type }
    participants { weekdays group { name } workingHours { start } }
    onHolidays advance participantHolidays pauses { from } rosterSegments { turn }
  } } }
  schedules { nodes { holidays(from: "2026-01-01", to: "2027-12-31") { source } } }
  contacts(first: 100) { nodes { holidayRegion } }
}"""


def _assert_demo_covers_every_rule(layers: list[dict[str, Any]]) -> None:
    assert {layer["rotation"]["unit"] for layer in layers} == {"HOUR", "DAY", "WEEK", "MONTH"}
    assert {r["kind"] for layer in layers for r in layer["restrictions"]} == {"DAILY", "WEEKLY"}
    assert {layer["recurrence"]["type"] for layer in layers if layer["recurrence"]} == {
        "REPEAT",
        "PERIODIC",
        "ICAL",
        "OCCURRENCE",
    }
    assert any(layer["staffRotation"]["numberOfStaffOnCall"] == 2 for layer in layers)
    assert any(layer["staffRotation"]["direction"] == "BACKWARD" for layer in layers)
    participants = [p for layer in layers for p in layer["participants"]]
    assert any(p["group"] for p in participants)
    workdays = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]
    assert any(p["weekdays"] == workdays for p in participants)
    # The rotation rules (SPEC §9).
    assert {layer["onHolidays"] for layer in layers} == {"RUN", "SKIP", "ONLY"}
    assert {layer["advance"] for layer in layers} == {"EVERY_TURN", "ACTIVE_TURNS"}
    assert any(layer["participantHolidays"] for layer in layers)
    assert any(layer["pauses"] for layer in layers)
    assert any(len(layer["rosterSegments"]) > 1 for layer in layers)
    assert any(p["workingHours"] for p in participants)


def _assert_demo_has_calendars(data: dict[str, Any]) -> None:
    sources = {h["source"] for s in data["schedules"]["nodes"] for h in s["holidays"]}
    assert sources == {"REGION", "EXTRA"}
    assert any(c["holidayRegion"] for c in data["contacts"]["nodes"])


async def test_demo_loads_once_and_the_readme_query_answers(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'demo.sqlite3'}"
    await ok("migrate", url=url, cwd=tmp_path)
    token = (await ok("demo", "--if-empty", url=url, cwd=tmp_path)).token()

    second = await ok("demo", "--if-empty", url=url, cwd=tmp_path)
    assert "token:" not in second.out
    assert "rotagraph create-token" in second.out

    async with client(url) as c:
        data = await graphql(c, token, readme_query())
        layers = await graphql(c, token, DEMO_LAYERS)
        cover = await graphql(
            c,
            token,
            "{ coverRequests { nodes { status requester { name } offers { contact { name } } } } }",
        )
        people = await graphql(c, token, "{ apiTokens(first: 10) { nodes { role contactId } } }")
        channels = await graphql(
            c, token, "{ notificationChannels { edges { node { kind verified contactId } } } }"
        )
    _assert_demo_covers_every_rule([edge["node"] for edge in layers["layers"]["edges"]])
    _assert_demo_has_calendars(layers)
    schedules = data["schedules"]
    assert schedules["totalCount"] == 4
    names = sorted(edge["node"]["name"] for edge in schedules["edges"])
    assert names == ["Customer support", "Databases", "Payments API", "Platform"]
    on_call = [
        contact["name"]
        for edge in schedules["edges"]
        for tier in edge["node"]["onCallNow"]
        for contact in tier["assignees"]
    ]
    assert on_call, "the demo data should have someone on call now"
    [request] = cover["coverRequests"]["nodes"]
    assert request["status"] == "OFFERED" and len(request["offers"]) == 1
    assert request["requester"]["name"] != request["offers"][0]["contact"]["name"]
    personal = [t for t in people["apiTokens"]["nodes"] if t["role"] == "PERSON"]
    assert len(personal) == 3 and all(t["contactId"] for t in personal)
    report = await ok("upgrade-report", url=url, cwd=tmp_path)
    assert "No confirmed future shift changes" in report.out
    [channel] = [e["node"] for e in channels["notificationChannels"]["edges"]]
    assert channel["kind"] == "EMAIL" and channel["verified"] and channel["contactId"]


async def test_export_schema_writes_the_sdl(tmp_path: Path) -> None:
    target = tmp_path / "out.graphql"
    run = await ok("export-schema", "--output", str(target), url="sqlite://:memory:", cwd=tmp_path)
    assert str(target) in run.out
    assert target.read_text(encoding="utf-8") == str(build_schema()) + "\n"


async def test_errors_are_one_line_and_non_zero(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'errors.sqlite3'}"
    await ok("migrate", url=url, cwd=tmp_path)
    blank = await rotagraph("create-org", "  ", url=url, cwd=tmp_path)
    assert blank.code == 1
    assert "must not be empty" in blank.err
    assert "Traceback" not in blank.err

    workers = await rotagraph("serve", "--workers", "2", url=url, cwd=tmp_path)
    assert workers.code == 1
    assert "PostgreSQL" in workers.err

    unmigrated = await rotagraph("demo", url=f"sqlite://{tmp_path / 'empty.sqlite3'}", cwd=tmp_path)
    assert unmigrated.code == 1
    assert "Traceback" not in unmigrated.err


async def test_a_database_that_cannot_be_reached_fails_at_once(tmp_path: Path) -> None:
    for command in (["migrate"], ["demo"], ["create-org", "Acme"]):
        run = await asyncio.wait_for(
            rotagraph(*command, url="sqlite:///no/such/dir/x.sqlite3", cwd=tmp_path), 20
        )
        assert run.code == 1, run
        assert len(run.err.strip().splitlines()) == 1, run.err
        assert "/no/such/dir" in run.err and "does not exist" in run.err


async def test_bad_settings_name_their_variable_and_the_accepted_forms(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'ok.sqlite3'}"
    for name, value, told in [
        ("PORT", "abc", "PORT must be a whole number, got 'abc'"),
        ("STATUS_INTERVAL_SECONDS", "soon", "STATUS_INTERVAL_SECONDS must be a number"),
        ("GRAPHIQL", "maybe", "GRAPHIQL must be true or false"),
    ]:
        os.environ[name] = value
        try:
            run = await rotagraph("migrate", url=url, cwd=tmp_path)
        finally:
            del os.environ[name]
        assert run.code == 2 and told in run.err and "Traceback" not in run.err, run
    run = await rotagraph("migrate", url="mysql://root:hunter2@db/x", cwd=tmp_path)
    assert run.code == 2 and "hunter2" not in run.err
    assert "sqlite://PATH" in run.err and "postgres://USER:PASSWORD@HOST:PORT/DATABASE" in run.err


async def test_printed_hints_work_as_typed_in_a_fresh_shell(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'hints.sqlite3'}"
    await ok("migrate", url=url, cwd=tmp_path)
    created = await ok("create-org", "Acme", url=url, cwd=tmp_path)
    hint = created.err.split("Another one: ", 1)[1].strip()
    assert hint.startswith(f"DATABASE_URL={url} ")
    # Typed into a fresh shell (no virtualenv on PATH, nothing exported), in the same folder.
    shell = await asyncio.create_subprocess_shell(
        hint.replace("NAME", "second"),
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(shell.communicate(), 60)
    assert shell.returncode == 0, err.decode()
    assert out.decode().startswith("token: ")


async def test_scripts_serve_prints_the_url_of_its_port_and_a_working_hint(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite://{tmp_path / 'serve.sqlite3'}"}
    env.pop("PORT", None)
    serve = await asyncio.create_subprocess_exec(
        str(ROOT / "scripts" / "serve"), "--port", str(port),
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert serve.stdout is not None and serve.stderr is not None
        printed = ""
        while f"http://127.0.0.1:{port}/graphql" not in printed:
            line = (await asyncio.wait_for(serve.stdout.readline(), 60)).decode()
            assert line, f"scripts/serve ended early:\n{printed}"
            printed += line
        assert "token: rg_" in printed  # the demo's first run
        hint = (await asyncio.wait_for(serve.stderr.readline(), 10)).decode()
        assert "Another one: DATABASE_URL=" in hint and " .venv/bin/rotagraph create-token" in hint
    finally:
        serve.terminate()
        await serve.wait()
