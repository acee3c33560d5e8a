"""After each confirmation: change notices for the people whose shifts changed, and
coverage alerts for the schedules whose gaps changed (a listener of ``shifts.service``,
run inside the confirming transaction)."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from app import clock
from app.engine import Timeline
from app.jobs.models import JobRow
from app.notifications import models, notices
from app.notifications.runs import (
    Row,
    Run,
    clip,
    compare,
    person_runs,
    runs_from_json,
    runs_to_json,
)
from app.schedules import models as schedule_models
from app.shifts import models as shift_models
from app.shifts import service as shift_service
from app.tiers import models as tier_models
from app.timelines import service as timeline_service

SETTLE = {"seconds": 60.0}


def configure(*, settle_seconds: float) -> None:
    """NOTICE_SETTLE_SECONDS: how long a change notice waits for further edits."""
    SETTLE["seconds"] = settle_seconds


def _horizon_key(tier_id: int) -> str:
    return f"horizon:{tier_id}"


async def current_runs(
    tier_ids: Sequence[int], *, now: datetime
) -> dict[int, dict[int, list[Run]]]:
    """Per tier, per contact, the person's shifts from the confirmed rows that end after now."""
    rows: dict[int, list[Row]] = {pk: [] for pk in tier_ids}
    for r in await shift_models.Shift.filter(tier_id__in=list(tier_ids), end__gte=now).only(
        "tier_id", "start", "end", "assignees"
    ):
        rows[r.tier_id].append(Row(r.start, r.end, tuple(r.assignees)))
    return {pk: person_runs(tier_rows) for pk, tier_rows in rows.items()}


async def on_confirmed(results: Sequence[shift_service.Confirmation], now: datetime) -> None:
    if not results:
        return
    await _changes(results, now)
    await _coverage(results, now)


# ------------------------------------------------------------------------- changes


async def _changes(results: Sequence[shift_service.Confirmation], now: datetime) -> None:
    tier_ids = [r.tier_id for r in results]
    until = {r.tier_id: r.until for r in results}
    horizons = {
        int(s.key.split(":")[1]): datetime.fromisoformat(s.state["horizon"])
        for s in await models.AlertState.filter(key__in=[_horizon_key(t) for t in tier_ids])
    }
    snapshots: dict[tuple[int, int], models.ShiftSnapshot] = {
        (s.tier_id, s.contact_id): s
        for s in await models.ShiftSnapshot.filter(tier_id__in=tier_ids)
    }
    runs = await current_runs(tier_ids, now=now)
    changed: dict[int, dict[int, list[Run]]] = defaultdict(dict)  # contact -> tier -> before
    for tier_id in tier_ids:
        old_h = horizons.get(tier_id)
        people = {c for (t, c) in snapshots if t == tier_id} | set(runs[tier_id])
        for contact in people:
            snap = snapshots.get((tier_id, contact))
            before = runs_from_json(snap.runs) if snap else []
            after = runs[tier_id].get(contact, [])
            # The first confirmation of a tier is its baseline, not a change; shifts that
            # only enter as the horizon moves are not changes either.
            if old_h is not None and compare(clip(before, now, old_h), clip(after, now, old_h)):
                changed[contact][tier_id] = clip(before, now, old_h)
            stored = runs_to_json(clip(after, now, until[tier_id]))
            if snap is None and stored:
                await models.ShiftSnapshot.create(tier_id=tier_id, contact_id=contact, runs=stored)
            elif snap is not None and not stored:
                await snap.delete()
            elif snap is not None and stored != snap.runs:
                await models.ShiftSnapshot.filter(id=snap.id).update(runs=stored)
        await notices.set_state(_horizon_key(tier_id), {"horizon": until[tier_id].isoformat()})
    if changed:
        await _change_notices(changed, horizons, now)


async def _change_notices(
    changed: dict[int, dict[int, list[Run]]], horizons: dict[int, datetime], now: datetime
) -> None:
    """One PENDING change notice per channel gathers a burst: its ``before`` keeps the first
    view of each tier, and each new change pushes its due time to ``now + settle``."""
    settle = timedelta(seconds=SETTLE["seconds"])
    recipients = await notices.contact_recipients(changed)
    if not recipients:
        return
    waiting = await models.Notice.filter(
        kind="CHANGE",
        status="PENDING",
        channel_id__in=[r.channel.id for rs in recipients.values() for r in rs],
    )
    # A notice being sent right now may already have read the shifts: a new change starts a
    # notice of its own (at worst a change is told twice, never lost).
    sending = {
        str(key)
        for key in await JobRow.filter(
            kind="notice", key__in=[str(n.id) for n in waiting], status="RUNNING"
        ).values_list("key", flat=True)
    }
    pending = {n.channel_id: n for n in waiting if str(n.id) not in sending}
    for contact, tiers in changed.items():
        before = {
            str(t): {"runs": runs_to_json(runs), "horizon": horizons[t].isoformat()}
            for t, runs in tiers.items()
        }
        for recipient in recipients.get(contact, []):
            if not recipient.wants("CHANGE"):
                continue
            due = recipient.due("CHANGE", now + settle)
            notice = pending.get(recipient.channel.id)
            if notice is None:
                await notices.create(
                    org_id=recipient.channel.organization_id,
                    kind="CHANGE",
                    key=f"change:{recipient.channel.id}:{secrets.token_hex(8)}",
                    transport=recipient.channel.kind,
                    address=recipient.channel.address,
                    due_at=due,
                    channel_id=recipient.channel.id,
                    contact_id=contact,
                    data={"before": before},
                )
                continue
            merged = {**before, **notice.data.get("before", {})}
            await models.Notice.filter(id=notice.id, status="PENDING").update(
                due_at=max(due, notice.due_at), data={**notice.data, "before": merged}
            )


