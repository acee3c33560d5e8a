"""``GET /reports/pay.csv?from=...&to=...[&scheduleId=...]``: the pay report as streamed CSV.

Needs ``Authorization: Bearer`` with an EDITOR or ADMIN token (401 without a valid token, 403
below EDITOR). ``from`` and ``to`` are ISO 8601 instants with an offset; ``scheduleId`` (global
ids, repeatable) narrows the schedules. Bad parameters answer 400 naming the parameter. Cells
that a spreadsheet would run as a formula are prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from decimal import Decimal

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from app.api.relay import decode_ids
from app.auth import service as auth_service
from app.auth.roles import Role
from app.errors import AppError, Unauthenticated
from app.ids import encode_id
from app.ledger import service
from app.ledger.types import hours

HEADER = (
    "contact_id",
    "contact",
    "schedule_id",
    "schedule",
    "currency",
    "amount",
    "paid_hours",
    "paid_shifts",
    "hours",
    "night_hours",
    "weekend_hours",
    "holiday_hours",
    "on_demand_hours",
    "substitution_hours",
)


def _cell(value: object) -> str:
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _instant(request: Request, name: str) -> datetime:
    raw = request.query_params.get(name)
    if raw is None:
        raise ValueError(f"{name}: required (an ISO 8601 instant with an offset)")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{name}: not an ISO 8601 instant") from None
    if value.tzinfo is None:
        raise ValueError(f"{name}: needs a UTC offset")
    return value


def _number(value: float | Decimal) -> str:
    """At most four decimals, no trailing zeros: 84, 70.1654, 0.5."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _line(row: Sequence[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([_cell(v) for v in row])
    return buffer.getvalue()


async def _rows(lines: list[service.PayLine]) -> AsyncIterator[str]:
    yield _line(HEADER)
    for x in lines:
        f = x.figures
        yield _line(
            (
                encode_id("Contact", x.contact.id),
                x.contact.name,
                encode_id("Schedule", x.schedule.id),
                x.schedule.name,
                x.pay.currency,
                x.pay.amount,
                _number(x.pay.paid_hours),
                x.pay.paid_shifts,
                *(_number(hours(v)) for v in (f.hours, f.night, f.weekend, f.holiday)),
                *(_number(hours(v)) for v in (f.on_demand, f.substitution)),
            )
        )


async def serve(request: Request) -> Response:
    try:
        auth = await auth_service.authenticate(
            authorization=request.headers.get("authorization"),
            now=request.app.state.clock.now(),
        )
    except Unauthenticated as exc:
        return PlainTextResponse(
            f"{exc}\n", status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    if not auth.role.allows(Role.EDITOR):
        return PlainTextResponse("the pay report needs an EDITOR or ADMIN token\n", status_code=403)
    try:
        start, end = _instant(request, "from"), _instant(request, "to")
        schedule_ids = None
        given = request.query_params.getlist("scheduleId")
        if given:
            schedule_ids = decode_ids(given, "Schedule", field="scheduleId")
        lines = await service.pay_report(
            org_id=auth.org_id, start=start, end=end, schedule_ids=schedule_ids
        )
    except ValueError as exc:
        return PlainTextResponse(f"{exc}\n", status_code=400)
    except AppError as exc:
        status = 404 if exc.code == "NOT_FOUND" else 400
        return PlainTextResponse(f"{exc.message}\n", status_code=status)
    return StreamingResponse(
        _rows(lines),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="pay.csv"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
