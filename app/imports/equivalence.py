"""The equivalence report: our final shifts against the source's own rendered final schedule.

For each tier built from a source schedule, over [since, since + days) clipped to what the
source rendered: the share of time on which both name the same set of people (by source user,
so contacts matched by email count as the same person), and every stretch where they differ,
with a reason taken from the notes on what could not be expressed. Pure: no I/O.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from app import engine
from app.imports import desired
from app.imports import source as src
from app.imports.rotations import engine_layer
from app.imports.zones import UNKNOWN as UNKNOWN_ZONE

Piece = tuple[datetime, datetime, frozenset[str]]


@dataclass(frozen=True)
class Disagreement:
    start: datetime
    end: datetime
    source: tuple[str, ...]
    ours: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Equivalence:
    schedule: str
    tier_source_id: str
    tier_number: int
    source_schedule_id: str
    source_schedule_name: str
    start: datetime
    end: datetime
    agreement: float
    disagreements: tuple[Disagreement, ...]


def planned_timeline(
    tier: desired.Tier,
    start: datetime,
    end: datetime,
) -> tuple[engine.Timeline, dict[int, str], dict[int, str]]:
    """Our timeline of a tier that is not written yet: (timeline, people, layers), where
    people maps engine ids to source user ids and layers engine ids to layer source ids."""
    users = sorted(
        {u for layer in tier.layers for u in layer.users}
        | {u for s in tier.shifts for u in s.users}
    )
    ids = {u: n for n, u in enumerate(users, start=1)}
    layers = tuple(engine_layer(layer, n, ids) for n, layer in enumerate(tier.layers, start=1))
    shifts = tuple(
        engine.OnDemandShiftInput(n, s.start, s.end, tuple(ids[u] for u in s.users))
        for n, s in enumerate(tier.shifts, start=1)
    )
    timeline = engine.compute_timeline(engine.TierInput(layers, shifts), start, end)
    return (
        timeline,
        {n: u for u, n in ids.items()},
        {n: layer.source_id for n, layer in enumerate(tier.layers, start=1)},
    )


def _sweep(
    pieces: Iterable[tuple[datetime, datetime, Iterable[str]]], start: datetime, end: datetime
) -> list[Piece]:
    """The union of possibly overlapping pieces as consecutive sets of people."""
    events: list[tuple[datetime, int, str]] = []
    for a, b, people in pieces:
        a, b = max(a, start), min(b, end)
        if a < b:
            for p in people:
                events += [(a, 1, p), (b, -1, p)]
    events.sort(key=lambda e: (e[0], e[1]))
    on: Counter[str] = Counter()
    out: list[Piece] = []
    at = start
    for when, delta, person in events:
        if when > at:
            out.append((at, when, frozenset(p for p, c in on.items() if c > 0)))
            at = when
        on[person] += delta
    if at < end:
        out.append((at, end, frozenset()))
    return out


def _explain(
    a: datetime,
    b: datetime,
    theirs: frozenset[str],
    ours: frozenset[str],
    schedule: src.Schedule,
    layer_notes: Sequence[tuple[list[tuple[datetime, datetime]], str]],
    notes: Sequence[str],
    fallback: str,
) -> str:
    if schedule.cumulative and ours < theirs:
        return (
            "rotations overlap here: the source notifies all of them, a tier shows one "
            "layer at a time"
        )
    for spans, reason in layer_notes:
        if any(x < b and a < y for x, y in spans):
            return reason
    if notes:
        return notes[0]
    return fallback


def compare(
    *,
    schedule: src.Schedule,
    tier: desired.Tier,
    tier_name: str,
    since: datetime,
    until: datetime,
    timeline: engine.Timeline,
    people: dict[int, str],
    layers: dict[int, str],
    notes: Sequence[desired.Note],
    names: dict[str, str],
    fallback: str = "unexplained",
) -> Equivalence | None:
    """The comparison of one tier; None when the source rendered nothing to compare with.
    ``fallback`` explains a difference no note accounts for (e.g. edits kept here)."""
    if schedule.rendered is None or schedule.rendered_range is None:
        return None
    start = max(since, schedule.rendered_range[0])
    end = min(until, schedule.rendered_range[1])
    if end <= start:
        return None
    theirs = _sweep(((e.start, e.end, e.user_ids) for e in schedule.rendered), start, end)
    ours = _sweep(
        (
            (s.start, s.end, [people[c] for c in s.assignees if c in people])
            for s in timeline.shifts
        ),
        start,
        end,
    )
    by_layer: dict[str, list[str]] = {}
    for note in notes:
        by_layer.setdefault(note.source_id, []).append(note.reason)
    layer_notes: list[tuple[list[tuple[datetime, datetime]], str]] = []
    for view in timeline.layers:
        source_layer = layers.get(view.layer_id, "").split("/layer:", 1)[-1]
        if source_layer in by_layer:
            spans = [(s.start, s.end) for s in view.shifts]
            layer_notes.extend((spans, r) for r in by_layer[source_layer])
    for o in schedule.overrides:
        layer_notes.extend(([(o.start, o.end)], r) for r in by_layer.get(o.id, []))
    # notes that explain a difference anywhere: a layer left out, a zone that was guessed
    present = {sid.split("/layer:", 1)[-1] for sid in layers.values()}
    general = [
        n.reason
        for n in notes
        if (n.kind == "layer" and n.source_id not in present)
        or (n.kind == "schedule" and n.reason.startswith(UNKNOWN_ZONE))
    ]
    cuts = sorted({start, end} | {p[0] for p in theirs} | {p[0] for p in ours})
    agreed = 0.0
    found: list[Disagreement] = []
    ti = oi = 0
    for a, b in itertools.pairwise(cuts):
        while theirs[ti][1] <= a:
            ti += 1
        while ours[oi][1] <= a:
            oi += 1
        t_set, o_set = theirs[ti][2], ours[oi][2]
        if t_set == o_set:
            agreed += (b - a).total_seconds()
            continue
        reason = _explain(a, b, t_set, o_set, schedule, layer_notes, general, fallback)
        src_names = tuple(sorted(names.get(u, u) for u in t_set))
        our_names = tuple(sorted(names.get(u, u) for u in o_set))
        last = found[-1] if found else None
        if (
            last
            and last.end == a
            and (last.source, last.ours, last.reason) == (src_names, our_names, reason)
        ):
            found[-1] = Disagreement(last.start, b, src_names, our_names, reason)
        else:
            found.append(Disagreement(a, b, src_names, our_names, reason))
    total = (end - start).total_seconds()
    return Equivalence(
        schedule=tier_name,
        tier_source_id=tier.source_id,
        tier_number=tier.number,
        source_schedule_id=schedule.id,
        source_schedule_name=schedule.name,
        start=start,
        end=end,
        agreement=agreed / total if total else 1.0,
        disagreements=tuple(found),
    )
