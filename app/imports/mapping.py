"""A source bundle to the schedules, tiers, layers, on-demand shifts and contacts it becomes.

Each escalation policy becomes a schedule and each of its rules a tier: a rule that notifies
one source schedule gets that schedule's rotations and overrides; a rule that notifies people
(or a team) directly gets one layer with all of them on call; anything else is a note. A
source schedule used by no rule (or only by rules that cannot be expressed) becomes a
one-tier schedule of its own. Pure: no I/O.
"""

from __future__ import annotations

from datetime import datetime

from app.imports import desired
from app.imports import source as src
from app.imports.rotations import People, map_layer, map_overrides
from app.imports.zones import zone_name
from app.layers.service import MAX_LAYERS_PER_TIER as MAX_LAYERS

ALWAYS_START = datetime(2000, 1, 3)  # a Monday: the start of "always on call" layers


def _tier(
    schedule: src.Schedule,
    *,
    source_id: str,
    number: int,
    people: People,
    since: datetime,
) -> tuple[desired.Tier, list[desired.Note]]:
    notes = [desired.Note("schedule", schedule.id, schedule.name, n) for n in schedule.notes]
    if schedule.cumulative and len(schedule.layers) > 1:
        notes.append(
            desired.Note(
                "schedule",
                schedule.id,
                schedule.name,
                "the source notifies every rotation's people at once; where rotations overlap, "
                "the first rotation wins here (the equivalence report lists the overlaps)",
            )
        )
    ranked = sorted(enumerate(schedule.layers), key=lambda p: (p[1].priority, -p[0]))
    if len(ranked) > MAX_LAYERS:
        notes.append(
            desired.Note(
                "schedule",
                schedule.id,
                schedule.name,
                f"{len(ranked)} layers: a tier keeps the {MAX_LAYERS} highest",
            )
        )
        ranked = ranked[-MAX_LAYERS:]
    layers: list[desired.Layer] = []
    for index, (_, layer) in enumerate(ranked, start=1):
        mapped, layer_notes = map_layer(
            layer,
            index=index,
            people=people,
            since=since,
            source_id=f"{source_id}/layer:{layer.id}",
        )
        notes.extend(layer_notes)
        if mapped is not None:
            layers.append(mapped)
    shifts, override_notes = map_overrides(
        schedule.overrides,
        tier_source=source_id,
        people=people,
        since=since,
        layers={layer.source_id: layer for layer in layers},
    )
    notes.extend(override_notes)
    return desired.Tier(
        source_id, number, schedule.name[:200], tuple(layers), tuple(shifts), schedule.id
    ), notes


def _people_tier(
    targets: tuple[src.Target, ...], *, source_id: str, number: int, zone: str, people: People
) -> desired.Tier | None:
    users: list[str] = []
    for t in targets:
        if t.kind == "user" and people.usable(t.id):
            users.append(t.id)
        elif t.kind == "team" and t.id in people.teams:
            users.extend(u for u in people.teams[t.id].member_ids if people.usable(u))
    users = list(dict.fromkeys(users))
    if not users:
        return None
    layer = desired.Layer(
        source_id=f"{source_id}/layer:always",
        name="Always on call",
        index=1,
        start=ALWAYS_START,
        zone=zone,
        unit="WEEK",
        length=1,
        users=tuple(users),
        on_call=len(users),
    )
    return desired.Tier(
        source_id, number, ", ".join(people.users[u].name for u in users)[:200], (layer,)
    )


