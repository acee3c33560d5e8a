"""Who is on call in each turn: roster segments and the rotation index (SPEC §2, §9).

A layer's roster is a list of segments (s_v, t_v, o_v, P_v) (``RosterSegment``); a layer
without stored segments has one, (boundary(0), 0, 0, P). The segment in force at an instant is
the last one with s_v <= instant. In turn t of segment v, with a = a(t) - a(t_v) (a(t) = t for
EVERY_TURN, the count of active turns before t for ACTIVE_TURNS), position j + 1 is
P_v[(o_v + a*r + j) mod n_v] (FORWARD) or P_v[(o_v + j - a*r) mod n_v] (BACKWARD).

Changes (``roster_change``, ``roster_after_edit``) compute o_v once, when they are saved: the
index in P_v of the first person found in P_v among the person at position 1 of turn t_v under
the previous segment and then the following people of the previous list in rotation order,
wrapping once (0 when nobody is). So no turn before the change moves and the rotation goes on
with whoever was next.
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_right
from datetime import datetime

from app.engine.advance import ActiveTurns
from app.engine.model import Advance, Effective, LayerInput, RosterSegment
from app.engine.turns import Rotation, unique_participants
from app.engine.wallclock import as_utc

__all__ = ["Roster", "active_turns", "on_call", "roster_after_edit", "roster_change"]

# Edits after which the layer starts afresh (the segments are discarded).
_STRUCTURE = ("start", "zone", "unit", "length", "on_call", "rotate", "direction")
# Edits that change which turns are active: they pin the running turn (see roster_after_edit).
_ACTIVITY = ("recurrence", "restrictions", "on_holidays", "holidays", "pauses", "advance")


class Roster:
    """The segments of one layer with the arithmetic of who is on (cheap to build)."""

    __slots__ = ("_a_seg", "_cache", "active_turns", "k", "r", "rot", "segments", "starts", "step")

    def __init__(self, layer: LayerInput, rot: Rotation) -> None:
        self.rot = rot
        self.segments = layer.segments or (RosterSegment(rot.origin, 0, 0, rot.contacts),)
        self.starts = [as_utc(s.start) for s in self.segments]
        self.active_turns = (
            ActiveTurns(layer, rot) if layer.advance is Advance.ACTIVE_TURNS else None
        )
        self.k = rot.k
        self.r = rot.r
        self.step = rot.step
        self._a_seg: dict[int, int] = {}
        self._cache: dict[tuple[int, int], tuple[tuple[int, ...], tuple[int, ...]]] = {}

    def a(self, t: int) -> int:
        """The rotation index of turn ``t``."""
        return t if self.active_turns is None else self.active_turns.count(t)

    def segment_at(self, instant: datetime) -> int:
        """The index of the segment in force at ``instant`` (the first one before any)."""
        return max(bisect_right(self.starts, instant) - 1, 0)

    def next_start(self, v: int) -> datetime | None:
        return self.starts[v + 1] if v + 1 < len(self.starts) else None

    def turn(self, v: int, a_t: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(indices into P_v, contact ids) of positions 1..k in a turn of rotation index
        ``a_t`` under segment ``v``."""
        segment = self.segments[v]
        n = len(segment.contacts)
        if n == 0:
            return (), ()
        a_v = self._a_seg.get(v)
        if a_v is None:
            a_v = self._a_seg[v] = self.a(segment.turn)
        moved = ((a_t - a_v) * self.r) % n
        key = (v, moved)
        found = self._cache.get(key)
        if found is None:
            o = segment.offset
            k = min(self.k, n)
            if self.step == 1:
                indices = tuple((o + moved + j) % n for j in range(k))
            else:
                indices = tuple((o + j - moved) % n for j in range(k))
            found = self._cache[key] = (indices, tuple(segment.contacts[i] for i in indices))
        return found

    def first_index(self, v: int, t: int) -> int:
        """The index in P_v of position 1 in turn ``t`` under segment ``v``."""
        indices, _ = self.turn(v, self.a(t))
        return indices[0] if indices else 0


def on_call(layer: LayerInput, t: int) -> tuple[int, ...]:
    """Contact ids of positions 1..k at the start of turn ``t`` (segments and advance applied,
    availability not)."""
    rot = Rotation(layer)
    roster = Roster(layer, rot)
    return roster.turn(roster.segment_at(rot.boundary(t)), roster.a(t))[1]


def active_turns(layer: LayerInput, t: int) -> int:
    """a(t): how many turns t' with 0 <= t' < t meet the layer's coverage (SPEC §9)."""
    rot = Rotation(layer)
    return ActiveTurns(layer, rot).count(t)


