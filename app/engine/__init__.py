"""Rotagraph's timeline engine: pure code that turns one tier's inputs into its timeline.

It uses the standard library (zoneinfo) and python-dateutil only: it never awaits, never reads
the clock, never touches storage. Inputs and outputs are the frozen dataclasses below.

Public API
----------
``compute_timeline(tier: TierInput, start: datetime, end: datetime) -> Timeline``
    The final shifts, each layer's own shifts and the gaps of the window [start, end).
``resolve(local, zone) -> datetime``
    The earliest UTC instant whose wall time in ``zone`` is at or after the naive ``local``.
``boundary(layer, t)``, ``turn_index(layer, instant)``, ``on_call(layer, t)``,
``next_handoffs(layer, after, count)``, ``active_turns(layer, t)``
    Turn arithmetic of one layer (turn t is [boundary(t), boundary(t + 1))); ``active_turns``
    is a(t) of SPEC §9; ``on_call`` applies segments and advance, not availability.
``roster_change(layer, contacts, at, effective, when)``, ``roster_after_edit(old, new, at,
effective, when)``
    The roster segments to store after a change of the participant list (or of a layer);
    o_v is computed here, once, when the change is saved (SPEC §9).
``substitution_occurrences(sub, start, end)``, ``contact_unavailability(contact_id, subs,
busy, start, end)``
    When a substitution applies / when a contact is unavailable, as sorted ``Interval``s.
``validate_layer(layer) -> list[(field, message)]``, ``validate_substitution(sub)``,
``validate_recurrence(recurrence)``, ``validate_rule(rule)`` (raises ValueError),
``validate_tier(tier)`` (raises ValueError)
    Checks for the API layer; field names are LayerInput's attribute names.

Inputs: ``TierInput(layers, on_demand_shifts, substitutions, busy_blocks)`` of ``LayerInput``
(participants, restrictions, recurrence, holiday rule and dates, pauses, advance, roster
segments), ``OnDemandShiftInput``, ``SubstitutionInput`` (ACTIVE ones only, already filtered to
the schedule) and ``BusyBlock``. A ``Participant`` carries weekdays, working hours, the
contact's zone and the contact's own holiday dates. Holiday calendars are expanded into dates
by the caller: the engine knows dates, not regions. Weekdays are 0 = Monday … 6 = Sunday. A
layer's ``start`` / ``end`` are naive wall times in its ``zone``; every other instant is aware.
Outputs: ``Timeline(start, end, shifts, layers, gaps, understaffed)`` of ``Shift``,
``LayerTimeline`` / ``LayerShift``, ``Interval`` and ``Understaffed``.

Rules (SPEC §2, §9)
-------------------
- Wall clock: every local time goes through ``resolve``. DST gap: a time inside a
  spring-forward gap becomes the transition instant (02:30 on a 02:00 -> 03:00 night is the
  instant clocks show 03:00). DST fold: an ambiguous time takes its first occurrence.
- Turns: HOUR turns are elapsed time from resolve(start); DAY / WEEK turns keep the local
  handoff (a turn across a transition lasts 23 h or 25 h, or 23.5 h / 24.5 h on Lord Howe);
  MONTH turns count months from the original start with the day clamped (Jan 31 -> Feb 28 ->
  Mar 31). The turn of an instant is computed, never iterated: cost does not grow with a
  layer's age. Nothing is on call before boundary(0) nor at or after ``end``.
- Who (``app.engine.roster``): in turn t of roster segment v (s_v, t_v, o_v, P_v), with
  a = a(t) - a(t_v), FORWARD position j+1 is P_v[(o_v + a*r + j) mod n_v], BACKWARD
  P_v[(o_v + j - a*r) mod n_v]. a(t) = t for EVERY_TURN; for ACTIVE_TURNS the number of turns
  before t that meet the layer's coverage, whoever is available (``app.engine.advance``,
  counted without walking every turn). No segments = one segment (boundary(0), 0, 0, P), which
  is §2's formula. Duplicate contacts in P are dropped (first kept). The segment in force at an
  instant is the last with s_v <= instant (an IMMEDIATELY change splits the running turn).
- When: a layer day D is [resolve(D + handoff), resolve(D + 1 + handoff)). A date is active
  when the recurrence selects it (``app.engine.recurrence``), no pause contains it and the
  holiday rule allows it (RUN: always; SKIP: not on holiday dates; ONLY: only on them;
  ``app.engine.activity``). Without restrictions the layer covers its active layer days. With
  restrictions the windows of the dates the recurrence selects are the layer's windows (a
  window belongs to the date it starts on, even when its hours fall before that date's
  handoff); each instant is judged by the earliest-starting window covering it, and the layer
  covers the pieces whose judging date is active. A window runs resolve(date + start) ->
  resolve(date + start + duration), so a 24-hour window tiles days across DST. Turns keep
  advancing outside covered time (EVERY_TURN), or only through covered turns (ACTIVE_TURNS).
- Availability (see ``app.engine.availability``): pieces where every relevant contact's state is
  constant; positions filled 1..k in order: a usable replacement first (one hop), else the
  rotation's contact if available and not yet placed, else (skip_unavailable) the next
  available participant in rotation order following the direction, else empty. A contact with
  an active replacement is not picked by skipping. When a replacement is unavailable the
  rotation's own contact stays on if available; of several replacements of one contact at
  once only the newest (highest id) is tried (SPEC §2, changed: it was the first in input
  order). Layer-specific unavailability (``app.engine.exclusions``): weekday entries on layer
  days whose weekday is outside the set (a Mon-Fri member keeps the whole Friday turn of a
  daily 09:00 rotation) — on restricted layers on the window pieces judged by such a date
  (SPEC §2, changed: it was the layer day); working hours in the contact's zone, their weekdays
  judged by the contact-local date each working window starts on (00:00-00:00 = none); the
  contact's own holidays (whole contact-local dates) on layers with ``participant_holidays``.
  They bind participants, not replacements. On-demand shifts are never altered by
  availability.
- Merging: on-demand shifts win everywhere (overlapping on-demand shifts: highest id wins);
  then the highest-index layer with at least one filled position; an all-empty piece lets lower
  layers show through. Origin is ON_DEMAND, SUBSTITUTION (some position differs from the plain
  rotation, an emptied position included) or LAYER. Touching pieces merge when assignees,
  origin, source (layer id / on-demand id) and positions are all equal (positions are the
  assignees with their empty slots, so they only keep apart pieces whose empty slots moved).

Edge cases
----------
- Empty window (end <= start): a Timeline with no shifts, no gaps, an empty view per layer.
- Naive window instants or naive on-demand / busy instants: ValueError.
- No layers, or nobody anywhere: the whole window is one gap.
- A layer with no participants is valid and puts nobody on call (no pieces, not understaffed).
- Invalid layers (k > n, k < 1, r < 1, length < 1, min_staff outside 0..k, a non-positive or
  longer than 7-day restriction, a weekly restriction without weekday, end <= start, an unknown
  zone, repeated layer indices): ValueError listing every problem. Invalid ICAL rules raise
  ValueError when they are expanded.
- On-demand shifts with no contacts are ignored (the API refuses them); repeated contacts in one
  are dropped (first kept).
- Substitution windows: none = the whole local day; an end at or before the start ends on the
  next day; only a start = until the next midnight; only an end = from midnight.
- Several replacements of one contact at once: the newest (highest id) is the only one tried.
- Pauses: inclusive date ranges; overlapping pauses or an end before the start are invalid.
- Roster segments must start in increasing order, each naming at least k distinct contacts
  (or none) with an offset inside its list; contacts named only by earlier segments have no
  weekdays, working hours or own holidays.
- roster_change at or before boundary(0) returns no segments (the new list replaces P);
  roster_after_edit discards the segments when start, zone, unit, length, k, r or direction
  change, and on ACTIVE_TURNS layers pins the running turn (a segment at its boundary with the
  same list) when what makes turns active changes, so who is on call now never moves.

Guarantees
----------
All instants are aware UTC. ``shifts`` are sorted, non-overlapping and inside the window;
``shifts`` and ``gaps`` together cover the window exactly; every instant of an on-demand shift
shows exactly its contacts; computing [a, m) and [m, b) and merging touching equal shifts gives
the shifts of [a, b). ``layers`` has one ``LayerTimeline`` per input layer, in input order; each
piece is either shown in the final timeline, ``overridden`` (with the overriding layer or
on-demand id), or empty (lower layers show through). ``understaffed`` lists, by start, the
not-overridden layer pieces with fewer filled positions than ``min_staff`` (default k).

The engine caches only ICAL rule expansions (bounded LRU per rule and start date).
"""

