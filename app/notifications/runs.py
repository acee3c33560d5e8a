"""Pure helpers: a person's shifts from confirmed rows, what changed between two views of
them, and quiet hours. No I/O."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.engine import resolve


@dataclass(frozen=True, order=True)
class Run:
    """A person's shift: a maximal run of touching confirmed rows of one tier that include
    them (SPEC §12)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Row:
    start: datetime
    end: datetime
    assignees: tuple[int, ...]


def person_runs(rows: Iterable[Row]) -> dict[int, list[Run]]:
    """Per contact, the runs of one tier's rows (given in any order)."""
    out: dict[int, list[Run]] = {}
    for row in sorted(rows, key=lambda r: r.start):
        for contact in set(row.assignees):
            runs = out.setdefault(contact, [])
            if runs and runs[-1].end == row.start:
                runs[-1] = Run(runs[-1].start, row.end)
            else:
                runs.append(Run(row.start, row.end))
    return out


def clip(runs: Iterable[Run], start: datetime, end: datetime) -> list[Run]:
    """The parts of ``runs`` inside [start, end)."""
    out = []
    for r in runs:
        a, b = max(r.start, start), min(r.end, end)
        if a < b:
            out.append(Run(a, b))
    return out


@dataclass(frozen=True)
class Change:
    """What happened to a person's shifts on one tier: shifts added, removed, and moved
    (a removed shift paired with the added one overlapping it: ``(before, after)``)."""

    added: tuple[Run, ...] = ()
    removed: tuple[Run, ...] = ()
    moved: tuple[tuple[Run, Run], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.moved)


def compare(before: Sequence[Run], after: Sequence[Run]) -> Change:
    """The change from ``before`` to ``after`` (both already clipped to the same window)."""
    gone = [r for r in before if r not in after]
    new = [r for r in after if r not in before]
    moved: list[tuple[Run, Run]] = []
    for old in list(gone):
        partner = next((n for n in new if n.start < old.end and old.start < n.end), None)
        if partner is not None:
            moved.append((old, partner))
            gone.remove(old)
            new.remove(partner)
    return Change(added=tuple(new), removed=tuple(gone), moved=tuple(moved))


def runs_to_json(runs: Iterable[Run]) -> list[list[str]]:
    return [[r.start.isoformat(), r.end.isoformat()] for r in runs]


def runs_from_json(raw: Iterable[Sequence[str]]) -> list[Run]:
    return [Run(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in raw]


def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def after_quiet(instant: datetime, *, start: str | None, end: str | None, zone: str) -> datetime:
    """``instant``, or the end of the quiet hours it falls in (local ``HH:MM``; a start later
    than the end spans midnight; equal means no quiet hours)."""
    if not start or not end or start == end:
        return instant
    tz = ZoneInfo(zone)
    local = instant.astimezone(tz)
    q_start, q_end = parse_hhmm(start), parse_hhmm(end)
    now_t = local.time().replace(tzinfo=None)
    overnight = q_start > q_end
    inside = (q_start <= now_t or now_t < q_end) if overnight else (q_start <= now_t < q_end)
    if not inside:
        return instant
    day = local.date() + timedelta(days=1) if overnight and now_t >= q_start else local.date()
    return resolve(datetime.combine(day, q_end), zone)


def backoff(attempts: int, *, initial: float = 5.0, maximum: float = 900.0) -> timedelta:
    """The wait before try ``attempts + 1``: doubling from ``initial`` up to ``maximum``."""
    return timedelta(seconds=min(maximum, initial * 2 ** max(0, attempts - 1)))
