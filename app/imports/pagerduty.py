"""PagerDuty REST API v2 reader (shapes from PagerDuty's OpenAPI description, api-schema
``reference/REST/openapiv3.json``): users, schedules with their layers, restrictions,
overrides and rendered final schedule, and escalation policies.

Requests: ``GET /users``, ``GET /schedules``, ``GET /escalation_policies`` (paginated with
``limit`` / ``offset`` / ``more``), ``GET /schedules/{id}?since&until`` (the layers and
``final_schedule.rendered_schedule_entries``), ``GET /schedules/{id}/overrides?since&until``.
Auth: ``Authorization: Token token=<key>``; a read-only key is enough.

Rules taken from PagerDuty's documentation: ``schedule_layers`` lists the highest-priority
layer first (the UI's last layer wins overlaps); turn t starts at ``rotation_virtual_start`` +
t x ``rotation_turn_length_seconds``, with whole-day turns keeping their local handoff time
across DST; a layer covers [start, end) and, with restrictions, only their windows;
``start_day_of_week`` is ISO (1 = Monday); overrides replace the final schedule.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from app.imports import source as src
from app.imports.transport import Transport
from app.imports.zones import zone_name

PAGE = 100
OVERRIDE_DAYS = 366


def headers(key: str) -> dict[str, str]:
    return {
        "Authorization": f"Token token={key}",
        "Accept": "application/vnd.pagerduty+json;version=2",
    }


def _obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise src.SourceError(f"pagerduty {what}: expected an object", field="source")
    return value


def _list(body: Any, key: str, what: str) -> list[dict[str, Any]]:
    items = _obj(body, what).get(key)
    if not isinstance(items, list):
        raise src.SourceError(f"pagerduty {what}: no {key!r} list", field="source")
    return [_obj(item, what) for item in items]


async def _paged(transport: Transport, path: str, key: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    offset = 0
    while True:
        body = await transport.get(path, {"limit": str(PAGE), "offset": str(offset)})
        page = _list(body, key, path)
        out.extend(page)
        if not body.get("more") or not page:
            return out
        offset += len(page)


def _turn(seconds: int) -> tuple[src.Unit, int, tuple[str, ...]]:
    if seconds <= 0:
        return "DAY", 1, (f"turn length {seconds} s is not positive; imported as one day",)
    for unit, size in (("WEEK", 604_800), ("DAY", 86_400), ("HOUR", 3_600)):
        if seconds % size == 0:
            return unit, seconds // size, ()  # type: ignore[return-value]
    hours = max(1, round(seconds / 3600))
    return (
        "HOUR",
        hours,
        (
            f"turn length of {seconds} s is not a whole number of hours: "
            f"imported as {hours} h (Rotagraph turns are whole hours, days, weeks or months)",
        ),
    )


def _windows(raw: list[Any]) -> tuple[tuple[src.Window, ...], tuple[str, ...]]:
    windows: list[src.Window] = []
    notes: list[str] = []
    for item in raw:
        r = _obj(item, "restriction")
        hh, mm, *rest = (int(p) for p in str(r.get("start_time_of_day", "00:00:00")).split(":"))
        seconds = rest[0] if rest else 0
        duration = int(r.get("duration_seconds") or 0)
        if seconds or duration % 60:
            notes.append(
                "a restriction with seconds is rounded to the minute "
                f"({r.get('start_time_of_day')}, {duration} s)"
            )
        minutes = max(1, round(duration / 60))
        weekday = None
        if r.get("type") == "weekly_restriction":
            weekday = int(r.get("start_day_of_week") or 1) - 1
        windows.append(src.Window(weekday, time(hh, mm), timedelta(minutes=minutes)))
    return tuple(windows), tuple(notes)


def _layer(raw: dict[str, Any], priority: int, zone: str) -> src.Layer:
    unit, length, notes = _turn(int(raw.get("rotation_turn_length_seconds") or 0))
    windows, window_notes = _windows(raw.get("restrictions") or [])
    users = [_obj(u.get("user"), "layer user")["id"] for u in raw.get("users") or []]
    return src.Layer(
        id=str(raw.get("id") or f"layer-{priority}"),
        name=str(raw.get("name") or f"Layer {priority}"),
        priority=priority,
        zone=zone,
        rotation_start=src.parse_instant(raw.get("rotation_virtual_start"), what="layer"),
        unit=unit,
        length=length,
        turns=tuple((src.Member("user", str(uid)),) for uid in users),
        start=src.parse_instant(raw.get("start"), what="layer start") if raw.get("start") else None,
        end=src.parse_instant(raw.get("end"), what="layer end") if raw.get("end") else None,
        windows=windows,
        notes=notes + window_notes,
    )


async def _schedule(
    transport: Transport, summary: dict[str, Any], since: datetime, until: datetime
) -> src.Schedule:
    sid = str(summary.get("id"))
    window = {"since": since.isoformat(), "until": until.isoformat()}
    detail = _obj(
        _obj(await transport.get(f"/schedules/{sid}", window), "schedule").get("schedule"),
        "schedule",
    )
    zone, zone_note = zone_name(str(detail.get("time_zone") or "UTC"))
    raw_layers = [_obj(x, "layer") for x in detail.get("schedule_layers") or []]
    notes = [zone_note] if zone_note else []
    layers = []
    for i, raw in enumerate(raw_layers):
        layer = _layer(raw, len(raw_layers) - i, zone)
        if layer.end is not None and layer.end <= since:
            notes.append(f"layer {layer.name!r} ended at {layer.end.isoformat()}: not imported")
            continue
        layers.append(layer)
    override_window = {
        "since": since.isoformat(),
        "until": (since + timedelta(days=OVERRIDE_DAYS)).isoformat(),
    }
    overrides = [
        src.Override(
            id=str(o.get("id")),
            start=src.parse_instant(o.get("start"), what="override"),
            end=src.parse_instant(o.get("end"), what="override"),
            user_ids=(str(_obj(o.get("user"), "override user")["id"]),),
        )
        for o in _list(
            await transport.get(f"/schedules/{sid}/overrides", override_window),
            "overrides",
            "overrides",
        )
    ]
    final = detail.get("final_schedule") or {}
    rendered = None
    if isinstance(final, dict) and isinstance(final.get("rendered_schedule_entries"), list):
        rendered = tuple(
            src.RenderedEntry(
                start=src.parse_instant(e.get("start"), what="rendered entry"),
                end=src.parse_instant(e.get("end"), what="rendered entry"),
                user_ids=(str(_obj(e.get("user"), "rendered user")["id"]),),
            )
            for e in (_obj(x, "rendered entry") for x in final["rendered_schedule_entries"])
        )
    return src.Schedule(
        id=sid,
        name=str(detail.get("name") or summary.get("name") or sid),
        zone=zone,
        layers=tuple(layers),
        overrides=tuple(overrides),
        teams=tuple(str(t.get("summary") or t.get("id")) for t in detail.get("teams") or []),
        rendered=rendered,
        rendered_range=(since, until) if rendered is not None else None,
        notes=tuple(notes),
    )


def _policy(raw: dict[str, Any]) -> src.Policy:
    rules = []
    for i, rule in enumerate(raw.get("escalation_rules") or []):
        rule = _obj(rule, "escalation rule")
        targets = []
        for t in rule.get("targets") or []:
            t = _obj(t, "escalation target")
            kind = str(t.get("type", "")).removesuffix("_reference")
            targets.append(
                src.Target(
                    "schedule" if kind == "schedule" else "user" if kind == "user" else "other",
                    str(t.get("id")),
                    str(t.get("summary") or t.get("id")),
                )
            )
        delay = rule.get("escalation_delay_in_minutes")
        rules.append(
            src.Rule(
                id=str(rule.get("id") or i),
                targets=tuple(targets),
                delay_minutes=int(delay) if isinstance(delay, int) else None,
            )
        )
    notes = []
    if raw.get("num_loops"):
        notes.append(f"repeats {raw['num_loops']} time(s) after its last rule")
    return src.Policy(
        id=str(raw.get("id")),
        name=str(raw.get("name") or raw.get("id")),
        rules=tuple(rules),
        notes=tuple(notes),
    )


async def read(transport: Transport, *, since: datetime, until: datetime) -> src.Bundle:
    """Everything the import needs, rendered final schedules over [since, until)."""
    users = {
        str(u["id"]): src.User(
            id=str(u["id"]),
            name=str(u.get("name") or u.get("summary") or u.get("email") or u["id"]),
            email=u.get("email"),
            timezone=u.get("time_zone"),
        )
        for u in await _paged(transport, "/users", "users")
    }
    schedules = [
        await _schedule(transport, s, since, until)
        for s in await _paged(transport, "/schedules", "schedules")
    ]
    policies = [
        _policy(p) for p in await _paged(transport, "/escalation_policies", "escalation_policies")
    ]
    return src.Bundle("pagerduty", users, tuple(schedules), tuple(policies))
