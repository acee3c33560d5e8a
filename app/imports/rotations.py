"""One source rotation to one Rotagraph layer; source overrides to on-demand shifts.

Pure: no I/O. Everything that does not fit is returned as a ``Note`` next to the closest
layer that does, never dropped in silence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from app import engine, validation
from app.errors import Collector
from app.imports import desired
from app.imports import source as src
from app.layers.service import MAX_RESTRICTIONS as MAX_WINDOWS

MAX_DAILY = 24 * 60
MAX_WEEKLY = 7 * 24 * 60


@dataclass(frozen=True)
class People:
    """Source users and teams, and which users can become contacts (a valid email)."""

    users: dict[str, src.User]
    teams: dict[str, src.Team]

    def usable(self, user_id: str) -> bool:
        user = self.users.get(user_id)
        if user is None or not user.email:
            return False
        errors = Collector()
        validation.email(errors, "email", user.email)
        return not errors.errors


def _note(layer: src.Layer, reason: str) -> desired.Note:
    return desired.Note("layer", layer.id, layer.name, reason)


def _turns(layer: src.Layer, people: People) -> tuple[list[list[str]], list[desired.Note]]:
    """Each turn's source user ids, teams expanded, unusable members left out (noted)."""
    notes: list[desired.Note] = []
    turns: list[list[str]] = []
    for turn in layer.turns:
        ids: list[str] = []
        for member in turn:
            if member.kind == "user":
                if people.usable(member.id):
                    ids.append(member.id)
                elif member.id in people.users:
                    notes.append(_note(layer, f"user {member.id} has no valid email: left out"))
                else:
                    notes.append(
                        _note(layer, f"user {member.id} is unknown (deactivated?): left out")
                    )
            elif member.kind == "team" and member.id in people.teams:
                team = people.teams[member.id]
                ids.extend(u for u in team.member_ids if people.usable(u))
                if len(layer.turns) > 1:
                    notes.append(
                        _note(
                            layer,
                            f"team {team.name!r} takes one turn at the source; "
                            "here its members rotate like the others",
                        )
                    )
            elif member.kind == "none":
                notes.append(
                    _note(
                        layer,
                        "a 'nobody' turn cannot be expressed: left out, so "
                        "later turns move one place",
                    )
                )
            else:
                notes.append(
                    _note(
                        layer,
                        f"participant {member.label or member.id} "
                        f"({member.kind}) cannot be expressed: left out",
                    )
                )
        if ids:
            turns.append(ids)
    return turns, notes


def _rotated(turns: list[list[str]], by: int) -> list[list[str]]:
    if not turns:
        return turns
    by %= len(turns)
    return turns[by:] + turns[:by]