def _continuation(roster: Roster, v: int, t: int, contacts: tuple[int, ...]) -> int:
    previous = roster.segments[v].contacts
    if not previous or not contacts:
        return 0
    place = {contact: i for i, contact in enumerate(contacts)}
    i = roster.first_index(v, t)
    n = len(previous)
    for step in range(n):
        found = place.get(previous[(i + step * roster.step) % n])
        if found is not None:
            return found
    return 0


def _change_start(
    rot: Rotation, at: datetime, effective: Effective, when: datetime | None
) -> datetime:
    if effective is Effective.IMMEDIATELY:
        return at
    if effective is Effective.AT:
        if when is None:
            raise ValueError("an AT change needs its instant")
        x = as_utc(when)
        t = rot.turn_index(x)
        return x if rot.boundary(t) == x else rot.boundary(t + 1)
    return rot.boundary(rot.turn_index(at) + 1)


def roster_change(
    layer: LayerInput,
    contacts: tuple[int, ...],
    at: datetime,
    effective: Effective = Effective.NEXT_HANDOFF,
    when: datetime | None = None,
) -> tuple[RosterSegment, ...]:
    """The segments of ``layer`` after its expanded list becomes ``contacts`` (duplicates
    dropped), changed at the aware instant ``at``: NEXT_HANDOFF at the first boundary after
    ``at``; AT ``when`` rounded up to a boundary; IMMEDIATELY at ``at`` itself (splitting the
    running turn). A change starting at or before boundary(0) simply replaces the list (no
    segments). Segments with a later turn, or the same turn and start, are dropped; a change
    to the list already in force adds nothing."""
    rot = Rotation(layer)
    contacts = tuple(dict.fromkeys(contacts))
    start = _change_start(rot, as_utc(at), effective, when)
    if start <= rot.origin:
        return ()
    turn = rot.turn_index(start)
    roster = Roster(layer, rot)
    kept = [
        segment
        for segment, s in zip(roster.segments, roster.starts, strict=True)
        if segment.turn < turn or (segment.turn == turn and s < start)
    ]
    previous = kept[-1]
    if previous.contacts == contacts:
        return tuple(kept) if layer.segments or len(kept) > 1 else ()
    v = len(kept) - 1
    offset = _continuation(roster, v, turn, contacts)
    return (*kept, RosterSegment(start, turn, offset, contacts))


def _pin(layer: LayerInput, at: datetime) -> tuple[RosterSegment, ...]:
    """The segments of ``layer`` with one more starting at the running turn's boundary that
    keeps the people of that turn, so later changes of past activity cannot move them."""
    rot = Rotation(layer)
    if at < rot.origin:
        return layer.segments
    roster = Roster(layer, rot)
    t = rot.turn_index(at)
    v = roster.segment_at(at)
    segment = roster.segments[v]
    if segment.turn == t:
        return layer.segments
    pin = RosterSegment(rot.boundary(t), t, roster.first_index(v, t), segment.contacts)
    segments = list(roster.segments)
    return (*segments[: v + 1], pin, *segments[v + 1 :])


def roster_after_edit(
    old: LayerInput,
    new: LayerInput,
    at: datetime,
    effective: Effective = Effective.NEXT_HANDOFF,
    when: datetime | None = None,
) -> tuple[RosterSegment, ...]:
    """The segments to store for ``new`` (``new.segments`` ignored) after replacing ``old`` at
    the aware instant ``at`` (SPEC §9):
    - an edit of start, zone, rotation unit or length, k, r or direction discards them;
    - an edit of what makes turns active (recurrence, restrictions, holiday rule or dates,
      pauses, advance) on an ACTIVE_TURNS layer (before or after) adds a segment at the
      running turn's boundary with the list unchanged and the people of that turn, so who is
      on call now does not move;
    - a different expanded participant list is a roster change (``roster_change``)."""
    at = as_utc(at)
    if any(getattr(old, name) != getattr(new, name) for name in _STRUCTURE):
        return ()
    segments = old.segments
    if any(getattr(old, name) != getattr(new, name) for name in _ACTIVITY) and (
        Advance.ACTIVE_TURNS in (old.advance, new.advance)
    ):
        segments = _pin(old, at)
    base = dataclasses.replace(new, segments=segments)
    latest = (
        segments[-1].contacts
        if segments
        else tuple(p.contact_id for p in unique_participants(old.participants))
    )
    contacts = tuple(p.contact_id for p in unique_participants(new.participants))
    if contacts == latest:
        return segments
    if not segments:
        base = dataclasses.replace(base, participants=old.participants)
    return roster_change(base, contacts, at, effective, when)