def _policy(
    policy: src.Policy,
    schedules: dict[str, src.Schedule],
    people: People,
    since: datetime,
    used: set[str],
) -> tuple[desired.Schedule | None, list[desired.Note]]:
    source_id = f"policy:{policy.id}"
    notes = [desired.Note("policy", policy.id, policy.name, n) for n in policy.notes]
    delays = [r.delay_minutes for r in policy.rules if r.delay_minutes]
    if delays:
        notes.append(
            desired.Note(
                "policy",
                policy.id,
                policy.name,
                f"escalation delays ({', '.join(map(str, delays))} min) are "
                "not expressed: tiers carry no delay",
            )
        )
    first = next(
        (
            schedules[t.id]
            for r in policy.rules
            for t in r.targets
            if t.kind == "schedule" and t.id in schedules
        ),
        None,
    )
    zone = first.zone if first is not None else "UTC"
    tiers: list[desired.Tier] = []
    for i, rule in enumerate(policy.rules, start=1):
        kinds = {t.kind for t in rule.targets}
        tier_source = f"{source_id}/rule:{rule.id}"
        number = len(tiers) + 1
        if kinds == {"schedule"} and len(rule.targets) == 1:
            target = schedules.get(rule.targets[0].id)
            if target is not None and target.importable:
                tier, tier_notes = _tier(
                    target, source_id=tier_source, number=number, people=people, since=since
                )
                tiers.append(tier)
                notes.extend(tier_notes)
                used.add(target.id)
                continue
            reason = "notifies a schedule that cannot be imported"
        elif kinds and kinds <= {"user", "team"}:
            direct = _people_tier(
                rule.targets, source_id=tier_source, number=number, zone=zone, people=people
            )
            if direct is not None:
                tiers.append(direct)
                continue
            reason = "notifies nobody who can be imported"
        elif len(rule.targets) > 1:
            reason = (
                "targets several schedules or schedules and people at once: a tier holds "
                "one rotation stack"
            )
        else:
            reason = (
                "notifies something that has no counterpart ("
                + ", ".join(t.label or t.kind for t in rule.targets)
                + ")"
            )
        notes.append(
            desired.Note(
                "rule",
                rule.id,
                f"{policy.name} rule {i}",
                f"cannot be expressed: {reason}; no tier made for it",
            )
        )
    if not tiers:
        notes.append(
            desired.Note(
                "policy",
                policy.id,
                policy.name,
                "no rule can be expressed: no schedule made for it",
            )
        )
        return None, notes
    return desired.Schedule(source_id, policy.name[:200], zone, "", tuple(tiers)), notes


def map_bundle(bundle: src.Bundle, *, since: datetime) -> desired.Mapped:
    """Everything the bundle becomes, and the notes on what does not fit."""
    people = People(bundle.users, bundle.teams)
    by_id = {s.id: s for s in bundle.schedules}
    notes: list[desired.Note] = []
    schedules: list[desired.Schedule] = []
    used: set[str] = set()
    for policy in bundle.policies:
        mapped, policy_notes = _policy(policy, by_id, people, since, used)
        notes.extend(policy_notes)
        if mapped is not None:
            schedules.append(mapped)
    for schedule in bundle.schedules:
        if schedule.id in used:
            continue
        if not schedule.importable:
            notes.extend(
                desired.Note("schedule", schedule.id, schedule.name, n) for n in schedule.notes
            )
            continue
        source_id = f"schedule:{schedule.id}"
        tier, tier_notes = _tier(
            schedule, source_id=f"{source_id}/tier:1", number=1, people=people, since=since
        )
        notes.extend(tier_notes)
        schedules.append(
            desired.Schedule(
                source_id,
                schedule.name[:200],
                schedule.zone,
                ", ".join(schedule.teams)[:200],
                (tier,),
            )
        )
    referenced = {
        u for s in schedules for t in s.tiers for layer in t.layers for u in layer.users
    } | {u for s in schedules for t in s.tiers for shift in t.shifts for u in shift.users}
    contacts = tuple(
        desired.Contact(
            u,
            bundle.users[u].name[:200] or str(bundle.users[u].email),
            str(bundle.users[u].email),
            _zone(bundle.users[u].timezone),
        )
        for u in sorted(referenced)
    )
    return desired.Mapped(contacts, tuple(schedules), tuple(_unique(notes)))


def _zone(raw: str | None) -> str:
    return zone_name(raw)[0] if raw else "UTC"


def _unique(notes: list[desired.Note]) -> list[desired.Note]:
    return list(dict.fromkeys(notes))