def _local(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def _start(layer: src.Layer, since: datetime) -> tuple[datetime, int, list[desired.Note]]:
    """(our naive start, how many turns that is after ``rotation_start``, notes).

    Rotagraph has nothing on call before a layer's first turn, so the first turn is the one
    containing the source's coverage start (turns before it shift the rotation order)."""
    origin = _local(layer.rotation_start, layer.zone)
    if layer.start is None:
        return origin, 0, []
    probe = engine.LayerInput(
        id=0,
        index=0,
        start=origin,
        zone=layer.zone,
        unit=engine.RotationUnit(layer.unit),
        length=layer.length,
        participants=(engine.Participant(1),),
        restrictions=tuple(_restriction(w) for w in _windows(layer)[0]),
    )
    t0 = engine.turn_index(probe, layer.start)
    begins = engine.boundary(probe, t0)
    if layer.unit in ("DAY", "WEEK"):
        step = timedelta(days=layer.length * (7 if layer.unit == "WEEK" else 1))
        local = origin + t0 * step
    else:
        local = _local(begins, layer.zone)
    notes = []
    covered = (
        begins < layer.start
        and engine.compute_timeline(
            engine.TierInput((replace(probe, start=local),)), begins, layer.start
        ).shifts
    )
    if covered and layer.start > since:
        notes.append(
            _note(
                layer,
                f"starts mid-turn at {layer.start.isoformat()}; here its "
                f"first turn starts at {begins.isoformat()}",
            )
        )
    return local, t0, notes


def _windows(layer: src.Layer) -> tuple[tuple[desired.Window, ...], list[desired.Note]]:
    out, notes = [], []
    for w in layer.windows:
        minutes = int(w.duration.total_seconds() // 60)
        limit = MAX_DAILY if w.weekday is None else MAX_WEEKLY
        if minutes > limit:
            notes.append(
                _note(
                    layer,
                    f"a {minutes}-minute window is longer than Rotagraph's {limit}: shortened",
                )
            )
            minutes = limit
        out.append(
            desired.Window(
                "DAILY" if w.weekday is None else "WEEKLY",
                f"{w.start.hour:02d}:{w.start.minute:02d}",
                max(1, minutes),
                w.weekday,
            )
        )
    return tuple(out), notes


def map_layer(
    layer: src.Layer, *, index: int, source_id: str, people: People, since: datetime
) -> tuple[desired.Layer | None, list[desired.Note]]:
    """The layer for one source rotation (None when nobody in it can be imported)."""
    turns, notes = _turns(layer, people)
    notes.extend(_note(layer, n) for n in layer.notes)
    if not turns:
        notes.append(_note(layer, "nobody in this rotation can be imported: layer left out"))
        return None, notes
    start, t0, start_notes = _start(layer, since)
    notes.extend(start_notes)
    turns = _rotated(turns, layer.first_turn + t0)
    sizes = {len(t) for t in turns}
    flat = [u for t in turns for u in t]
    users = tuple(dict.fromkeys(flat))
    if len(users) < len(flat):
        notes.append(
            _note(
                layer,
                "someone appears more than once in the rotation: Rotagraph "
                "keeps each person once, so the order differs after the first",
            )
        )
    on_call = min(sizes)
    if len(sizes) > 1:
        notes.append(
            _note(
                layer,
                f"turns hold different numbers of people ({sorted(sizes)}): "
                f"here {on_call} at a time",
            )
        )
    windows, window_notes = _windows(layer)
    notes.extend(window_notes)
    if len(windows) > MAX_WINDOWS:
        notes.append(_note(layer, f"{len(windows)} windows: Rotagraph keeps {MAX_WINDOWS}"))
        windows = windows[:MAX_WINDOWS]
    end = _local(layer.end, layer.zone) if layer.end is not None else None
    if end is not None and end <= start:
        notes.append(_note(layer, "ends before its first turn: layer left out"))
        return None, notes
    return desired.Layer(
        source_id=source_id,
        name=layer.name[:200] or layer.id,
        index=index,
        start=start,
        zone=layer.zone,
        unit=layer.unit,
        length=max(1, layer.length),
        users=users,
        on_call=max(1, min(on_call, len(users))),
        windows=windows,
        end=end,
        advance=layer.advance,
    ), notes


def _restriction(w: desired.Window) -> engine.Restriction:
    return engine.Restriction(
        kind=engine.RestrictionKind(w.kind),
        start_time=datetime.strptime(w.start_time, "%H:%M").time(),
        duration=timedelta(minutes=w.minutes),
        weekday=w.weekday,
    )


def engine_layer(layer: desired.Layer, number: int, ids: dict[str, int]) -> engine.LayerInput:
    """The engine's view of a desired layer, people numbered by ``ids``."""
    return engine.LayerInput(
        id=number,
        index=layer.index,
        start=layer.start,
        zone=layer.zone,
        unit=engine.RotationUnit(layer.unit),
        length=layer.length,
        participants=tuple(engine.Participant(ids[u]) for u in layer.users),
        on_call=layer.on_call,
        restrictions=tuple(_restriction(w) for w in layer.windows),
        end=layer.end,
        advance=engine.Advance(layer.advance),
    )


def map_overrides(
    overrides: Sequence[src.Override],
    *,
    tier_source: str,
    layers: dict[str, desired.Layer],
    people: People,
    since: datetime,
) -> tuple[list[desired.Shift], list[desired.Note]]:
    """On-demand shifts for the overrides that end after ``since``. An override limited to
    some rotations becomes the pieces of its time where those rotations are the ones shown."""
    shifts: list[desired.Shift] = []
    notes: list[desired.Note] = []
    ids: dict[str, int] = {}
    for u in {u for layer in layers.values() for u in layer.users}:
        ids[u] = len(ids) + 1
    inputs = {
        sid: engine_layer(layer, n + 1, ids)
        for n, (sid, layer) in enumerate(sorted(layers.items()))
    }
    for o in overrides:
        if o.end <= since:
            continue
        for reason in o.notes:
            notes.append(desired.Note("override", o.id, o.id, reason))
        users = tuple(u for u in o.user_ids if people.usable(u))
        if not users:
            notes.append(desired.Note("override", o.id, o.id, "nobody in it can be imported"))
            continue
        base = f"{tier_source}/override:{o.id}"
        if o.layer_ids is None:
            shifts.append(
                desired.Shift(base, o.start.astimezone(UTC), o.end.astimezone(UTC), users)
            )
            continue
        wanted = {inputs[k].id for k in inputs if k.split("/layer:", 1)[-1] in o.layer_ids}
        timeline = engine.compute_timeline(engine.TierInput(tuple(inputs.values())), o.start, o.end)
        pieces = [s for s in timeline.shifts if s.layer_id in wanted]
        notes.append(
            desired.Note(
                "override",
                o.id,
                o.id,
                "applies to some rotations only: imported as "
                f"{len(pieces)} on-demand shift(s) where they are on",
            )
        )
        for n, piece in enumerate(pieces):
            shifts.append(desired.Shift(f"{base}#{n}", piece.start, piece.end, users))
    return without_overlaps(shifts), notes


def without_overlaps(shifts: Sequence[desired.Shift]) -> list[desired.Shift]:
    """Overlapping overrides: the later one in the source's list wins the time they share,
    so the on-demand shifts written never overlap (each keeps its own source id; the part
    after a later one gets ``~<n>``)."""
    kept: list[desired.Shift] = []
    for new in shifts:
        out: list[desired.Shift] = []
        for old in kept:
            if old.end <= new.start or new.end <= old.start:
                out.append(old)
                continue
            if old.start < new.start:
                out.append(desired.Shift(old.source_id, old.start, new.start, old.users))
            if new.end < old.end:
                siblings = sum(1 for s in kept if s.source_id.startswith(old.source_id))
                tail = f"{old.source_id}~{siblings}"
                out.append(desired.Shift(tail, new.end, old.end, old.users))
        kept = [*out, new]
    return sorted(kept, key=lambda s: (s.start, s.source_id))