async def change_of(notice: models.Notice, *, now: datetime) -> list[dict[str, Any]]:
    """What a change notice says when it is due: its ``before`` against the shifts now,
    within each tier's horizon as it was; empty when the burst was undone."""
    before: dict[str, Any] = notice.data.get("before", {})
    tier_ids = [int(t) for t in before]
    runs = await current_runs(tier_ids, now=now)
    tiers = {t.id: t for t in await tier_models.Tier.filter(id__in=tier_ids)}
    names = dict(
        await schedule_models.Schedule.filter(
            id__in={t.schedule_id for t in tiers.values()}
        ).values_list("id", "name")
    )
    out = []
    for key, seen in before.items():
        tier = tiers.get(int(key))
        if tier is None:
            continue
        horizon = datetime.fromisoformat(seen["horizon"])
        old = clip(runs_from_json(seen["runs"]), now, horizon)
        new = clip(runs[tier.id].get(notice.contact_id or 0, []), now, horizon)
        change = compare(old, new)
        if change:
            out.append(
                {
                    "schedule": names.get(tier.schedule_id, "?"),
                    "tier": tier.number,
                    "added": runs_to_json(change.added),
                    "removed": runs_to_json(change.removed),
                    "moved": [runs_to_json(pair) for pair in change.moved],
                }
            )
    return out


# ------------------------------------------------------------------------ coverage


def _coverage_holes(timeline: Timeline) -> list[list[str]]:
    """Gaps inside the layers' covered time, and understaffed stretches, as [kind, start, end]."""
    covered = sorted((p.start, p.end) for view in timeline.layers for p in view.shifts)
    holes: list[list[str]] = []
    for gap in timeline.gaps:
        for start, end in covered:
            a, b = max(gap.start, start), min(gap.end, end)
            if a < b:
                holes.append(["gap", a.isoformat(), b.isoformat()])
    gaps = _merge(holes)
    # Time nobody covers is reported as a gap only, not also as understaffed.
    short = [
        ["understaffed", u.start.isoformat(), u.end.isoformat()]
        for u in timeline.understaffed
        if not any(g[1] <= u.start.isoformat() and u.end.isoformat() <= g[2] for g in gaps)
    ]
    return gaps + _merge(short)


def _merge(holes: list[list[str]]) -> list[list[str]]:
    out: list[list[str]] = []
    for kind, a, b in sorted(holes, key=lambda h: (h[0], h[1])):
        if out and out[-1][0] == kind and out[-1][2] >= a:
            out[-1][2] = max(out[-1][2], b)
        else:
            out.append([kind, a, b])
    return out


def _is_new(hole: list[str], previous: list[list[str]]) -> bool:
    """A hole not inside one seen before (holes only shrink as time passes)."""
    return not any(p[0] == hole[0] and p[1] <= hole[1] and hole[2] <= p[2] for p in previous)


async def _coverage(results: Sequence[shift_service.Confirmation], now: datetime) -> None:
    tiers = await tier_models.Tier.filter(id__in=[r.tier_id for r in results])
    until = {r.tier_id: r.until for r in results}
    states = {
        s.key: s
        for s in await models.AlertState.filter(key__in=[f"coverage:{t.id}" for t in tiers])
    }
    alerts: dict[int, list[dict[str, Any]]] = defaultdict(list)
    resolved: dict[int, list[int]] = defaultdict(list)
    by_org: dict[tuple[int, datetime], list[tier_models.Tier]] = defaultdict(list)
    for tier in tiers:
        by_org[(tier.organization_id, until[tier.id])].append(tier)
    for (org_id, end), group in by_org.items():
        # The confirmation just computed these windows: they come from the timeline cache.
        timelines = await timeline_service.compute(org_id=org_id, tiers=group, start=now, end=end)
        for tier in group:
            holes = _coverage_holes(timelines[tier.id])
            state = states.get(f"coverage:{tier.id}")
            previous: list[list[str]] = state.state.get("holes", []) if state else []
            if holes == previous:
                continue
            await notices.set_state(f"coverage:{tier.id}", {"holes": holes})
            if any(_is_new(h, previous) for h in holes):
                alerts[tier.schedule_id].append(
                    {
                        "tier": tier.number,
                        "gaps": [h[1:] for h in holes if h[0] == "gap"],
                        "understaffed": [h[1:] for h in holes if h[0] == "understaffed"],
                    }
                )
            elif not holes and previous:
                resolved[tier.schedule_id].append(tier.number)
    await _schedule_alerts("COVERAGE", alerts, now)
    await _schedule_alerts("COVERAGE_RESOLVED", resolved, now)


async def _schedule_alerts(kind: str, per_schedule: dict[int, list[Any]], now: datetime) -> None:
    if not per_schedule:
        return
    targets = await notices.schedule_targets(per_schedule)
    schedules = {s.id: s for s in await schedule_models.Schedule.filter(id__in=list(per_schedule))}
    stamp = clock.now().isoformat()
    for schedule_id, items in per_schedule.items():
        schedule = schedules[schedule_id]
        for target in targets.get(schedule_id, []):
            await notices.create(
                org_id=schedule.organization_id,
                kind=kind,
                key=f"{kind.lower()}:{schedule_id}:{target.channel_id or 'default'}:{stamp}",
                transport=target.transport,
                address=target.address,
                due_at=now,
                channel_id=target.channel_id,
                schedule_id=schedule_id,
                data={"schedule": schedule.name, "tiers": items},
            )


shift_service.LISTENERS.append(on_confirmed)
