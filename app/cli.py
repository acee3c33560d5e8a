"""The `rotagraph` command: serve, migrate, create-org, create-token, demo, import, upgrade-report,
export-schema.

Each command reads DATABASE_URL (and the other settings) from the environment, starts Tortoise
itself, and exits non-zero with a one-line message when something goes wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shlex
import shutil
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from app.settings import Settings

EXIT_ERROR = 1
EXIT_USAGE = 2
CONNECT_TIMEOUT = 15.0  # seconds for connecting to the database, or for migrating
T = TypeVar("T")
_MISSING_TABLE = re.compile(r"no such (table|column)|(relation|column) .* does not exist")


class CommandError(Exception):
    """A failure the user can fix; printed without a traceback."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rotagraph",
        description="Rotagraph: an async GraphQL on-call scheduling service. "
        "Settings come from environment variables (DATABASE_URL, HOST, PORT, ...).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the HTTP and WebSocket server (uvicorn)")
    serve.add_argument("--host", help="address to bind (default: HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (default: PORT or 8000)")
    serve.add_argument(
        "--workers", type=int, default=1, help="worker processes (PostgreSQL only when > 1)"
    )
    serve.add_argument("--reload", action="store_true", help="restart when the code changes")

    commands.add_parser("migrate", help="apply the migrations not yet applied to DATABASE_URL")

    org = commands.add_parser("create-org", help="create an organization and its first ADMIN token")
    org.add_argument("name", metavar="NAME")

    token = commands.add_parser("create-token", help="create an API token; prints its secret once")
    token.add_argument("--org", required=True, metavar="ID", help="organization id")
    token.add_argument(
        "--role", required=True, choices=["VIEWER", "EDITOR", "ADMIN"], type=str.upper
    )
    token.add_argument("--name", required=True, help="what the token is for")

    demo = commands.add_parser("demo", help="load demo data into a new organization")
    demo.add_argument(
        "--if-empty",
        action="store_true",
        help="do nothing when any organization exists (for first-run scripts)",
    )

    imp = commands.add_parser(
        "import",
        help="import schedules from PagerDuty, Opsgenie or Grafana OnCall",
        description="Reads the vendor's REST API (key from the environment variable named by "
        "--key-env) or the same JSON saved as files (--dir), prints the plan and the "
        "equivalence report, and applies the plan unless --dry-run.",
    )
    imp.add_argument("vendor", choices=["pagerduty", "opsgenie", "grafana"])
    imp.add_argument("--org", required=True, metavar="ID", help="organization id")
    imp.add_argument("--dry-run", action="store_true", help="print the plan; write nothing")
    imp.add_argument("--overwrite", action="store_true", help="replace objects edited here")
    imp.add_argument("--dir", type=Path, help="read saved JSON from this directory")
    imp.add_argument("--base-url", help="the vendor's API root (required for grafana)")
    imp.add_argument(
        "--key-env",
        default="IMPORT_API_KEY",
        metavar="NAME",
        help="environment variable holding the API key (default IMPORT_API_KEY)",
    )
    imp.add_argument("--since", help="start of the 28-day report window (default: now)")
    imp.add_argument("--verbose", action="store_true", help="list unchanged objects too")

    commands.add_parser("upgrade-report", help="which tiers' confirmed future shifts change")
    export = commands.add_parser("export-schema", help="write the GraphQL schema (SDL)")
    export.add_argument("--output", "-o", default="schema.graphql", help="'-' for stdout")
    return parser


def _check_database(settings: Settings) -> None:
    """Fails at once where connecting would hang or fail obscurely: a SQLite file whose
    directory does not exist (aiosqlite never returns from that connect)."""
    url = settings.database_url
    if not url.startswith("sqlite://"):
        return
    path = url[len("sqlite://") :].split("?", 1)[0]
    if path == ":memory:":
        return
    folder = Path(path).expanduser().resolve().parent
    if not folder.is_dir():
        raise CommandError(
            f"the folder {folder} of DATABASE_URL={url} does not exist; create it "
            "or set DATABASE_URL to a file in an existing folder"
        )


async def _in_time(step: Awaitable[T], what: str, settings: Settings) -> T:
    try:
        return await asyncio.wait_for(step, CONNECT_TIMEOUT)
    except TimeoutError:
        raise CommandError(
            f"{what} took over {CONNECT_TIMEOUT:.0f} s (database: "
            f"{_redact(settings.database_url)}); is the database up and reachable?"
        ) from None


def _with_db(settings: Settings, work: Callable[[], Awaitable[int]]) -> int:
    from app.db import close_db, init_db

    _check_database(settings)

    async def run() -> int:
        await _in_time(init_db(settings.database_url), "connecting", settings)
        try:
            return await work()
        finally:
            await close_db()

    return asyncio.run(run())


