"""Availability: unavailability, replacements, weekday entries, and filling positions.

A contact is unavailable during its unavailability substitutions, its busy blocks and, within
one layer, when ``app.engine.exclusions`` says so (weekdays, working hours, own holidays). A
replacement substitution hands the contact's positions to the replacement.

A layer's covered time is cut into turns, and each turn into pieces over which every relevant
contact's state is constant. In each piece positions 1..k are filled in order; for the rotation
contact C of a position:
1. if C has active replacements, only the newest (highest substitution id) R is tried: when R
   is available and not already placed in this piece, R takes the position (one hop: R's own
   replacements are not followed);
2. otherwise, if C is available and not already placed, C keeps it (so when the replacement
   cannot serve, C stays on call);
3. otherwise, when the layer skips unavailable contacts, the next participant in rotation order
   (index +1 for FORWARD, -1 for BACKWARD, wrapping) who is available, not already placed and
   not handed over to a replacement takes it;
4. otherwise the position stays empty.

Who the rotation puts in each position comes from ``app.engine.roster`` (segments, advance);
the skip order follows the list of the segment in force.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from app.engine.exclusions import layer_exclusions
from app.engine.intervals import Span, clip, union
from app.engine.model import (
    BusyBlock,
    Interval,
    LayerInput,
    Origin,
    SubstitutionInput,
)
from app.engine.recurrence import active_runs
from app.engine.roster import Roster
from app.engine.turns import Rotation
from app.engine.wallclock import as_utc, local_date, resolve_wall, wall, zone_info

__all__ = [
    "Availability",
    "Piece",
    "contact_unavailability",
    "layer_pieces",
    "substitution_occurrences",
    "substitution_spans",
]

Positions = tuple[int | None, ...]
# A layer piece: start, end, positions 1..k, filled contacts in order, origin.
Piece = tuple[datetime, datetime, Positions, tuple[int, ...], Origin]

_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0, 0)
_ZERO = timedelta(0)


def substitution_spans(sub: SubstitutionInput, lo: datetime, hi: datetime) -> list[Span]:
    """Sorted, disjoint spans within [lo, hi) during which ``sub`` applies."""
    if lo >= hi:
        return []
    if sub.between is not None:
        return clip([(as_utc(sub.between[0]), as_utc(sub.between[1]))], lo, hi)
    tz = zone_info(sub.zone)
    opens = sub.window_start or _MIDNIGHT
    closes = sub.window_end or _MIDNIGHT
    first = local_date(lo, tz) - _ONE_DAY
    last = local_date(hi, tz)
    runs = active_runs(sub.recurrence, first, last)
    spans: list[Span]
    if opens == closes:
        # 24-hour windows tile consecutive dates: one span per run of dates.
        spans = [
            (resolve_wall(wall(a, opens), tz), resolve_wall(wall(b + _ONE_DAY, opens), tz))
            for a, b in runs
        ]
    else:
        close_offset = _ONE_DAY if closes < opens else _ZERO
        spans = []
        for a, b in runs:
            day: date = a
            while day <= b:
                spans.append(
                    (
                        resolve_wall(wall(day, opens), tz),
                        resolve_wall(wall(day + close_offset, closes), tz),
                    )
                )
                day += _ONE_DAY
    # Windows are shorter than a day, so the spans are already sorted and disjoint.
    return clip(spans, lo, hi)


class Availability:
    """Tier-wide unavailability and replacements of every contact, within one window."""

    __slots__ = ("replacements", "unavailable")

    def __init__(
        self,
        substitutions: tuple[SubstitutionInput, ...],
        busy_blocks: tuple[BusyBlock, ...],
        lo: datetime,
        hi: datetime,
    ) -> None:
        unavailable: defaultdict[int, list[Span]] = defaultdict(list)
        # contact -> (start, end, substitution id, replacement id)
        replacements: defaultdict[int, list[tuple[datetime, datetime, int, int]]] = defaultdict(
            list
        )
        for sub in substitutions:
            spans = substitution_spans(sub, lo, hi)
            if not spans:
                continue
            if sub.replacement_id is None:
                unavailable[sub.contact_id].extend(spans)
            else:
                replacements[sub.contact_id].extend(
                    (start, end, sub.id, sub.replacement_id) for start, end in spans
                )
        for block in busy_blocks:
            start = max(as_utc(block.start), lo)
            end = min(as_utc(block.end), hi)
            if start < end:
                unavailable[block.contact_id].append((start, end))
        self.unavailable: dict[int, list[Span]] = {
            contact: union(spans) for contact, spans in unavailable.items()
        }
        self.replacements: dict[int, list[tuple[datetime, datetime, int, int]]] = dict(replacements)


def substitution_occurrences(
    sub: SubstitutionInput, start: datetime, end: datetime
) -> tuple[Interval, ...]:
    """When ``sub`` applies within [start, end) (aware instants), touching days joined."""
    return tuple(Interval(a, b) for a, b in substitution_spans(sub, as_utc(start), as_utc(end)))


def contact_unavailability(
    contact_id: int,
    substitutions: tuple[SubstitutionInput, ...],
    busy_blocks: tuple[BusyBlock, ...],
    start: datetime,
    end: datetime,
) -> tuple[Interval, ...]:
    """When ``contact_id`` is unavailable within [start, end) through its unavailability
    substitutions or busy blocks (weekday entries belong to layers, so they are not here)."""
    mine = tuple(s for s in substitutions if s.contact_id == contact_id)
    blocks = tuple(b for b in busy_blocks if b.contact_id == contact_id)
    spans = Availability(mine, blocks, as_utc(start), as_utc(end)).unavailable.get(contact_id, [])
    return tuple(Interval(a, b) for a, b in spans)


# Sweep events: (instant, kind, contact, substitution id, replacement); kinds below.
# Ends sort before starts at the same instant, so touching spans hand over cleanly.
_UP, _BACK, _DOWN, _HANDED = 0, 1, 2, 3
_Event = tuple[datetime, int, int, int, int]


def _event_order(event: _Event) -> tuple[datetime, int]:
    return event[0], event[1]


def _events(
    layer: LayerInput,
    rot: Rotation,
    roster: Roster,
    avail: Availability,
    lo: datetime,
    hi: datetime,
) -> list[_Event]:
    contacts = {c for segment in roster.segments for c in segment.contacts}
    relevant = set(contacts)
    events: list[_Event] = []
    for contact in contacts:
        for start, end, order, replacement in avail.replacements.get(contact, ()):
            relevant.add(replacement)
            events.append((start, _HANDED, contact, order, replacement))
            events.append((end, _BACK, contact, order, replacement))
    weekday = layer_exclusions(layer, rot, lo, hi)
    for contact in relevant:
        spans = avail.unavailable.get(contact)
        extra = weekday.get(contact)
        if extra:
            spans = union([*(spans or ()), *extra])
        for start, end in spans or ():
            events.append((start, _DOWN, contact, 0, 0))
            events.append((end, _UP, contact, 0, 0))
    events.sort(key=_event_order)
    return events


def _fill(
    contacts: tuple[int, ...],
    step: int,
    indices: tuple[int, ...],
    down: dict[int, int],
    handed: dict[int, list[tuple[int, int]]],
    skip: bool,
) -> Positions:
    n = len(contacts)
    placed: list[int] = []
    positions: list[int | None] = []
    for index in indices:
        contact = contacts[index]
        active = handed.get(contact)
        if active:
            replacement = max(active)[1]  # the newest substitution is the only one tried
            if replacement not in down and replacement not in placed:
                placed.append(replacement)
                positions.append(replacement)
                continue
        if contact not in down and contact not in placed:
            placed.append(contact)
            positions.append(contact)
            continue
        chosen: int | None = None
        if skip:
            candidate_index = index
            for _ in range(n - 1):
                candidate_index = (candidate_index + step) % n
                candidate = contacts[candidate_index]
                if candidate not in down and candidate not in placed and not handed.get(candidate):
                    chosen = candidate
                    break
        if chosen is not None:
            placed.append(chosen)
        positions.append(chosen)
    return tuple(positions)


class _Sweep:
    """The availability state of the relevant contacts, advanced through sorted events."""

    __slots__ = ("count", "cursor", "down", "events", "handed")

    def __init__(self, events: list[_Event]) -> None:
        self.events = events
        self.count = len(events)
        self.cursor = 0
        self.down: dict[int, int] = {}
        self.handed: dict[int, list[tuple[int, int]]] = {}

    def advance(self, at: datetime, stop: datetime) -> datetime:
        """Apply the events at or before ``at``; return where the state next changes (or
        ``stop``)."""
        events = self.events
        count = self.count
        cursor = self.cursor
        down = self.down
        handed = self.handed
        while cursor < count and events[cursor][0] <= at:
            _, kind, contact, sub_id, replacement = events[cursor]
            cursor += 1
            if kind == _DOWN:
                down[contact] = down.get(contact, 0) + 1
            elif kind == _UP:
                if down[contact] == 1:
                    del down[contact]
                else:
                    down[contact] -= 1
            elif kind == _HANDED:
                handed.setdefault(contact, []).append((sub_id, replacement))
            else:
                active = handed[contact]
                active.remove((sub_id, replacement))
                if not active:
                    del handed[contact]
        self.cursor = cursor
        if cursor < count and events[cursor][0] < stop:
            return events[cursor][0]
        return stop


def layer_pieces(
    layer: LayerInput,
    rot: Rotation,
    covered: list[Span],
    avail: Availability,
    lo: datetime,
    hi: datetime,
) -> list[Piece]:
    """The layer's pieces within its ``covered`` spans (inside [lo, hi)), in order, touching
    pieces with equal positions and origin joined."""
    if not covered:
        return []
    roster = Roster(layer, rot)
    if not any(segment.contacts for segment in roster.segments):
        return []
    sweep = _Sweep(_events(layer, rot, roster, avail, lo, hi))
    skip = layer.skip_unavailable
    step = rot.step
    pieces: list[Piece] = []
    append = pieces.append
    layer_origin = Origin.LAYER
    substituted = Origin.SUBSTITUTION
    every_turn = roster.active_turns is None
    counted_turn: int | None = None  # the last turn with coverage, and its rotation index
    a_t = 0

    turns = rot.turns_from(rot.turn_index(covered[0][0]))
    t, _, turn_end = next(turns)
    for span_start, span_end in covered:
        if span_start >= turn_end:
            t, _, turn_end = next(turns)
            if span_start >= turn_end:  # a long uncovered stretch: jump, do not walk
                turns = rot.turns_from(rot.turn_index(span_start))
                t, _, turn_end = next(turns)
        at = span_start
        while True:
            stop = turn_end if turn_end < span_end else span_end
            if every_turn:
                a_t = t
            elif at < stop:
                # Turns between two turns with coverage have none: each adds one to a(t).
                if counted_turn is None:
                    a_t = roster.a(t)
                elif t != counted_turn:
                    a_t += 1
                counted_turn = t
            while at < stop:
                v = roster.segment_at(at)
                segment_stop = roster.next_start(v)
                part_stop = stop if segment_stop is None or segment_stop >= stop else segment_stop
                indices, plain = roster.turn(v, a_t)
                contacts = roster.segments[v].contacts
                while at < part_stop:
                    piece_end = sweep.advance(at, part_stop)
                    positions: Positions = plain
                    origin = layer_origin
                    if sweep.down or sweep.handed:
                        positions = _fill(contacts, step, indices, sweep.down, sweep.handed, skip)
                        if positions != plain:
                            origin = substituted
                    if pieces:
                        last = pieces[-1]
                        if last[1] == at and last[2] == positions and last[4] is origin:
                            pieces[-1] = (last[0], piece_end, positions, last[3], origin)
                            at = piece_end
                            continue
                    if positions is plain:
                        append((at, piece_end, plain, plain, origin))
                    else:
                        assignees = tuple(c for c in positions if c is not None)
                        append((at, piece_end, positions, assignees, origin))
                    at = piece_end
            if stop == span_end:
                if at >= turn_end:
                    t, _, turn_end = next(turns)
                break
            t, _, turn_end = next(turns)
    return pieces
