"""The planning tick: reminders coming due and destination alerts (a periodic job)."""

from __future__ import annotations

from datetime import datetime, timedelta

from app import clock
from app.destinations import models as destination_models
from app.notifications import models, notices
from app.notifications.changes import current_runs
from app.notifications.notices import Recipient
from app.notifications.runs import Run
from app.schedules import models as schedule_models
from app.shifts import models as shift_models
from app.tiers import models as tier_models

LOOKAHEAD = timedelta(minutes=2)
"""Reminders are planned this long before they are due, so the delivery loop (which polls
more often) sends them on time."""


def reminder_key(channel_id: int, tier_id: int, start: datetime) -> str:
    return f"reminder:{channel_id}:{tier_id}:{start.isoformat()}"


async def plan_reminders(*, now: datetime) -> int:
    """Create the reminders that fall due before ``now + LOOKAHEAD``: one per shift and
    active channel, due ``lead`` before the shift (at once when the shift was confirmed
    within its lead), after the contact's quiet hours. Returns how many were created."""
    recipients = await notices.contact_recipients()
    if not recipients:
        return 0
    longest = max(r.lead_minutes for rs in recipients.values() for r in rs)
    window_end = now + timedelta(minutes=longest) + LOOKAHEAD
    tier_ids = list(
        await shift_models.Shift.filter(end__gte=now, start__lte=window_end)
        .distinct()
        .values_list("tier_id", flat=True)
    )
    if not tier_ids:
        return 0
    runs = await current_runs([int(str(t)) for t in tier_ids], now=now)
    wanted: list[tuple[Recipient, int, Run]] = []
    for tier_id, people in runs.items():
        for contact, person in people.items():
            for recipient in recipients.get(contact, []):
                if not recipient.wants("REMINDER"):
                    continue
                lead = timedelta(minutes=recipient.lead_minutes)
                wanted += [
                    (recipient, tier_id, run)
                    for run in person
                    if now < run.start and run.start - lead <= now + LOOKAHEAD
                ]
    keys = [reminder_key(r.channel.id, t, run.start) for r, t, run in wanted]
    have = await notices.existing_keys(keys)
    todo = [(w, k) for w, k in zip(wanted, keys, strict=True) if k not in have]
    if not todo:
        return 0
    tiers = {t.id: t for t in await tier_models.Tier.filter(id__in={w[1] for w, _ in todo})}
    names = dict(
        await schedule_models.Schedule.filter(
            id__in={t.schedule_id for t in tiers.values()}
        ).values_list("id", "name")
    )
    rows = []
    for (recipient, tier_id, run), key in todo:
        tier = tiers[tier_id]
        due = max(run.start - timedelta(minutes=recipient.lead_minutes), now)
        rows.append(
            models.Notice(
                organization_id=recipient.channel.organization_id,
                kind="REMINDER",
                key=key,
                uid=notices.uid_of(key),
                transport=recipient.channel.kind,
                address=recipient.channel.address,
                due_at=recipient.due("REMINDER", due),
                channel_id=recipient.channel.id,
                contact_id=recipient.channel.contact_id,
                schedule_id=tier.schedule_id,
                data={
                    "schedule": names.get(tier.schedule_id, "?"),
                    "tier": tier.number,
                    "tierId": tier.id,
                    "start": run.start.isoformat(),
                    "end": run.end.isoformat(),
                },
            )
        )
    await models.Notice.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    return len(rows)


async def reminder_still_valid(
    notice: models.Notice, *, now: datetime, runs: dict[int, dict[int, list[Run]]] | None = None
) -> str | None:
    """Why a due reminder must not go out (its shift started, or changed), or None.
    ``runs``: the current shifts of its tier, when the caller read them for a batch."""
    start = datetime.fromisoformat(notice.data["start"])
    if start <= now:
        return "the shift has already started"
    tier_id = int(notice.data["tierId"])
    if runs is None or tier_id not in runs:
        runs = await current_runs([tier_id], now=now)
    person = runs[tier_id].get(notice.contact_id or 0, [])
    if not any(r.start == start for r in person):
        return "the shift no longer starts then"
    return None


async def plan_destination_alerts(*, now: datetime) -> int:
    """An alert to the schedule's targets each time a destination's status becomes ERROR."""
    errors = await destination_models.Destination.filter(status="ERROR")
    seen = {
        s.key for s in await models.AlertState.filter(key__startswith="destination:").only("key")
    }
    current = {f"destination:{d.id}" for d in errors}
    left = seen - current
    if left:
        await models.AlertState.filter(key__in=list(left)).delete()
    fresh = [d for d in errors if f"destination:{d.id}" not in seen]
    if not fresh:
        return 0
    targets = await notices.schedule_targets({d.schedule_id for d in fresh})
    schedules = {
        s.id: s
        for s in await schedule_models.Schedule.filter(id__in={d.schedule_id for d in fresh})
    }
    created = 0
    for d in fresh:
        await models.AlertState.create(key=f"destination:{d.id}", state={"since": now.isoformat()})
        for target in targets.get(d.schedule_id, []):
            made = await notices.create(
                org_id=d.organization_id,
                kind="DESTINATION",
                key=f"destination:{d.id}:{target.channel_id or 'default'}:{now.isoformat()}",
                transport=target.transport,
                address=target.address,
                due_at=now,
                channel_id=target.channel_id,
                schedule_id=d.schedule_id,
                data={
                    "schedule": schedules[d.schedule_id].name,
                    "destination": f"{d.name or d.kind} ({d.kind})",
                    "reason": d.status_reason,
                },
            )
            created += made is not None
    return created


async def tick() -> None:
    now = clock.now()
    await plan_reminders(now=now)
    await plan_destination_alerts(now=now)
