"""create_app(settings) -> Starlette. The lifespan starts the database."""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute
from tortoise import connections
from tortoise.contrib.starlette import RegisterTortoise

from app import collector, outbound, pubsub, versions
from app.api import cache_metrics
from app.api.schema import build_schema
from app.api.view import RotagraphGraphQL
from app.auth import service as auth_service
from app.brokers import broker_for
from app.calendars import feeds as calendar_feeds
from app.calendars import importer as calendar_importer
from app.clock import Clock, SystemClock
from app.cover_requests.expiry import expire_started as expire_cover_requests
from app.db import is_postgres, tortoise_config, transaction
from app.destinations import tracking as destination_tracking
from app.destinations import worker as export_worker
from app.errors import Unauthenticated
from app.jobs.queue import prune as prune_jobs
from app.jobs.queue import release_all_running
from app.jobs.runner import Job, JobRunner, run_with_clock
from app.layers import holiday_upgrade
from app.ledger import report_csv as pay_csv
from app.notifications import changes as notice_changes
from app.notifications import cover as notice_cover  # noqa: F401  (registers its listener)
from app.notifications import delivery as notice_delivery
from app.notifications import plan as notice_plan
from app.people import signin as sign_in
from app.pubsub import InProcessBroker
from app.settings import Settings
from app.shifts.job import confirm_stale_tiers
from app.timelines.cache import CACHE as TIMELINE_CACHE


async def healthz(request: Request) -> JSONResponse:
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception as exc:  # any database failure makes the process unhealthy
        return JSONResponse({"status": "error", "database": type(exc).__name__}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


async def metrics(graphql: RotagraphGraphQL, request: Request) -> PlainTextResponse:
    """Counters for operators (Prometheus text format). Needs ``Authorization: Bearer``
    with ``METRICS_TOKEN`` when that is set, else with any valid API token."""
    settings: Settings = request.app.state.settings
    given = request.headers.get("authorization", "")
    if settings.metrics_token is not None:
        allowed = hmac.compare_digest(given.encode(), f"Bearer {settings.metrics_token}".encode())
    else:
        try:
            await auth_service.authenticate(authorization=given or None, now=graphql.clock.now())
            allowed = True
        except Unauthenticated:
            allowed = False
    if not allowed:
        return PlainTextResponse(
            "metrics need Authorization: Bearer <METRICS_TOKEN or an API token>\n",
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    lines = cache_metrics.cache_lines(graphql.cache, graphql.schema)
    return PlainTextResponse("\n".join(lines) + "\n")


def background_jobs(settings: Settings) -> list[Job]:
    return [
        Job("confirm", settings.confirm_interval_seconds, confirm_stale_tiers),
        Job("status", settings.status_interval_seconds, destination_tracking.tick),
        Job("cover-expiry", settings.status_interval_seconds, expire_cover_requests),
        Job("prune-jobs", 3600, prune_jobs),
        Job(
            "calendar-import",
            settings.calendar_import_interval_seconds,
            partial(calendar_importer.import_due, settings),
        ),
        Job("notices-plan", settings.notice_poll_seconds, notice_plan.tick),
    ]


class _FeedSecrets(logging.Filter):
    """Hides the secret of feed URLs (``/feeds/rgf_….ics``) in uvicorn's access log."""

    _SECRET = re.compile(r"/feeds/[^/?#\s\"]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self._SECRET.sub("/feeds/***", a) if isinstance(a, str) else a for a in record.args
            )
        elif isinstance(record.msg, str):
            record.msg = self._SECRET.sub("/feeds/***", record.msg)
        return True


def _hide_feed_secrets() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _FeedSecrets) for f in access.filters):
        access.addFilter(_FeedSecrets())


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    clock = clock or SystemClock()
    # Timelines are computed in a worker thread (app.timelines.service.run_engine); the event
    # loop thread asks for the interpreter lock back after 0.5 ms instead of 5 ms, so short
    # requests (/healthz) are not held up behind a long computation.
    sys.setswitchinterval(0.0005)
    _hide_feed_secrets()
    TIMELINE_CACHE.max_entries = settings.timeline_cache_entries
    TIMELINE_CACHE.max_bytes = settings.timeline_cache_bytes
    graphql = RotagraphGraphQL(build_schema(settings), settings=settings, clock=clock)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            broker = broker_for(database_url=settings.database_url, pubsub_url=settings.pubsub_url)
            pubsub.install(broker)
            await broker.start()
            versions.KNOWN.clear()
            following = versions.start_following()
            revocations = asyncio.create_task(auth_service.follow_revocations())
            if not is_postgres(settings.database_url):
                await release_all_running()
            async with transaction():  # a new holidays version: an edit of the calendars
                await holiday_upgrade.reconcile(now=clock.now())
            runner = JobRunner(background_jobs(settings), clock=clock)
            export_worker.configure(settings.export_concurrency, settings.export_lease_seconds)
            destination_tracking.configure(grace_seconds=settings.export_grace_seconds)
            outbound.configure(settings)
            notice_changes.configure(settle_seconds=settings.notice_settle_seconds)
            workers: list[asyncio.Task[None]] = []
            if settings.run_jobs:
                runner.start()
                workers = [
                    asyncio.create_task(
                        run_with_clock(clock, export_worker.loop(settings.export_poll_seconds))
                    ),
                    asyncio.create_task(run_with_clock(clock, notice_delivery.loop(settings))),
                ]
            collector.tune()
            workers.append(asyncio.create_task(collector.collect_when_quiet()))
            try:
                yield
            finally:
                await runner.stop()
                for task in workers:
                    task.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
                await outbound.close()
                await calendar_importer.shutdown()
                following.cancel()
                revocations.cancel()
                await asyncio.gather(following, revocations, return_exceptions=True)
                await broker.stop()
                pubsub.install(InProcessBroker())

    from app.api.graphiql import graphiql_static_app
    from app.api.page import STATIC_PREFIX as PAGE_STATIC
    from app.api.page import page, page_static_app

    app = Starlette(
        routes=[
            Route("/", page, methods=["GET"]),
            Route("/healthz", healthz),
            Route("/metrics", partial(metrics, graphql)),
            Route("/feeds/{secret}.ics", calendar_feeds.serve, methods=["GET"]),
            Route("/sign-in", sign_in.exchange, methods=["POST"]),
            Route("/reports/pay.csv", pay_csv.serve, methods=["GET"]),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Mount("/static/graphiql", graphiql_static_app(), name="graphiql-static"),
            Mount(PAGE_STATIC, page_static_app(), name="page-static"),
        ],
        middleware=[Middleware(collector.InFlight)],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock
    return app