def command_line(*args: str) -> str:
    """A ``rotagraph`` command line that works as typed in a fresh shell in this folder: the
    virtualenv's program by its path (``.venv/bin/rotagraph`` from the repository), else
    ``rotagraph`` when it is on PATH, and the DATABASE_URL this run used when it came from
    the environment (a password shown as ``<password>``)."""
    venv_program = Path(sys.prefix) / "bin" / "rotagraph"
    if sys.prefix != sys.base_prefix and venv_program.exists():
        # A virtualenv's scripts are on PATH only while it is activated: name the file.
        try:
            program = str(venv_program.relative_to(Path.cwd()))
        except ValueError:
            program = str(venv_program)
    elif shutil.which("rotagraph"):
        program = "rotagraph"
    else:
        program = f"{shlex.quote(sys.executable)} -m app.cli"
    words = [program, *args]
    url = os.environ.get("DATABASE_URL")
    if url:
        words.insert(0, "DATABASE_URL=" + shlex.quote(_redact(url, "<password>")))
    return " ".join(words)


def _print_secret(secret: str, org_id: int, role: str) -> None:
    print(f"token: {secret}")
    again = command_line("create-token", "--org", str(org_id), "--role", role, "--name", "NAME")
    print(f"This {role} token is shown once; store it now. Another one: {again}", file=sys.stderr)


# Subscription events are small JSON messages sent to many sockets at once: compressing
# each one per connection (permessage-deflate) cost more server CPU than the whole shared
# execution and delayed the last subscriber by about 0.1 s per 1,000, for little saved.
WEBSOCKET_OPTIONS: dict[str, Any] = {"ws_per_message_deflate": False}


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from app.db import is_postgres

    if args.workers < 1:
        raise CommandError("--workers must be at least 1")
    if args.workers > 1 and not is_postgres(settings.database_url):
        raise CommandError(
            "SQLite serves one process only; set DATABASE_URL to PostgreSQL for --workers > 1"
        )
    if args.workers > 1 and args.reload:
        raise CommandError("--reload runs one process; drop --workers")
    _check_database(settings)
    host, port = args.host or settings.host, args.port or settings.port
    shown = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host
    shown = f"[{shown}]" if ":" in shown else shown
    print(
        f"Rotagraph on http://{shown}:{port}/graphql (GraphiQL in a browser: "
        "put the token in its Headers tab)\n"
        f"Schedule page: http://{shown}:{port}/ (paste the token to sign in)",
        flush=True,
    )
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=args.workers,
        reload=args.reload,
        reload_dirs=[str(Path(__file__).resolve().parent)] if args.reload else None,
        proxy_headers=True,
        log_level="info",
        **WEBSOCKET_OPTIONS,
    )
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from tortoise import Tortoise
    from tortoise.migrations.api.migrate import migrate

    from app.db import tortoise_config

    applied: list[str] = []

    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_start":
            print(f"Applying {app_label}.{name} ...", end="", flush=True)
        elif event == "apply_done":
            print(" OK")
            applied.append(name)

    _check_database(settings)

    async def steps() -> None:
        try:
            await migrate(config=tortoise_config(settings.database_url), progress=progress)
        finally:  # in the task that opened the connections, or they stay open
            await Tortoise.close_connections()

    async def run() -> None:
        await _in_time(steps(), "migrating", settings)

    asyncio.run(run())
    if applied:
        print(f"Applied {len(applied)} migration(s) to {_redact(settings.database_url)}.")
    else:
        print(f"No migrations to apply: {_redact(settings.database_url)} is up to date.")
    return 0


def cmd_upgrade_report(args: argparse.Namespace, settings: Settings) -> int:
    from app.shifts.upgrade import report_text

    _check_database(settings)
    print(asyncio.run(report_text(settings.database_url)))
    return 0


def cmd_create_org(args: argparse.Namespace, settings: Settings) -> int:
    from app.auth import service as auth_service
    from app.auth.roles import Role
    from app.db import transaction

    async def work() -> int:
        async with transaction():
            org = await auth_service.create_organization(name=args.name)
            _, secret = await auth_service.create_token(
                org_id=org.id, name="admin (created by rotagraph create-org)", role=Role.ADMIN
            )
        print(f"organization: {org.id} {org.name}")
        _print_secret(secret, org.id, Role.ADMIN.value)
        return 0

    return _with_db(settings, work)


