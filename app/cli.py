"""The `rotagraph` command: serve, migrate, create-org, create-token, demo, export-schema.

Each command reads DATABASE_URL (and the other settings) from the environment, starts Tortoise
itself, and exits non-zero with a one-line message when something goes wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from app.settings import Settings

EXIT_ERROR = 1
EXIT_USAGE = 2
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

    export = commands.add_parser("export-schema", help="write the GraphQL schema (SDL)")
    export.add_argument("--output", "-o", default="schema.graphql", help="'-' for stdout")
    return parser


def _with_db(settings: Settings, work: Callable[[], Awaitable[int]]) -> int:
    from app.db import close_db, init_db

    async def run() -> int:
        await init_db(settings.database_url)
        try:
            return await work()
        finally:
            await close_db()

    return asyncio.run(run())


def _print_secret(secret: str, org_id: int, role: str) -> None:
    print(f"token: {secret}")
    print(
        f"This {role} token is shown once; store it now. Another one: "
        f"rotagraph create-token --org {org_id} --role {role} --name NAME",
        file=sys.stderr,
    )


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
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers,
        reload=args.reload,
        reload_dirs=[str(Path(__file__).resolve().parent)] if args.reload else None,
        proxy_headers=True,
        log_level="info",
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

    async def run() -> None:
        try:
            await migrate(config=tortoise_config(settings.database_url), progress=progress)
        finally:
            await Tortoise.close_connections()

    asyncio.run(run())
    if applied:
        print(f"Applied {len(applied)} migration(s) to {_redact(settings.database_url)}.")
    else:
        print(f"No migrations to apply: {_redact(settings.database_url)} is up to date.")
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
                raise CommandError(f"no organization {org_id}; see `rotagraph create-org`")
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
                print(
                    "Tokens are shown only once. Make another with: "
                    f"rotagraph create-token --org {existing[0].id} --role ADMIN --name NAME"
                )
                return 0
        org_id, secret = await load_demo(now=SystemClock().now())
        print(f"Loaded demo data into organization: {org_id} Demo Corp")
        _print_secret(secret, org_id, "ADMIN")
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
    "export-schema": cmd_export_schema,
}


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"


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
            print("Has the database been migrated? Run: rotagraph migrate", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
