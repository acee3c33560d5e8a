"""Opsgenie REST API v2 reader (shapes from Opsgenie's published Swagger description as
generated in iksaif/opsgenie_swagger ``docs/Schedule.md``, ``docs/ScheduleRotation.md``,
``docs/TimeRestrictionInterval.md``, ``docs/ScheduleOverride.md``, ``docs/Escalation.md``,
and opsgenie/opsgenie-go-sdk-v2 package ``schedule``).

Requests: ``GET /v2/users`` (``limit`` / ``offset``, ``paging.next``), ``GET /v2/teams`` and
``GET /v2/teams/{id}`` (members), ``GET /v2/schedules?expand=rotation``,
``GET /v2/schedules/{id}/overrides``, ``GET /v2/schedules/{id}/timeline`` (the final
timeline over ``interval`` days from ``date``), ``GET /v2/escalations``. Auth:
``Authorization: GenieKey <key>``.

Rules from Opsgenie's documentation: a rotation's start date is its first handoff; daily and
weekly rotations keep the local handoff time, hourly ones count elapsed hours; every
rotation's on-call people are notified together (cumulative); a ``time-of-day`` restriction
applies every day, a ``weekday-and-time-of-day`` one from a start weekday and time to an end
weekday and time; an override applies to the rotations it names, or to all.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from app.imports import source as src
from app.imports.transport import Transport
from app.imports.zones import zone_name

PAGE = 100
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
UNITS: dict[str, src.Unit] = {"hourly": "HOUR", "daily": "DAY", "weekly": "WEEK"}


def headers(key: str) -> dict[str, str]:
    return {"Authorization": f"GenieKey {key}"}


def _data(body: Any, what: str) -> Any:
    if not isinstance(body, dict) or "data" not in body:
        raise src.SourceError(f"opsgenie {what}: no 'data' in the answer", field="source")
    return body["data"]


async def _users(transport: Transport) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    offset = 0
    while True:
        body = await transport.get("/v2/users", {"limit": str(PAGE), "offset": str(offset)})
        page = _data(body, "users")
        out.extend(page)
        if not page or not (body.get("paging") or {}).get("next"):
            return out
        offset += len(page)


def _member(raw: dict[str, Any]) -> src.Member:
    kind = raw.get("type")
    label = str(raw.get("username") or raw.get("name") or raw.get("id") or "")
    if kind in ("user", "team"):
        return src.Member(kind, str(raw.get("id")), label)
    if kind == "none":
        return src.Member("none", "", "nobody")
    return src.Member("other", str(raw.get("id")), f"{kind} {label}".strip())


def _minutes(day: int, hour: int, minute: int) -> int:
    return day * 1440 + hour * 60 + minute


def _windows(raw: dict[str, Any] | None) -> tuple[src.Window, ...]:
    if not raw:
        return ()
    if raw.get("type") == "time-of-day":
        r = raw.get("restriction") or (raw.get("restrictions") or [{}])[0]
        start = _minutes(0, r.get("startHour", 0), r.get("startMin", 0))
        end = _minutes(0, r.get("endHour", 0), r.get("endMin", 0))
        length = (end - start) % 1440 or 1440
        return (src.Window(None, time(start // 60, start % 60), timedelta(minutes=length)),)
    windows = []
    for r in raw.get("restrictions") or []:
        day = DAYS.index(str(r.get("startDay")).lower())
        start = _minutes(day, r.get("startHour", 0), r.get("startMin", 0))
        end = _minutes(
            DAYS.index(str(r.get("endDay")).lower()), r.get("endHour", 0), r.get("endMin", 0)
        )
        length = (end - start) % 10080 or 10080
        windows.append(
            src.Window(
                day, time(r.get("startHour", 0), r.get("startMin", 0)), timedelta(minutes=length)
            )
        )
    return tuple(windows)


def _layer(raw: dict[str, Any], priority: int, zone: str) -> src.Layer:
    kind = str(raw.get("type"))
    notes: tuple[str, ...] = ()
    if kind not in UNITS:
        notes = (f"unknown rotation type {kind!r}: imported as weekly",)
    return src.Layer(
        id=str(raw.get("id")),
        name=str(raw.get("name") or raw.get("id")),
        priority=priority,
        zone=zone,
        rotation_start=src.parse_instant(raw.get("startDate"), what="rotation"),
        unit=UNITS.get(kind, "WEEK"),
        length=int(raw.get("length") or 1),
        turns=tuple((_member(p),) for p in raw.get("participants") or []),
        end=src.parse_instant(raw["endDate"], what="rotation end") if raw.get("endDate") else None,
        windows=_windows(raw.get("timeRestriction")),
        notes=notes,
    )


def _recipients(raw: dict[str, Any], teams: dict[str, src.Team]) -> tuple[str, ...]:
    recipient = raw.get("recipient") or {}
    if recipient.get("type") == "user":
        return (str(recipient.get("id")),)
    if recipient.get("type") == "team" and str(recipient.get("id")) in teams:
        return teams[str(recipient.get("id"))].member_ids
    return ()


async def _schedule(
    transport: Transport,
    raw: dict[str, Any],
    teams: dict[str, src.Team],
    since: datetime,
    until: datetime,
) -> src.Schedule:
    sid = str(raw.get("id"))
    zone, zone_note = zone_name(str(raw.get("timezone") or "UTC"))
    rotations = list(raw.get("rotations") or [])
    layers = [_layer(r, len(rotations) - i, zone) for i, r in enumerate(rotations)]
    overrides = []
    for o in _data(
        await transport.get(f"/v2/schedules/{sid}/overrides", {"scheduleIdentifierType": "id"}),
        "overrides",
    ):
        user = o.get("user") or {}
        named = [str(r.get("id")) for r in o.get("rotations") or []]
        overrides.append(
            src.Override(
                id=str(o.get("alias")),
                start=src.parse_instant(o.get("startDate"), what="override"),
                end=src.parse_instant(o.get("endDate"), what="override"),
                user_ids=(str(user.get("id")),) if user.get("type", "user") == "user" else (),
                layer_ids=tuple(named) if named else None,
                notes=()
                if user.get("type", "user") == "user"
                else (f"override by a {user.get('type')} cannot be expressed",),
            )
        )
    days = max(1, round((until - since) / timedelta(days=1)))
    body = _data(
        await transport.get(
            f"/v2/schedules/{sid}/timeline",
            {
                "identifierType": "id",
                "interval": str(days),
                "intervalUnit": "days",
                "date": since.isoformat(),
            },
        ),
        "timeline",
    )
    rendered = tuple(
        src.RenderedEntry(
            start=src.parse_instant(p.get("startDate"), what="timeline period"),
            end=src.parse_instant(p.get("endDate"), what="timeline period"),
            user_ids=_recipients(p, teams),
        )
        for rotation in (body.get("finalTimeline") or {}).get("rotations") or []
        for p in rotation.get("periods") or []
    )
    notes = [zone_note] if zone_note else []
    if raw.get("enabled") is False:
        notes.append("the schedule is disabled in Opsgenie; imported as it is defined")
    start = (
        src.parse_instant(body["startDate"], what="timeline") if body.get("startDate") else since
    )
    end = src.parse_instant(body["endDate"], what="timeline") if body.get("endDate") else until
    owner = raw.get("ownerTeam") or {}
    return src.Schedule(
        id=sid,
        name=str(raw.get("name") or sid),
        zone=zone,
        layers=tuple(layers),
        overrides=tuple(overrides),
        teams=(str(owner["name"]),) if owner.get("name") else (),
        cumulative=True,
        rendered=rendered,
        rendered_range=(start, end),
        notes=tuple(notes),
    )


def _policy(raw: dict[str, Any]) -> src.Policy:
    rules = []
    for i, rule in enumerate(raw.get("rules") or []):
        recipient = rule.get("recipient") or {}
        kind = recipient.get("type")
        delay = (rule.get("delay") or {}).get("timeAmount")
        rules.append(
            src.Rule(
                id=f"{raw.get('id')}:{i}",
                targets=(
                    src.Target(
                        kind if kind in ("schedule", "user", "team") else "other",
                        str(recipient.get("id")),
                        str(recipient.get("name") or recipient.get("username") or kind),
                    ),
                ),
                delay_minutes=int(delay) if isinstance(delay, int) else None,
            )
        )
    notes = []
    repeat = raw.get("repeat") or {}
    if repeat.get("count"):
        notes.append(f"repeats {repeat['count']} time(s) every {repeat.get('waitInterval')} min")
    return src.Policy(
        str(raw.get("id")), str(raw.get("name") or raw.get("id")), tuple(rules), tuple(notes)
    )


async def read(transport: Transport, *, since: datetime, until: datetime) -> src.Bundle:
    users = {
        str(u["id"]): src.User(
            id=str(u["id"]),
            name=str(u.get("fullName") or u.get("username")),
            email=u.get("username"),
            timezone=u.get("timeZone"),
        )
        for u in await _users(transport)
    }
    teams: dict[str, src.Team] = {}
    for t in _data(await transport.get("/v2/teams"), "teams"):
        detail = _data(
            await transport.get(f"/v2/teams/{t['id']}", {"identifierType": "id"}), "team"
        )
        teams[str(t["id"])] = src.Team(
            id=str(t["id"]),
            name=str(detail.get("name") or t.get("name")),
            member_ids=tuple(str(m["user"]["id"]) for m in detail.get("members") or []),
        )
    schedules = [
        await _schedule(transport, s, teams, since, until)
        for s in _data(await transport.get("/v2/schedules", {"expand": "rotation"}), "schedules")
    ]
    policies = [_policy(p) for p in _data(await transport.get("/v2/escalations"), "escalations")]
    return src.Bundle("opsgenie", users, tuple(schedules), tuple(policies), teams)