def _org_id(raw: str) -> int:
    if raw.isdigit():
        return int(raw)
    from app.api.relay import split_id
    from app.errors import AppError

    try:
        type_name, pk = split_id(raw)
    except AppError:
        type_name, pk = "", 0
    if type_name != "Organization":
        raise CommandError(f"--org {raw!r} is neither an organization number nor its global id")
    return pk


def cmd_create_token(args: argparse.Namespace, settings: Settings) -> int:
    from app.auth import models as auth_models
    from app.auth import service as auth_service
    from app.auth.roles import Role
    from app.db import transaction

    org_id = _org_id(args.org)
    role = Role(args.role)

    async def work() -> int:
        async with transaction():
            if not await auth_models.Organization.filter(id=org_id).exists():
                hint = command_line("create-org", "NAME")
                raise CommandError(f"no organization {org_id}; create one with: {hint}")
            _, secret = await auth_service.create_token(org_id=org_id, name=args.name, role=role)
        _print_secret(secret, org_id, role.value)
        return 0

    return _with_db(settings, work)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from app.auth import models as auth_models
    from app.clock import SystemClock
    from app.demo import load_demo

    async def work() -> int:
        if args.if_empty:
            existing = await auth_models.Organization.all().order_by("id").limit(5)
            if existing:
                listed = ", ".join(f"{o.id} {o.name!r}" for o in existing)
                print(f"Demo data not loaded: organizations exist ({listed}).")
                again = command_line(
                    "create-token",
                    "--org",
                    str(existing[0].id),
                    "--role",
                    "ADMIN",
                    "--name",
                    "NAME",
                )
                print(f"Tokens are shown only once. Make another with: {again}")
                return 0
        org_id, secret = await load_demo(now=SystemClock().now())
        print(f"Loaded demo data into organization: {org_id} Demo Corp")
        _print_secret(secret, org_id, "ADMIN")
        return 0

    return _with_db(settings, work)


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    import os
    from datetime import datetime

    from app.auth import models as auth_models
    from app.clock import SystemClock
    from app.imports import service, text

    org_id = _org_id(args.org)
    key = None if args.dir else os.environ.get(args.key_env)
    if not args.dir and not key:
        raise CommandError(f"set {args.key_env} to the vendor's API key, or read files with --dir")
    try:
        since = datetime.fromisoformat(args.since) if args.since else SystemClock().now()
    except ValueError:
        raise CommandError(f"--since {args.since!r} is not an ISO 8601 date-time") from None
    if since.tzinfo is None:
        raise CommandError("--since needs a UTC offset, e.g. 2026-03-02T00:00:00Z")
    spec = service.SourceSpec(args.vendor, api_key=key, base_url=args.base_url, directory=args.dir)

    async def work() -> int:
        if not await auth_models.Organization.filter(id=org_id).exists():
            raise CommandError(f"no organization {org_id}; see `rotagraph create-org`")
        report = await service.run_import(
            org_id=org_id,
            spec=spec,
            since=since.replace(second=0, microsecond=0),
            dry_run=args.dry_run,
            overwrite=args.overwrite,
            settings=settings,
        )
        print(text.render(report, verbose=args.verbose))
        return 0

    return _with_db(settings, work)


def cmd_export_schema(args: argparse.Namespace, settings: Settings) -> int:
    from app.api.schema import build_schema

    sdl = str(build_schema()) + "\n"
    if args.output == "-":
        sys.stdout.write(sdl)
        return 0
    path = Path(args.output)
    path.write_text(sdl, encoding="utf-8")
    print(f"Wrote {path} ({len(sdl.splitlines())} lines).")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "serve": cmd_serve,
    "migrate": cmd_migrate,
    "create-org": cmd_create_org,
    "create-token": cmd_create_token,
    "demo": cmd_demo,
    "upgrade-report": cmd_upgrade_report,
    "export-schema": cmd_export_schema,
    "import": cmd_import,
}


def _redact(url: str, mask: str = "***") -> str:
    """The URL without its password, for messages."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:{mask}@{host}"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        print(f"rotagraph: invalid setting: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from app.errors import AppError

    try:
        return COMMANDS[args.command](args, settings)
    except KeyboardInterrupt:
        return 130
    except CommandError as exc:
        print(f"rotagraph {args.command}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except AppError as exc:
        print(f"rotagraph {args.command}: {exc.message}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # the last line of defence: a message, not a traceback
        detail = str(exc) or type(exc).__name__
        print(
            f"rotagraph {args.command}: {type(exc).__name__}: {detail} "
            f"(database: {_redact(settings.database_url)})",
            file=sys.stderr,
        )
        if _MISSING_TABLE.search(detail):
            print(
                f"Has the database been migrated? Run: {command_line('migrate')}", file=sys.stderr
            )
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