from app.engine.availability import contact_unavailability, substitution_occurrences
from app.engine.model import (
    Advance,
    BusyBlock,
    Direction,
    Effective,
    HolidayRule,
    Interval,
    LayerInput,
    LayerShift,
    LayerTimeline,
    OnDemandShiftInput,
    Origin,
    Participant,
    Pause,
    Recurrence,
    RecurrenceType,
    Restriction,
    RestrictionKind,
    RosterSegment,
    RotationUnit,
    Shift,
    SubstitutionInput,
    TierInput,
    Timeline,
    Understaffed,
    WorkingHours,
)
from app.engine.recurrence import validate_recurrence, validate_rule
from app.engine.roster import active_turns, on_call, roster_after_edit, roster_change
from app.engine.timeline import compute_timeline
from app.engine.turns import boundary, next_handoffs, turn_index
from app.engine.validation import validate_layer, validate_substitution, validate_tier
from app.engine.wallclock import resolve

__all__ = [
    "Advance",
    "BusyBlock",
    "Direction",
    "Effective",
    "HolidayRule",
    "Interval",
    "LayerInput",
    "LayerShift",
    "LayerTimeline",
    "OnDemandShiftInput",
    "Origin",
    "Participant",
    "Pause",
    "Recurrence",
    "RecurrenceType",
    "Restriction",
    "RestrictionKind",
    "RosterSegment",
    "RotationUnit",
    "Shift",
    "SubstitutionInput",
    "TierInput",
    "Timeline",
    "Understaffed",
    "WorkingHours",
    "active_turns",
    "boundary",
    "compute_timeline",
    "contact_unavailability",
    "next_handoffs",
    "on_call",
    "resolve",
    "roster_after_edit",
    "roster_change",
    "substitution_occurrences",
    "turn_index",
    "validate_layer",
    "validate_recurrence",
    "validate_rule",
    "validate_substitution",
    "validate_tier",
]
