"""Grafana OnCall public API reader (shapes from grafana/oncall
``docs/sources/oncall-api-reference/``: ``schedules.md``, ``on_call_shifts.md``,
``users.md``, ``escalation_chains.md``, ``escalation_policies.md``).

Requests (paginated with ``page`` while ``next`` is set): ``GET /api/v1/users/``,
``GET /api/v1/schedules/``, ``GET /api/v1/on_call_shifts/``,
``GET /api/v1/escalation_chains/``, ``GET /api/v1/escalation_policies/``, and
``GET /api/v1/schedules/{id}/final_shifts?start_date&end_date`` for the rendered schedule.
Auth: ``Authorization: <token>``.

Rules from the documentation: only ``web`` / ``calendar`` schedules carry on-call shifts;
a shift's ``start`` is a wall time in its ``time_zone`` (else the schedule's); events repeat
every ``interval`` x ``frequency`` and last ``duration`` seconds; ``rolling_users`` moves to
the next list of users every frequency time frame; a higher ``level`` wins overlaps;
``override`` shifts win over everything.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from app.engine import resolve
from app.imports import source as src
from app.imports.transport import Transport
from app.imports.zones import zone_name

UNITS: dict[str, tuple[src.Unit, int]] = {
    "hourly": ("HOUR", 3600),
    "daily": ("DAY", 86_400),
    "weekly": ("WEEK", 604_800),
    "monthly": ("MONTH", 28 * 86_400),
}
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def headers(key: str) -> dict[str, str]:
    return {"Authorization": key}


async def _all(
    transport: Transport, path: str, params: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    page = 1
    while True:
        body = await transport.get(path, {**(params or {}), "page": str(page)})
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise src.SourceError(f"grafana {path}: no 'results' list", field="source")
        out.extend(body["results"])
        if not body.get("next"):
            return out
        page += 1


def _local(raw: str, zone: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw)
    except (TypeError, ValueError):
        raise src.SourceError(f"grafana: {raw!r} is not a date-time", field="source") from None
    return resolve(value.replace(tzinfo=None), zone) if value.tzinfo is None else value


def _windows(
    shift: dict[str, Any],
    unit: src.Unit,
    period: int,
    begin: datetime,
) -> tuple[tuple[src.Window, ...], list[str]]:
    duration = int(shift.get("duration") or period)
    interval = int(shift.get("interval") or 1)
    by_day = [d for d in shift.get("by_day") or [] if d in DAYS]
    notes: list[str] = []
    if shift.get("by_month") or shift.get("by_monthday"):
        notes.append("by_month / by_monthday cannot be expressed: the rotation runs every month")
    if duration >= period * interval and not by_day:
        return (), notes
    if unit in ("HOUR", "MONTH"):
        notes.append(f"events shorter than their {unit.lower()} cannot be expressed: whole turns")
        return (), notes
    if interval > 1:
        notes.append(
            f"events every {interval} {unit.lower()}s shorter than the turn cannot be "
            "expressed: each one's window repeats every period"
        )
    length = timedelta(seconds=duration)
    at = time(begin.hour, begin.minute)
    if by_day:
        days = sorted(DAYS.index(d) for d in by_day)
        return tuple(src.Window(d, at, length) for d in days), notes
    if unit == "DAY":
        return (src.Window(None, at, length),), notes
    return (src.Window(begin.weekday(), at, length),), notes


def _layer(shift: dict[str, Any], zone: str) -> src.Layer:
    zone = zone_name(str(shift["time_zone"]))[0] if shift.get("time_zone") else zone
    unit, period = UNITS.get(str(shift.get("frequency")), ("WEEK", 604_800))
    begin = datetime.fromisoformat(str(shift["start"])).replace(tzinfo=None)
    windows, notes = _windows(shift, unit, period, begin)
    if shift.get("type") == "rolling_users":
        turns = tuple(
            tuple(src.Member("user", str(u)) for u in group)
            for group in shift.get("rolling_users") or []
        )
    else:  # recurrent_event: the same users every time
        turns = (tuple(src.Member("user", str(u)) for u in shift.get("users") or []),)
    by_day = bool(shift.get("by_day"))
    advance: src.Advance = "EVERY_TURN"
    origin = begin
    if by_day and unit == "DAY" and len(turns) > 1:
        # Grafana hands each event on the by_day days to the next list of users
        # (engine/apps/schedules/models/custom_on_call_shift.py, _daily_by_day_to_ical)
        advance = "ACTIVE_TURNS"
        if int(shift.get("interval") or 1) > 1:
            notes.append("a daily rotation every few days on chosen weekdays cannot be expressed")
    elif by_day and unit == "WEEK":
        # its weeks start on week_start (RFC 5545 WKST): a turn is that calendar week
        week_start = DAYS.index(str(shift.get("week_start") or "SU"))
        origin = datetime.combine(
            begin.date() - timedelta(days=(begin.weekday() - week_start) % 7), time()
        )
    coverage = shift.get("rotation_start") or (shift["start"] if origin != begin else None)
    return src.Layer(
        id=str(shift["id"]),
        name=str(shift.get("name") or shift["id"]),
        priority=int(shift.get("level") or 0),
        zone=zone,
        rotation_start=resolve(origin, zone),
        unit=unit,
        length=int(shift.get("interval") or 1),
        turns=turns,
        start=_local(str(coverage), zone) if coverage else None,
        advance=advance,
        end=_local(str(shift["until"]), zone) if shift.get("until") else None,
        windows=windows,
        first_turn=int(shift.get("start_rotation_from_user_index") or 0),
        notes=tuple(notes),
    )


def _override(shift: dict[str, Any], zone: str) -> src.Override:
    zone = zone_name(str(shift["time_zone"]))[0] if shift.get("time_zone") else zone
    start = _local(str(shift["start"]), zone)
    notes: tuple[str, ...] = ()
    if shift.get("type") == "single_event":
        notes = (
            "a single event becomes an on-demand shift, which wins over every layer "
            "whatever its level",
        )
    return src.Override(
        id=str(shift["id"]),
        start=start,
        end=start + timedelta(seconds=int(shift.get("duration") or 0)),
        user_ids=tuple(str(u) for u in shift.get("users") or []),
        notes=notes,
    )


async def _schedule(
    transport: Transport,
    raw: dict[str, Any],
    shifts: dict[str, dict[str, Any]],
    since: datetime,
    until: datetime,
) -> src.Schedule:
    sid = str(raw["id"])
    zone, zone_note = zone_name(str(raw.get("time_zone") or "UTC"))
    notes = [zone_note] if zone_note else []
    if raw.get("type") not in ("web", "calendar"):
        return src.Schedule(
            sid,
            str(raw.get("name") or sid),
            zone,
            (),
            importable=False,
            notes=(
                f"{raw.get('type')} schedules (an external iCalendar) "
                "cannot be imported: only web schedules with on-call shifts",
            ),
        )
    layers, overrides = [], []
    for shift_id in raw.get("shifts") or []:
        shift = shifts.get(str(shift_id))
        if shift is None:
            notes.append(f"on-call shift {shift_id} is not in the shift list")
        elif shift.get("type") in ("override", "single_event"):
            overrides.append(_override(shift, zone))
        else:
            layers.append(_layer(shift, zone))
    final = await _all(
        transport,
        f"/api/v1/schedules/{sid}/final_shifts",
        {
            "start_date": since.date().isoformat(),
            "end_date": (until + timedelta(days=1)).date().isoformat(),
        },
    )
    rendered = tuple(
        src.RenderedEntry(
            start=src.parse_instant(e.get("shift_start"), what="final shift"),
            end=src.parse_instant(e.get("shift_end"), what="final shift"),
            user_ids=(str(e.get("user_pk")),),
        )
        for e in final
    )
    return src.Schedule(
        id=sid,
        name=str(raw.get("name") or sid),
        zone=zone,
        layers=tuple(layers),
        overrides=tuple(overrides),
        teams=(str(raw["team_id"]),) if raw.get("team_id") else (),
        rendered=rendered,
        rendered_range=(since, until),
        notes=tuple(notes),
    )


def _policies(chains: list[dict[str, Any]], steps: list[dict[str, Any]]) -> tuple[src.Policy, ...]:
    out = []
    for chain in chains:
        cid = str(chain["id"])
        own = sorted(
            (s for s in steps if str(s.get("escalation_chain_id")) == cid),
            key=lambda s: int(s.get("position") or 0),
        )
        rules: list[src.Rule] = []
        notes: list[str] = []
        for step in own:
            kind = step.get("type")
            if kind == "notify_on_call_from_schedule":
                target = step.get("notify_on_call_from_schedule")
                rules.append(src.Rule(str(step["id"]), (src.Target("schedule", str(target)),)))
            elif kind == "notify_persons":
                rules.append(
                    src.Rule(
                        str(step["id"]),
                        tuple(
                            src.Target("user", str(u)) for u in step.get("persons_to_notify") or []
                        ),
                    )
                )
            elif kind == "wait":
                notes.append(
                    f"a wait of {step.get('duration')} s is not expressed (tiers carry no delay)"
                )
            else:
                rules.append(
                    src.Rule(str(step["id"]), (src.Target("other", str(step["id"]), str(kind)),))
                )
        out.append(src.Policy(cid, str(chain.get("name") or cid), tuple(rules), tuple(notes)))
    return tuple(out)


async def read(transport: Transport, *, since: datetime, until: datetime) -> src.Bundle:
    users = {
        str(u["id"]): src.User(
            id=str(u["id"]),
            name=str(u.get("name") or u.get("username") or u.get("email")),
            email=u.get("email"),
            timezone=u.get("timezone"),
        )
        for u in await _all(transport, "/api/v1/users/")
    }
    shifts = {str(s["id"]): s for s in await _all(transport, "/api/v1/on_call_shifts/")}
    schedules = [
        await _schedule(transport, s, shifts, since, until)
        for s in await _all(transport, "/api/v1/schedules/")
    ]
    policies = _policies(
        await _all(transport, "/api/v1/escalation_chains/"),
        await _all(transport, "/api/v1/escalation_policies/"),
    )
    return src.Bundle("grafana", users, tuple(schedules), policies)
